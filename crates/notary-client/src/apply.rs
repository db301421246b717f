//! Applying a changelist to a collection's metadata at publish (`shared/spec/client.md` §4.3,
//! rules of `metadata.md` §5 and §9).
//!
//! [`apply`] edits a [`Draft`] — root, every loaded targets file, and the delegations that were
//! downloaded but failed their threshold or expiry — change by change, in Go's order and with Go's
//! error texts, and records what the caller must do next: re-sign the roles in
//! [`Draft::changed`], drop the roles in [`Draft::removed`] from the snapshot, re-sign root if
//! [`Draft::root_changed`]. Versions, expiry and signatures are the caller's: a targets file
//! created here has version 0 and a placeholder `expires`, both set when it is signed.
//!
//! Pure: no I/O and no clock. Whether a private key is held comes in through [`SigningKeys`].
//!
//! Where Go 0.7 is not deterministic we choose: a canonical key ID in `remove_keys` that
//! matches several metadata keys removes all of them (Go removes one at random); duplicate keys
//! in `add_keys` are listed once; errors listing key IDs list them in the role's order (Go: map
//! order). Go also refuses a delegation whose certificate has an invalid validity window, a SHA-1
//! signature or a short RSA key when walking to it; that check is not made here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use notary_tuf::metadata::{DelegatedRole, Delegations, FileMeta, Root, Targets};
use notary_tuf::{DelegationName, Expires, KeyId, PublicKey};

use crate::changelist::{Action, Change, ChangeData, ChangeType, DelegationData};

/// An editable copy of a collection's metadata, and what applying changes did to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// root.json's body: the base roles and their keys.
    pub root: Root,
    /// `targets` and every delegation loaded and valid, by role name.
    pub targets: BTreeMap<String, Targets>,
    /// Delegations downloaded but invalid (threshold or expiry), by role name: a witness
    /// change moves one into [`targets`](Self::targets).
    pub invalid: BTreeMap<String, Targets>,
    changed: BTreeSet<String>,
    removed: BTreeSet<String>,
    rotated: BTreeSet<String>,
    root_changed: bool,
    warnings: Vec<Warning>,
}

impl Draft {
    /// A draft of `root`, the valid targets files `targets` (which should hold `targets`) and the
    /// invalid delegations `invalid`, with nothing changed yet.
    pub fn new(root: Root, targets: BTreeMap<String, Targets>, invalid: BTreeMap<String, Targets>) -> Draft {
        Draft {
            root,
            targets,
            invalid,
            changed: BTreeSet::new(),
            removed: BTreeSet::new(),
            rotated: BTreeSet::new(),
            root_changed: false,
            warnings: Vec::new(),
        }
    }

    /// The targets roles to re-sign (each is in [`targets`](Self::targets)): edited files, new
    /// delegated roles' files, witnessed roles, `targets` after a rotation of its keys. As in Go
    /// this includes parents of a delegation change that turned out to change nothing.
    pub fn changed(&self) -> &BTreeSet<String> {
        &self.changed
    }

    /// Delegated roles deleted: their metadata leaves the snapshot.
    pub fn removed(&self) -> &BTreeSet<String> {
        &self.removed
    }

    /// Whether root.json changed (a base role's keys were replaced) and must be re-signed.
    pub fn root_changed(&self) -> bool {
        self.root_changed
    }

    /// Base roles whose keys were replaced (`root`, `targets`, `snapshot`, `timestamp`): their
    /// next signature is by the new keys.
    pub fn rotated(&self) -> &BTreeSet<String> {
        &self.rotated
    }

    /// What Go only logs as a warning, in order of occurrence.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Marks a loaded targets role for re-signing (as Go does for `targets` on a first publish).
    /// Returns false, changing nothing, if the role is not in [`targets`](Self::targets).
    pub fn mark_changed(&mut self, role: &str) -> bool {
        if !self.targets.contains_key(role) {
            return false;
        }
        self.changed.insert(role.to_owned());
        true
    }
}

/// Which private keys are at hand for signing.
pub trait SigningKeys {
    /// Whether a private key is held under `key_id`. Go asks for each key of a role by its
    /// metadata ID, then by its canonical ID (keys.md §2.3).
    fn holds(&self, key_id: &KeyId) -> bool;
}

impl SigningKeys for BTreeSet<KeyId> {
    fn holds(&self, key_id: &KeyId) -> bool {
        self.contains(key_id)
    }
}

impl SigningKeys for std::collections::HashSet<KeyId> {
    fn holds(&self, key_id: &KeyId) -> bool {
        self.contains(key_id)
    }
}

