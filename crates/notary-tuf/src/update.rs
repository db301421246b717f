//! The client's update workflow (`shared/spec/metadata.md` §12.1, §12.3–§12.4), as a state
//! machine over bytes: the caller fetches (from cache or server) and feeds files in order —
//! timestamp, snapshot, targets, then each delegation [`TrustedCollection::next_delegation`]
//! names — and each load runs every rule for that file.
//!
//! Root trust (bootstrap, rotation, pinning) is decided before, with
//! [`verify_root`](crate::verify::verify_root); the collection starts from a verified root.

use std::collections::{BTreeMap, VecDeque};

use time::OffsetDateTime;

use crate::error::VerifyError;
use crate::metadata::{FileMeta, RoleBody, Root, Signed, Snapshot, Targets, Timestamp, Verified};
use crate::name::{Gun, RoleName};
use crate::verify::{self, RoleKeySet};

/// The lowest version accepted for each role, usually the versions of the cached files: loading
/// anything older is a rollback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MinimumVersions(BTreeMap<String, i64>);

impl MinimumVersions {
    /// No minimum (first contact).
    pub fn none() -> Self {
        MinimumVersions::default()
    }

    /// Requires at least `version` for `role` (keeps the higher of two minimums).
    pub fn require(&mut self, role: &str, version: i64) {
        let entry = self.0.entry(role.to_owned()).or_insert(version);
        *entry = (*entry).max(version);
    }

    /// The minimum for `role` (0 when none).
    pub fn of(&self, role: &str) -> i64 {
        self.0.get(role).copied().unwrap_or(0)
    }
}

/// What happened to a delegation that was loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum DelegationOutcome {
    /// Verified and in use.
    Loaded,
    /// Failed its signature threshold or expired: skipped with this warning, its subtree unused
    /// (as Go does; any other error aborts the update).
    Skipped(VerifyError),
}

/// A target found by a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundTarget<'a> {
    /// The target name.
    pub name: &'a str,
    /// The role whose metadata lists it.
    pub role: &'a str,
    /// Its hashes, length and custom data.
    pub meta: &'a FileMeta,
}

/// A collection's trusted metadata, filled in update order.
#[derive(Debug)]
pub struct TrustedCollection {
    gun: Gun,
    root: Verified<Root>,
    timestamp: Option<Verified<Timestamp>>,
    snapshot: Option<Verified<Snapshot>>,
    targets: BTreeMap<String, Verified<Targets>>,
    /// Delegations skipped for a missed threshold or an expiry, as downloaded.
    skipped: BTreeMap<String, Signed<Targets>>,
    minimum: MinimumVersions,
}

impl TrustedCollection {
    /// Starts an update from a trusted root, refusing anything older than `minimum`.
    pub fn new(gun: Gun, root: Verified<Root>, minimum: MinimumVersions) -> Self {
        TrustedCollection {
            gun,
            root,
            timestamp: None,
            snapshot: None,
            targets: BTreeMap::new(),
            skipped: BTreeMap::new(),
            minimum,
        }
    }

    /// The GUN.
    pub fn gun(&self) -> &Gun {
        &self.gun
    }

    /// The trusted root.
    pub fn root(&self) -> &Verified<Root> {
        &self.root
    }

    /// The loaded timestamp.
    pub fn timestamp(&self) -> Option<&Verified<Timestamp>> {
        self.timestamp.as_ref()
    }

    /// The loaded snapshot.
    pub fn snapshot(&self) -> Option<&Verified<Snapshot>> {
        self.snapshot.as_ref()
    }

    /// A loaded targets file (`targets` or a delegation).
    pub fn targets(&self, role: &str) -> Option<&Verified<Targets>> {
        self.targets.get(role)
    }