impl<T: SigningKeys + ?Sized> SigningKeys for &T {
    fn holds(&self, key_id: &KeyId) -> bool {
        (**self).holds(key_id)
    }
}

/// Applies `changes` in order (client.md §4.3).
///
/// All or nothing: on error `draft` is left exactly as it was, and the error names the change
/// that failed. On success the changes and their bookkeeping are added to what `draft` already
/// recorded, so applying in several calls equals applying once.
pub fn apply(draft: &mut Draft, changes: &[Change], keys: &dyn SigningKeys) -> Result<(), ApplyError> {
    let mut work = draft.clone();
    for (index, change) in changes.iter().enumerate() {
        apply_one(&mut work, change, keys).map_err(|kind| ApplyError {
            index,
            scope: change.scope().to_owned(),
            kind,
        })?;
    }
    *draft = work;
    Ok(())
}

/// Why a changelist could not be applied; the draft is unchanged.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
#[non_exhaustive]
pub struct ApplyError {
    /// Position of the failing change in the list given to [`apply`].
    pub index: usize,
    /// Its scope (role).
    pub scope: String,
    /// What failed; its message is Go's and is the whole message of this error.
    pub kind: ApplyErrorKind,
}

/// What failed in one change. Messages are Go 0.7's where it has one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyErrorKind {
    /// A delegation action other than create, update or delete.
    #[error("unsupported action against delegations: {action}")]
    DelegationActionNotSupported {
        /// The action.
        action: String,
    },
    /// A key's canonical ID could not be computed (a certificate key whose PEM does not parse).
    #[error("could not compute the canonical ID of key {key_id}")]
    BadKey {
        /// The key's metadata ID.
        key_id: KeyId,
    },
    /// A target could not be added: its name is outside the role's effective paths, or the role
    /// is not reachable from `targets`.
    #[error("Could not add all targets")]
    CouldNotAddAllTargets,
    /// `tuf: invalid role <role>. <reason>` (`tuf: invalid role <role>.` without a reason).
    #[error("tuf: invalid role {role}.{}", space_before(.reason))]
    InvalidRole {
        /// The role.
        role: String,
        /// Go's reason, e.g. `this role is not known`; may be empty.
        reason: String,
    },
    /// The change's data is not the document its type needs. `data: null` gives Go's text.
    #[error("{}", if *.null { "unexpected end of JSON input" } else { "json: change data does not decode" })]
    MalformedData {
        /// Whether the data was `null`.
        null: bool,
    },
    /// No private key held for any key of the role that must sign.
    #[error(
        "could not find necessary signing keys, at least one of these keys must be available: {}",
        join_ids(.key_ids)
    )]
    NoSigningKeys {
        /// The canonical IDs of the role's keys.
        key_ids: Vec<KeyId>,
    },
    /// A role the draft has no metadata for (`targets` missing).
    #[error("{role} role has not been loaded")]
    NotLoaded {
        /// The role.
        role: String,
    },
    /// A root change whose action is not create.
    #[error("action not yet supported for root: {action}")]
    RootActionNotSupported {
        /// The action.
        action: String,
    },
    /// A root change whose type is not `role`.
    #[error("type of root change not yet supported: {change_type}")]
    RootTypeNotSupported {
        /// The type.
        change_type: String,
    },
    /// A scope that is neither `root`, `targets`, a delegation nor a wildcard.
    #[error("scope not supported: {scope}")]
    ScopeNotSupported {
        /// The scope.
        scope: String,
    },
    /// A target action other than create or delete.
    #[error("action not yet supported: {action}")]
    TargetActionNotSupported {
        /// The action.
        action: String,
    },
    /// A targets-scope change whose type is not target, delegation or witness.
    #[error("only target meta and delegations changes supported")]
    TypeNotSupported {
        /// The type.
        change_type: String,
    },
}

/// Something Go logs as a warning while applying, and goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A delegation has fewer keys than its threshold and cannot sign until keys are added.
    FewerKeysThanThreshold {
        /// The role.
        role: String,
        /// Its threshold.
        threshold: i64,
    },
    /// A purge skipped a role that lists a purged key, for want of a signing key for it.
    PurgeSkipped {
        /// The role whose delegations were left as they are.
        role: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::FewerKeysThanThreshold { role, threshold } => write!(
                f,
                "role {role} has fewer keys than its threshold of {threshold}; it will not be usable until keys are added to it"
            ),
            Warning::PurgeSkipped { role } => write!(
                f,
                "role {role} contains keys being purged but you do not have the necessary keys present to sign it; keys will not be purged from {role} or its immediate children"
            ),
        }
    }
}

type Step<T = ()> = Result<T, ApplyErrorKind>;

/// Go's `applyChangelist` dispatch for one change.
fn apply_one(draft: &mut Draft, change: &Change, keys: &dyn SigningKeys) -> Step {
    let scope = change.scope();
    if scope == "targets" || is_delegation(scope) || is_wild_delegation(scope) {
        return match change.change_type() {
            ChangeType::Target => change_target(draft, change, keys),
            ChangeType::Delegation => change_delegation(draft, change, keys),
            ChangeType::Witness => witness(draft, scope),
            other => Err(ApplyErrorKind::TypeNotSupported {
                change_type: other.as_str().to_owned(),
            }),
        };
    }
    if scope == "root" {
        return change_root(draft, change);
    }
    Err(ApplyErrorKind::ScopeNotSupported {
        scope: scope.to_owned(),
    })
}

// ---------------------------------------------------------------------------------------------
// Targets

fn change_target(draft: &mut Draft, change: &Change, keys: &dyn SigningKeys) -> Step {
    match change.action() {
        Action::Create => {
            let meta = match change.data() {
                ChangeData::Target(meta) => meta,
                other => return Err(malformed(other)),
            };
            add_target(draft, change.scope(), change.path(), meta, keys)
        }
        Action::Delete => remove_target(draft, change.scope(), change.path(), keys),
        other => Err(ApplyErrorKind::TargetActionNotSupported {
            action: other.as_str().to_owned(),
        }),
    }
}

/// Go's `Repo.AddTargets` for one target.
fn add_target(draft: &mut Draft, role: &str, name: &str, meta: &FileMeta, keys: &dyn SigningKeys) -> Step {
    let can_sign = verify_can_sign(draft, role, keys);
    if let Err(e @ ApplyErrorKind::InvalidRole { .. }) = can_sign {
        return Err(e);
    }
    if !draft.targets.contains_key(role) {
        init_targets(draft, role)?;
    }
    let mut need_sign = false;
    let mut added = false;
    let allowed = can_sign.is_ok();
    let changed = &mut draft.changed;
    walk(&draft.root, &mut draft.targets, name, role, |visited, _, file| {
        let zero = FileMeta {
            custom: None,
            hashes: Default::default(),
            length: 0,
        };
        if go_file_meta_equal(meta, file.targets.get(name).unwrap_or(&zero)) {
            added = true;
            return Ok(Flow::Stop);
        }
        need_sign = true;
        if allowed {
            file.targets.insert(name.to_owned(), meta.clone());
            changed.insert(visited.to_owned());
            added = true;
        }
        Ok(Flow::Stop)
    })?;
    if need_sign {
        can_sign?;
    }
    if !added {
        return Err(ApplyErrorKind::CouldNotAddAllTargets);
    }
    Ok(())
}

/// Go's `Repo.RemoveTargets` for one target: no path check, a signing key only if the target is
/// there.
fn remove_target(draft: &mut Draft, role: &str, name: &str, keys: &dyn SigningKeys) -> Step {
    let can_sign = verify_can_sign(draft, role, keys);
    if let Err(e @ ApplyErrorKind::InvalidRole { .. }) = can_sign {
        return Err(e);
    }
    if !draft.targets.contains_key(role) {
        return Ok(());
    }
    let mut need_sign = false;
    let allowed = can_sign.is_ok();
    let changed = &mut draft.changed;
    walk(&draft.root, &mut draft.targets, "", role, |visited, _, file| {
        need_sign = file.targets.contains_key(name);
        if need_sign && allowed {
            file.targets.remove(name);
            changed.insert(visited.to_owned());
        }
        Ok(Flow::Stop)
    })?;
    if need_sign {
        can_sign?;
    }
    Ok(())
}

/// Go's `FileMeta.Equals`: length, the same hash algorithms with the same digests, custom data
/// both absent or equal.
fn go_file_meta_equal(a: &FileMeta, b: &FileMeta) -> bool {
    a.length == b.length && a.hashes == b.hashes && a.custom == b.custom
}

// ---------------------------------------------------------------------------------------------
// Delegations