    /// Every loaded targets file, by role name.
    pub fn all_targets(&self) -> impl Iterator<Item = (&str, &Verified<Targets>)> {
        self.targets.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every delegation that was downloaded but skipped because its signatures missed the
    /// threshold or it expired, by role name. Its length, hashes, structure and version were
    /// checked; a publisher holding the role's keys may re-sign it (`witness`, client.md §4.3).
    ///
    /// # Security
    ///
    /// These files are **not** trusted: never read targets from them.
    pub fn invalid_targets(&self) -> impl Iterator<Item = (&str, &Signed<Targets>)> {
        self.skipped.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The FileMeta the trusted chain records for a role's file: the snapshot's entry from the
    /// timestamp, any other role's from the snapshot. Its `length` is the download limit.
    pub fn expected(&self, role: &str) -> Option<&FileMeta> {
        if role == "snapshot" {
            return self.timestamp.as_ref()?.body().snapshot_meta();
        }
        self.snapshot.as_ref()?.body().meta.get(role)
    }

    /// Loads timestamp.json: signatures by the root's timestamp role, structure, version, expiry.
    pub fn load_timestamp(&mut self, raw: Vec<u8>, now: OffsetDateTime) -> Result<(), VerifyError> {
        let signed = Signed::<Timestamp>::parse(raw)?;
        let keys = RoleKeySet::of_base_role(self.root.body(), &RoleName::Timestamp);
        let verified = self.check(signed, &RoleName::Timestamp, &keys, now)?;
        self.timestamp = Some(verified);
        self.snapshot = None;
        self.targets.clear();
        self.skipped.clear();
        Ok(())
    }

    /// Loads snapshot.json: length and hashes from the timestamp, then signatures, structure,
    /// version, expiry; finally the trusted root must be the one the snapshot names (a mismatch
    /// means the root was rotated: fetch the new root and start again).
    pub fn load_snapshot(&mut self, raw: Vec<u8>, now: OffsetDateTime) -> Result<(), VerifyError> {
        self.check_bytes("snapshot", &raw)?;
        let signed = Signed::<Snapshot>::parse(raw)?;
        let keys = RoleKeySet::of_base_role(self.root.body(), &RoleName::Snapshot);
        let verified = self.check(signed, &RoleName::Snapshot, &keys, now)?;
        let root_meta = verified
            .body()
            .meta
            .get("root")
            .ok_or_else(|| VerifyError::NoChecksums { role: "root".into() })?;
        root_meta.check_hashes("root", self.root.raw())?;
        self.snapshot = Some(verified);
        self.targets.clear();
        self.skipped.clear();
        Ok(())
    }

    /// Loads the top-level targets.json (hashes from the snapshot, signatures by the root's
    /// targets role). Threshold and expiry failures abort here, unlike for delegations.
    pub fn load_targets(&mut self, raw: Vec<u8>, now: OffsetDateTime) -> Result<(), VerifyError> {
        self.check_bytes("targets", &raw)?;
        let signed = Signed::<Targets>::parse(raw)?;
        let keys = RoleKeySet::of_base_role(self.root.body(), &RoleName::Targets);
        let verified = self.check(signed, &RoleName::Targets, &keys, now)?;
        self.targets.clear();
        self.skipped.clear();
        self.targets.insert("targets".to_owned(), verified);
        Ok(())
    }

    /// The next delegation to load, in Go's order (depth-first pre-order, children in their
    /// parent's order), skipping roles the snapshot does not list and subtrees of skipped roles.
    pub fn next_delegation(&self) -> Option<RoleName> {
        // Go's `downloadTargets`: a stack seeded with `targets`; a loaded role's children go on
        // top in their parent's order, so a child's subtree comes before the child's siblings.
        let mut stack = vec!["targets"];
        while let Some(role) = stack.pop() {
            let Some(file) = self.targets.get(role) else {
                if role == "targets" {
                    return None;
                }
                match role.parse() {
                    Ok(name) => return Some(name),
                    Err(_) => continue,
                }
            };
            for d in file.body().delegations.roles.iter().rev() {
                if self.skipped.contains_key(&d.name) || self.expected(&d.name).is_none() {
                    continue;
                }
                stack.push(&d.name);
            }
        }
        None
    }

    /// Loads a delegated targets file: hashes from the snapshot, structure, version, then
    /// signatures with the keys and threshold its parent delegates, then expiry. A missed
    /// threshold or an expiry skips the role (returned as a warning); other errors abort,
    /// including a file with no signatures at all (as in Go).
    pub fn load_delegation(
        &mut self,
        role: &RoleName,
        raw: Vec<u8>,
        now: OffsetDateTime,
    ) -> Result<DelegationOutcome, VerifyError> {
        let name = role.as_str();
        let invalid = |reason: &str| VerifyError::InvalidRole {
            role: name.to_owned(),
            reason: reason.to_owned(),
        };
        let parent_name = role.parent().ok_or_else(|| invalid("not a delegation"))?;
        let parent = self
            .targets
            .get(parent_name.as_str())
            .ok_or_else(|| invalid("parent is not loaded"))?;
        let delegation = parent
            .body()
            .delegation(name)
            .ok_or_else(|| invalid("delegation does not exist"))?;
        self.check_bytes(name, &raw)?;
        let signed = Signed::<Targets>::parse(raw)?;
        signed.body().check_structure(role)?;
        verify::check_version(name, signed.body().version, self.minimum.of(name))?;
        let keys = RoleKeySet::of_delegation(parent.body(), delegation);
        let usable = verify::check_signatures(name, signed.canonical(), signed.signatures(), &keys)
            .and_then(|()| verify::check_expiry(name, signed.body().expires, now));
        match usable {
            Ok(()) => {
                self.targets.insert(name.to_owned(), Verified::new(signed));
                Ok(DelegationOutcome::Loaded)
            }
            // Exactly Go's `signed.ErrRoleThreshold` and `signed.ErrExpired`; `ErrNoSignatures`
            // is another error type in Go and aborts the update.
            Err(e @ (VerifyError::ThresholdNotMet { .. } | VerifyError::Expired { .. })) => {
                self.skipped.insert(name.to_owned(), signed);
                Ok(DelegationOutcome::Skipped(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Finds `name` (metadata.md §12.4): for each role of `roles` in priority order (default
    /// `targets`), a breadth-first walk of that role and its subtree, entering only delegations
    /// whose effective paths allow the name; the first role that lists it wins.
    pub fn target<'a>(&'a self, name: &'a str, roles: &[RoleName]) -> Option<FoundTarget<'a>> {
        let mut found = None;
        self.walk(roles, Some(name), |role, file| {
            if let Some((name, meta)) = file.body().targets.get_key_value(name) {
                found = Some(FoundTarget { name, role, meta });
                return false;
            }
            true
        });
        found
    }

    /// Lists every target once, with the first role (in [`target`](Self::target)'s order) that
    /// lists it; names outside a role's effective paths are ignored.
    pub fn list(&self, roles: &[RoleName]) -> Vec<FoundTarget<'_>> {
        // In walk order, then a stable sort by name keeping each name's first role: for one
        // role (already sorted) this is linear, with no per-target tree node.
        let mut found: Vec<FoundTarget<'_>> = Vec::new();
        self.walk(roles, None, |role, file| {
            let paths = self.effective_paths(role);
            let all = paths.iter().any(String::is_empty);
            for (name, meta) in &file.body().targets {
                if all || paths.iter().any(|p| name.starts_with(p.as_str())) {
                    found.push(FoundTarget { name, role, meta });
                }
            }
            true
        });
        found.sort_by(|a, b| a.name.cmp(b.name));
        found.dedup_by(|later, first| later.name == first.name);
        found
    }

    /// The effective path prefixes of a loaded role (`targets` has `[""]`).
    pub fn effective_paths(&self, role: &str) -> Vec<String> {
        let mut paths = vec![String::new()];
        let mut current = "targets".to_owned();
        for segment in role.split('/').skip(1) {
            let child = format!("{current}/{segment}");
            let Some(d) = self.targets.get(&current).and_then(|f| f.body().delegation(&child)) else {
                return Vec::new();
            };
            paths = d.effective_paths(&paths);
            current = child;
        }
        paths
    }

    /// Breadth-first walk of each requested role's subtree; `visit` returns false to stop.
    /// Ancestors of the requested role are passed through (not visited), and subtrees of the
    /// other requested roles are left to their own walk.
    fn walk<'a>(
        &'a self,
        roles: &[RoleName],
        name: Option<&str>,
        mut visit: impl FnMut(&'a str, &'a Verified<Targets>) -> bool,
    ) {
        let default = [RoleName::Targets];
        let roles = if roles.is_empty() { &default[..] } else { roles };
        for requested in roles {
            let requested = requested.as_str();
            let mut queue: VecDeque<(&str, Vec<String>)> = VecDeque::from([("targets", vec![String::new()])]);
            while let Some((role, paths)) = queue.pop_front() {
                let Some((role, file)) = self.targets.get_key_value(role) else {
                    continue;
                };
                if is_within(role, requested) && !visit(role, file) {
                    return;
                }
                for d in &file.body().delegations.roles {
                    let child = d.name.as_str();
                    let wanted = is_within(requested, child)
                        || (is_within(child, requested)
                            && !roles.iter().any(|r| {
                                r.as_str() != requested
                                    && is_within(r.as_str(), requested)
                                    && is_within(child, r.as_str())
                            }));
                    if !wanted {
                        continue;
                    }
                    let child_paths = d.effective_paths(&paths);
                    if name.is_some_and(|n| !child_paths.iter().any(|p| n.starts_with(p.as_str()))) {
                        continue;
                    }
                    queue.push_back((child, child_paths));
                }
            }
        }
    }

    /// Length limit and hashes recorded for `role` (must be known).
    fn check_bytes(&self, role: &str, raw: &[u8]) -> Result<(), VerifyError> {
        let meta = self
            .expected(role)
            .ok_or_else(|| VerifyError::NoChecksums { role: role.to_owned() })?;
        let limit = u64::try_from(meta.length).unwrap_or(0);
        if raw.len() as u64 > limit {
            return Err(VerifyError::TooLong {
                role: role.to_owned(),
                limit,
            });
        }
        meta.check_hashes(role, raw)
    }

    /// Signatures, structure, version and expiry of a base role's file, in Go's order.
    fn check<T: RoleBody>(
        &self,
        signed: Signed<T>,
        role: &RoleName,
        keys: &RoleKeySet<'_>,
        now: OffsetDateTime,
    ) -> Result<Verified<T>, VerifyError> {
        let name = role.as_str();
        verify::check_signatures(name, signed.canonical(), signed.signatures(), keys)?;
        signed.body().check_structure(role)?;
        verify::check_version(name, signed.body().version(), self.minimum.of(name))?;
        verify::check_expiry(name, signed.body().expires(), now)?;
        Ok(Verified::new(signed))
    }
}

/// Whether `role` is `ancestor` or lies in its subtree.
fn is_within(role: &str, ancestor: &str) -> bool {
    role.strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