fn change_delegation(draft: &mut Draft, change: &Change, keys: &dyn SigningKeys) -> Step {
    let scope = change.scope();
    let data = || match change.data() {
        ChangeData::Delegation(d) => Ok(d),
        other => Err(malformed(other)),
    };
    match change.action() {
        Action::Create => {
            let d = data()?;
            update_delegation_keys(draft, scope, &d.add_keys, &[], d.threshold, keys)?;
            update_delegation_paths(draft, scope, &d.add_paths, &[], false, keys)
        }
        Action::Update => {
            let d = data()?;
            if is_wild_delegation(scope) {
                return purge_delegation_keys(draft, scope, &d.remove_keys, keys);
            }
            update_delegation(draft, scope, d, keys)
        }
        Action::Delete => delete_delegation(draft, scope, keys),
        other => Err(ApplyErrorKind::DelegationActionNotSupported {
            action: other.as_str().to_owned(),
        }),
    }
}

/// An update of one delegation: `remove_keys` are canonical IDs, translated to the role's
/// metadata IDs; unknown ones are ignored.
fn update_delegation(draft: &mut Draft, scope: &str, d: &DelegationData, keys: &dyn SigningKeys) -> Step {
    let role = delegation_role(draft, scope)?;
    let mut remove = Vec::new();
    for (id, key) in &role.keys {
        let canonical = canonical_id(id, key)?;
        if d.remove_keys.contains(&canonical) {
            remove.push(id.clone());
        }
    }
    update_delegation_keys(draft, scope, &d.add_keys, &remove, d.threshold, keys)?;
    update_delegation_paths(draft, scope, &d.add_paths, &d.remove_paths, d.clear_paths, keys)
}

/// Go's `Repo.UpdateDelegationKeys`: creates the role (and its parent's file) if needed.
fn update_delegation_keys(
    draft: &mut Draft,
    role: &str,
    add_keys: &[PublicKey],
    remove_keys: &[KeyId],
    threshold: i64,
    keys: &dyn SigningKeys,
) -> Step {
    let parent = delegation_parent(role)?;
    verify_can_sign(draft, parent, keys)?;
    if !draft.targets.contains_key(parent) {
        init_targets(draft, parent)?;
    }
    let edit = DelegationEdit {
        role,
        add_keys,
        remove_keys,
        add_paths: &[],
        remove_paths: &[],
        clear_paths: false,
        threshold,
    };
    edit.run(draft)
}

/// Go's `Repo.UpdateDelegationPaths`.
fn update_delegation_paths(
    draft: &mut Draft,
    role: &str,
    add_paths: &[String],
    remove_paths: &[String],
    clear_paths: bool,
    keys: &dyn SigningKeys,
) -> Step {
    let parent = delegation_parent(role)?;
    verify_can_sign(draft, parent, keys)?;
    if !draft.targets.contains_key(parent) {
        return Err(invalid_role(role, "no valid delegated role exists"));
    }
    let edit = DelegationEdit {
        role,
        add_keys: &[],
        remove_keys: &[],
        add_paths,
        remove_paths,
        clear_paths,
        threshold: 1,
    };
    edit.run(draft)
}

/// Go's `delegationUpdateVisitor`: one edit of a delegation in its parent's file.
struct DelegationEdit<'a> {
    role: &'a str,
    add_keys: &'a [PublicKey],
    remove_keys: &'a [KeyId],
    add_paths: &'a [String],
    remove_paths: &'a [String],
    clear_paths: bool,
    /// Only used when the role is created.
    threshold: i64,
}

impl DelegationEdit<'_> {
    fn run(&self, draft: &mut Draft) -> Step {
        let parent = delegation_parent(self.role)?;
        let Draft {
            root,
            targets,
            changed,
            warnings,
            ..
        } = draft;
        walk(root, targets, "", parent, |visited, parent_paths, file| {
            self.edit(file, parent_paths, warnings)?;
            changed.insert(visited.to_owned());
            Ok(Flow::Stop)
        })
    }

    fn edit(&self, file: &mut Targets, parent_paths: &[String], warnings: &mut Vec<Warning>) -> Step {
        if restrict_paths(parent_paths, self.add_paths).len() != self.add_paths.len() {
            return Err(invalid_role(self.role, "invalid paths to add to role"));
        }
        let existing = file.delegations.roles.iter().position(|r| r.name == self.role);
        let mut role = match existing.map(|i| &file.delegations.roles[i]) {
            Some(current) => {
                let mut role = current.clone();
                role.paths = subtract(&role.paths, self.remove_paths);
                if self.clear_paths {
                    role.paths.clear();
                }
                role.paths = merge(&role.paths, self.add_paths);
                role.keyids = subtract(&role.keyids, self.remove_keys);
                role
            }
            None => {
                // Go's `data.NewRole`: a threshold below 1 (a paths-only change on a role that
                // does not exist) is refused without a reason.
                if self.threshold < 1 {
                    return Err(invalid_role(self.role, ""));
                }
                DelegatedRole {
                    keyids: Vec::new(),
                    name: self.role.to_owned(),
                    paths: self.add_paths.to_vec(),
                    threshold: self.threshold,
                }
            }
        };
        for key in self.add_keys {
            let id = key.key_id();
            if !role.keyids.contains(&id) {
                role.keyids.push(id);
            }
        }
        if i64::try_from(role.keyids.len()).unwrap_or(i64::MAX) < role.threshold {
            // Go warns once per pass (keys, then paths) of a change; once is enough.
            let warning = Warning::FewerKeysThanThreshold {
                role: self.role.to_owned(),
                threshold: role.threshold,
            };
            if warnings.last() != Some(&warning) {
                warnings.push(warning);
            }
        }
        for key in self.add_keys {
            file.delegations.keys.insert(key.key_id(), key.clone());
        }
        match existing {
            Some(i) => file.delegations.roles[i] = role,
            None => file.delegations.roles.push(role),
        }
        remove_unused_keys(&mut file.delegations);
        Ok(())
    }
}

/// Go's `Repo.DeleteDelegation`: the role leaves its parent and the snapshot; its own
/// delegations' files are left alone, as in Go.
fn delete_delegation(draft: &mut Draft, role: &str, keys: &dyn SigningKeys) -> Step {
    let parent = delegation_parent(role)?;
    verify_can_sign(draft, parent, keys)?;
    draft.targets.remove(role);
    draft.changed.remove(role);
    draft.removed.insert(role.to_owned());
    let Some(file) = draft.targets.get_mut(parent) else {
        return Ok(());
    };
    if let Some(i) = file.delegations.roles.iter().position(|r| r.name == role) {
        file.delegations.roles.remove(i);
        remove_unused_keys(&mut file.delegations);
        draft.changed.insert(parent.to_owned());
    }
    Ok(())
}

/// Go's `Repo.PurgeDelegationKeys`: removes keys given by canonical ID from every delegation
/// in the subtree of the wildcard's parent, where a signing key for the edited file is held.
fn purge_delegation_keys(draft: &mut Draft, wildcard: &str, remove: &[KeyId], keys: &dyn SigningKeys) -> Step {
    let start = wildcard.strip_suffix("/*").unwrap_or(wildcard);
    // First pass (read only): which files list purged keys.
    let mut candidates: Vec<(String, Vec<KeyId>)> = Vec::new();
    walk(&draft.root, &mut draft.targets, "", start, |visited, _, file| {
        let mut ids = Vec::new();
        for (id, key) in &file.delegations.keys {
            if remove.contains(&canonical_id(id, key)?) {
                ids.push(id.clone());
            }
        }
        if !ids.is_empty() {
            candidates.push((visited.to_owned(), ids));
        }
        Ok(Flow::Continue)
    })?;
    // Go edits while walking, which changes neither the set nor the order of the files
    // visited: a purge removes the same IDs from `keys` and from every role's `keyids`.
    for (role, ids) in candidates {
        if verify_can_sign(draft, &role, keys).is_err() {
            draft.warnings.push(Warning::PurgeSkipped { role });
            continue;
        }
        let Some(file) = draft.targets.get_mut(&role) else {
            continue;
        };
        for id in &ids {
            file.delegations.keys.remove(id);
        }
        for r in &mut file.delegations.roles {
            r.keyids = subtract(&r.keyids, &ids);
        }
        draft.changed.insert(role);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Witness

/// Go's `witnessTargets`: a loaded role is marked for re-signing; an invalid one whose
/// delegation still stands (and has enough keys for its threshold) is revived.
fn witness(draft: &mut Draft, role: &str) -> Step {
    if draft.targets.contains_key(role) {
        draft.changed.insert(role.to_owned());
        return Ok(());
    }
    if let Ok(delegation) = delegation_role(draft, role) {
        if delegation.threshold > i64::try_from(delegation.keys.len()).unwrap_or(i64::MAX) {
            return Err(invalid_role(
                role,
                "role does not specify enough valid signing keys to meet its required threshold",
            ));
        }
        if let Some(file) = draft.invalid.remove(role) {
            draft.targets.insert(role.to_owned(), file);
            draft.changed.insert(role.to_owned());
            draft.removed.remove(role);
            return Ok(());
        }
    }
    Err(invalid_role(role, "this role is not known"))
}

// ---------------------------------------------------------------------------------------------
// Root

/// Go's `applyRootChange`: only `create` of type `role`, which replaces all keys of a base role
/// (`Repo.ReplaceBaseKeys`).
fn change_root(draft: &mut Draft, change: &Change) -> Step {
    if *change.change_type() != ChangeType::Role {
        return Err(ApplyErrorKind::RootTypeNotSupported {
            change_type: change.change_type().as_str().to_owned(),
        });
    }
    if *change.action() != Action::Create {
        return Err(ApplyErrorKind::RootActionNotSupported {
            action: change.action().as_str().to_owned(),
        });
    }
    let data = match change.data() {
        ChangeData::RootRole(d) => d,
        other => return Err(malformed(other)),
    };
    replace_base_keys(draft, &data.role, &data.keys)
}

fn replace_base_keys(draft: &mut Draft, role: &str, new_keys: &[PublicKey]) -> Step {
    base_role(&draft.root, role)?;
    let root = &mut draft.root;
    // RemoveBaseKeys(role, every key of role).
    let old = root
        .roles
        .get_mut(role)
        .map(|r| std::mem::take(&mut r.keyids))
        .unwrap_or_default();
    let in_use: BTreeSet<&KeyId> = root.roles.values().flat_map(|r| &r.keyids).collect();
    let unused: Vec<KeyId> = old.into_iter().filter(|id| !in_use.contains(id)).collect();
    // Root certificates stay: they are needed to sign the rotation (metadata.md §4).
    if role != "root" {
        for id in &unused {
            root.keys.remove(id);
        }
    }
    // AddBaseKeys(role, new keys).
    for key in new_keys {
        let id = key.key_id();
        root.keys.insert(id.clone(), key.clone());
        if let Some(r) = root.roles.get_mut(role) {
            r.keyids.push(id);
        }
    }
    draft.root_changed = true;
    draft.rotated.insert(role.to_owned());
    if role == "targets" && draft.targets.contains_key("targets") {
        draft.changed.insert("targets".to_owned());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Roles, keys and the walk

/// A delegation as its parent lists it (Go's `DelegationRole` from `BuildDelegationRole`).
struct FoundDelegation {
    keys: BTreeMap<KeyId, PublicKey>,
    threshold: i64,
}

/// Go's `Repo.GetDelegationRole`: walks to the parent and finds the role in its delegations.
fn delegation_role(draft: &mut Draft, role: &str) -> Step<FoundDelegation> {
    if !is_delegation(role) {
        return Err(invalid_role(role, "invalid delegation name"));
    }
    if !draft.root.roles.contains_key("targets") || !draft.targets.contains_key("targets") {
        return Err(ApplyErrorKind::NotLoaded {
            role: "targets".to_owned(),
        });
    }
    let parent = delegation_parent(role)?;
    let mut found = None;
    walk(&draft.root, &mut draft.targets, "", parent, |_, _, file| {
        let Some(d) = file.delegation(role) else {
            return Ok(Flow::Continue);
        };
        let mut keys = BTreeMap::new();
        for id in &d.keyids {
            let Some(key) = file.delegations.keys.get(id) else {
                return Err(invalid_role(
                    role,
                    &format!("role lists unknown key {id} as a signing key"),
                ));
            };
            keys.insert(id.clone(), key.clone());
        }
        found = Some(FoundDelegation {
            keys,
            threshold: d.threshold,
        });
        Ok(Flow::Stop)
    })?;
    found.ok_or_else(|| invalid_role(role, "delegation does not exist"))
}

/// Go's `BuildBaseRole` through `Repo.GetBaseRole`: the keys of a base role in root.
fn base_role(root: &Root, role: &str) -> Step<Vec<(KeyId, PublicKey)>> {
    if !is_delegation(role) && !BASE_ROLES.contains(&role) {
        return Err(invalid_role(role, "invalid base role name"));
    }
    let Some(keys) = root.roles.get(role) else {
        return Err(invalid_role(role, "role not found in root file"));
    };
    let mut found = Vec::with_capacity(keys.keyids.len());
    for id in &keys.keyids {
        let Some(key) = root.keys.get(id) else {
            return Err(invalid_role(
                role,
                &format!("key with ID {id} was not found in root metadata"),
            ));
        };
        found.push((id.clone(), key.clone()));
    }
    Ok(found)
}

/// Go's `Repo.VerifyCanSign`: the role exists and a private key is held for one of its keys
/// (under its metadata or its canonical ID).
fn verify_can_sign(draft: &mut Draft, role: &str, keys: &dyn SigningKeys) -> Step {
    let role_keys: Vec<(KeyId, PublicKey)> = if is_delegation(role) {
        delegation_role(draft, role)?.keys.into_iter().collect()
    } else {
        base_role(&draft.root, role).map_err(|_| invalid_role(role, "does not exist"))?
    };
    let mut canonical_ids = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, key) in &role_keys {
        if !seen.insert(id) {
            continue;
        }
        if keys.holds(id) {
            return Ok(());
        }
        if let Ok(canonical) = key.canonical_id() {
            if keys.holds(&canonical) {
                return Ok(());
            }
            canonical_ids.push(canonical);
        }
    }
    Err(ApplyErrorKind::NoSigningKeys { key_ids: canonical_ids })
}

/// Go's `Repo.InitTargets`: an empty targets file for `role` (version 0, placeholder expiry).
fn init_targets(draft: &mut Draft, role: &str) -> Step {
    if role != "targets" && !is_delegation(role) {
        return Err(invalid_role(
            role,
            &format!("role is not a valid targets role name: {role}"),
        ));
    }
    let file = Targets {
        type_name: "Targets".to_owned(),
        delegations: Delegations::default(),
        expires: Expires::at(time::OffsetDateTime::UNIX_EPOCH),
        targets: BTreeMap::new(),
        version: 0,
        extra: Default::default(),
    };
    draft.targets.insert(role.to_owned(), file);
    draft.changed.insert(role.to_owned());
    draft.removed.remove(role);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Go's `Repo.WalkTargets`: breadth-first from `targets` (paths `[""]`) through valid
/// delegations. Strict ancestors of `role_path` are passed through; a role that is
/// `role_path` or below it and whose effective paths allow `target_path` (any, if empty) is
/// visited with its effective paths, and its children are walked if the visitor continues.
fn walk(
    root: &Root,
    files: &mut BTreeMap<String, Targets>,
    target_path: &str,
    role_path: &str,
    mut visit: impl FnMut(&str, &[String], &mut Targets) -> Step<Flow>,
) -> Step {
    base_role(root, "targets")?;
    let mut queue = VecDeque::from([("targets".to_owned(), vec![String::new()])]);
    while let Some((name, paths)) = queue.pop_front() {
        let Some(file) = files.get_mut(&name) else {
            continue;
        };
        if role_path
            .strip_prefix(name.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
        {
            queue.extend(valid_children(file, &name, &paths));
            continue;
        }
        let path_ok = target_path.is_empty() || paths.iter().any(|p| target_path.starts_with(p.as_str()));
        if path_ok && is_within(&name, role_path) && visit(&name, &paths, file)? == Flow::Continue {
            queue.extend(valid_children(file, &name, &paths));
        }
    }
    Ok(())
}

/// Go's `GetValidDelegations`: the direct children whose keys are all listed, with their paths
/// restricted by the parent's.
fn valid_children(file: &Targets, name: &str, paths: &[String]) -> Vec<(String, Vec<String>)> {
    file.delegations
        .roles
        .iter()
        .filter(|d| d.keyids.iter().all(|id| file.delegations.keys.contains_key(id)))
        .filter(|d| d.name.rsplit_once('/').is_some_and(|(parent, _)| parent == name))
        .map(|d| (d.name.clone(), restrict_paths(paths, &d.paths)))
        .collect()
}

/// Go's `RestrictDelegationPathPrefixes`: the child paths under some parent path.
fn restrict_paths(parent: &[String], child: &[String]) -> Vec<String> {
    child
        .iter()
        .filter(|p| parent.iter().any(|pp| p.starts_with(pp.as_str())))
        .cloned()
        .collect()
}

/// Go's `utils.RemoveUnusedKeys`: drop delegation keys no role lists.
fn remove_unused_keys(delegations: &mut Delegations) {
    let used: BTreeSet<&KeyId> = delegations.roles.iter().flat_map(|r| &r.keyids).collect();
    delegations.keys.retain(|id, _| used.contains(id));
}

/// Go's `mergeStrSlices`: `orig` then each of `new` not in `orig` (duplicates within `new` are
/// kept, as in Go).
fn merge(orig: &[String], new: &[String]) -> Vec<String> {
    let mut merged = orig.to_vec();
    merged.extend(new.iter().filter(|n| !orig.contains(n)).cloned());
    merged
}

/// Go's `subtractStrSlices`: `orig` without any of `remove`, order kept.
fn subtract<T: PartialEq + Clone>(orig: &[T], remove: &[T]) -> Vec<T> {
    orig.iter().filter(|e| !remove.contains(e)).cloned().collect()
}

/// The canonical ID of a key listed under `id`.
fn canonical_id(id: &KeyId, key: &PublicKey) -> Step<KeyId> {
    key.canonical_id()
        .map_err(|_| ApplyErrorKind::BadKey { key_id: id.clone() })
}

/// Go's `data.IsDelegation` (metadata.md §9.1).
fn is_delegation(role: &str) -> bool {
    role.parse::<DelegationName>().is_ok()
}

/// Go's `data.IsWildDelegation`: `<targets or a delegation>/*` (metadata.md §9.1).
fn is_wild_delegation(role: &str) -> bool {
    role.strip_suffix("/*")
        .is_some_and(|base| base == "targets" || is_delegation(base))
}

/// The parent of a delegation; `not a valid delegated role` for anything else.
fn delegation_parent(role: &str) -> Step<&str> {
    if !is_delegation(role) {
        return Err(invalid_role(role, "not a valid delegated role"));
    }
    Ok(role.rsplit_once('/').map_or("targets", |(parent, _)| parent))
}

/// Whether `role` is `ancestor` or lies in its subtree (Go's `isAncestorRole`).
fn is_within(role: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || role
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn invalid_role(role: &str, reason: &str) -> ApplyErrorKind {
    ApplyErrorKind::InvalidRole {
        role: role.to_owned(),
        reason: reason.to_owned(),
    }
}

fn malformed(data: &ChangeData) -> ApplyErrorKind {
    ApplyErrorKind::MalformedData {
        null: matches!(data, ChangeData::Null),
    }
}

fn space_before(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

fn join_ids(ids: &[KeyId]) -> String {
    ids.iter().map(KeyId::as_str).collect::<Vec<_>>().join(", ")
}

/// Go's `data.BaseRoles`.
const BASE_ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names() {
        for (name, delegation, wild) in [
            ("targets", false, false),
            ("targets/a", true, false),
            ("targets/a/b", true, false),
            ("targets/*", false, true),
            ("targets/a/*", false, true),
            ("targets/A/*", false, false),
            ("targets//*", false, false),
            ("targets/a*", false, false),
            ("*", false, false),
            ("root/*", false, false),
            ("targets/*/*", false, false),
        ] {
            assert_eq!(is_delegation(name), delegation, "{name}");
            assert_eq!(is_wild_delegation(name), wild, "{name}");
        }
        assert_eq!(delegation_parent("targets/a").unwrap(), "targets");
        assert_eq!(delegation_parent("targets/a/b").unwrap(), "targets/a");
        assert_eq!(
            delegation_parent("targets").unwrap_err().to_string(),
            "tuf: invalid role targets. not a valid delegated role"
        );
    }

    #[test]
    fn go_slice_helpers() {
        assert_eq!(merge(&s(&["a", "b"]), &s(&["b", "c", "c"])), s(&["a", "b", "c", "c"]));
        assert_eq!(subtract(&s(&["a", "b", "a"]), &s(&["a"])), s(&["b"]));
        assert_eq!(restrict_paths(&s(&["qa/"]), &s(&["qa/x", "other", "q"])), s(&["qa/x"]));
        assert_eq!(restrict_paths(&s(&[""]), &s(&["x"])), s(&["x"]));
        assert!(restrict_paths(&s(&["a"]), &[]).is_empty());
        assert!(is_within("targets/a/b", "targets/a"));
        assert!(is_within("targets/a", "targets/a"));
        assert!(!is_within("targets/ab", "targets/a"));
        assert!(is_within("targets/x", ""));
    }

    #[test]
    fn messages() {
        assert_eq!(
            invalid_role("targets/qa", "").to_string(),
            "tuf: invalid role targets/qa."
        );
        assert_eq!(
            ApplyErrorKind::NoSigningKeys {
                key_ids: vec![KeyId::new("aa"), KeyId::new("bb")]
            }
            .to_string(),
            "could not find necessary signing keys, at least one of these keys must be available: aa, bb"
        );
        assert_eq!(malformed(&ChangeData::Null).to_string(), "unexpected end of JSON input");
        assert_eq!(
            Warning::FewerKeysThanThreshold {
                role: "targets/a".into(),
                threshold: 1
            }
            .to_string(),
            "role targets/a has fewer keys than its threshold of 1; it will not be usable until keys are added to it"
        );
    }
}
