//! The client's update (`shared/spec/metadata.md` §12.2): from the cache and, when online, the
//! server, to a fully verified [`TrustedCollection`], caching every verified download.
//!
//! The rules themselves (signatures, thresholds, versions, expiry, hashes, pinning) live in the
//! pure core; this module decides where each file comes from, in Go's order:
//!
//! 1. **Root.** A cached root is the trust anchor: it must verify against its own root keys
//!    (expiry aside), or the update fails hard — a tampered anchor is never silently replaced.
//!    It is used as is while unexpired, except that writes (`check_remote_root`) always ask the
//!    server for `root.json` first (to learn that the collection exists). With no usable cached
//!    root the downloaded one must pass trust pinning.
//! 2. **Timestamp** is always downloaded; on a network-class failure the cached one is used if
//!    still valid, with Go's "using cached timestamp" warning (offline mode).
//! 3. **Snapshot, targets, delegations**: the cached copy if it matches the hash the parent
//!    records and verifies, else a download by checksum, limited to the recorded length.
//! 4. On any failure in 2–3 the root is refreshed once (the server may have rotated it: fetch the
//!    root the new snapshot names, walking `<n>.root.json` versions when more than one rotation
//!    behind) and 2–3 are retried; a second failure is final.
//!
//! Minimum versions come from the cached files that still verify, so a server (or a network
//! attacker) cannot roll the client back to older metadata.

use std::fmt;

use notary_tuf::error::VerifyError;
use notary_tuf::metadata::{Root, Signed, Snapshot, Timestamp, Verified};
use notary_tuf::update::{DelegationOutcome, MinimumVersions, TrustedCollection};
use notary_tuf::verify::{self, Expiry, RoleKeySet, TrustPinning};
use notary_tuf::{Gun, RoleName};
use time::OffsetDateTime;

use crate::trust_dir::MetadataCache;

/// Size limit of `root.json` without a known hash, and of `<n>.root.json` (client.md §5.3).
pub const MAX_ROOT_LEN: u64 = 100 << 20;
/// Size limit of `timestamp.json`.
pub const MAX_TIMESTAMP_LEN: u64 = 1 << 20;
/// Size limit for reading cached snapshot/targets files whose recorded length is not yet known.
const MAX_CACHED_LEN: u64 = 100 << 20;
/// Go's warning when the timestamp comes from the cache.
pub const CACHED_TIMESTAMP_WARNING: &str = "Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely";

/// Where metadata is downloaded from (the server, or a test double).
pub trait MetadataSource {
    /// `root.json` (current).
    fn root(&mut self) -> Result<Vec<u8>, FetchError>;
    /// `<version>.root.json`.
    fn root_version(&mut self, version: i64) -> Result<Vec<u8>, FetchError>;
    /// `timestamp.json`.
    fn timestamp(&mut self) -> Result<Vec<u8>, FetchError>;
    /// `<role>.<sha256 hex>.json`, at most `limit` bytes.
    fn by_checksum(&mut self, role: &str, sha256_hex: &str, limit: u64) -> Result<Vec<u8>, FetchError>;
}

/// A failed download.
#[derive(Debug)]
pub struct FetchError {
    /// What kind of failure.
    pub kind: FetchErrorKind,
    /// The underlying error, with the text to show.
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Classes of download failure that change what the update does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// 404: the file (or the whole collection) does not exist on the server.
    NotFound,
    /// Unreachable server, timeouts, other non-2xx answers: cached data may stand in.
    Network,
    /// Anything else (a malicious or broken answer, TLS or auth failure): never masked.
    Other,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Why an update failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// No server and nothing cached (Go's text, then what is missing).
    #[error("client is offline and no cached trust data is available")]
    Offline,
    /// No server, and the cached copy of `role` cannot be used: it does not match the hash its
    /// parent records (tampered or stale) or does not verify. (An expired cached file is reported
    /// as [`VerifyError::Expired`] instead, naming the role and the time.)
    #[error("client is offline and the cached {role}.json is not valid: {source}")]
    OfflineBadCache {
        /// The role whose cached file was refused.
        role: String,
        /// Why it was refused.
        source: Box<UpdateError>,
    },
    /// The server has no such collection (404 on root).
    #[error("{server} does not have trust data for {gun}")]
    NotFound {
        /// The server's host (and port), as Go names it.
        server: String,
        /// The collection.
        gun: String,
    },
    /// A file failed verification.
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// The cached root, the trust anchor, does not verify.
    #[error("the cached root.json for {gun} is not valid, refusing to trust it: {source}")]
    BadCachedRoot {
        /// The collection.
        gun: String,
        /// Why.
        source: VerifyError,
    },
    /// A download failed.
    #[error("{0}")]
    Fetch(#[from] FetchError),
    /// The cache could not be read.
    #[error("could not read the metadata cache: {0}")]
    Cache(#[source] std::io::Error),
}

/// How to run an update.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// The collection.
    pub gun: Gun,
    /// Trust pinning for a root this client does not trust yet.
    pub pinning: TrustPinning,
    /// The current time.
    pub now: OffsetDateTime,
    /// Always download `root.json` first (writes: the collection must exist on the server).
    pub check_remote_root: bool,
    /// The server's host, for messages.
    pub server: String,
}

/// A successful update.
#[derive(Debug)]
pub struct Updated {
    /// The verified collection.
    pub collection: TrustedCollection,
    /// Warnings to show (cached timestamp, skipped delegations, near expiry).
    pub warnings: Vec<String>,
}

/// Runs the update: `remote` is `None` when offline.
pub fn update(
    cache: &MetadataCache,
    mut remote: Option<&mut dyn MetadataSource>,
    options: &UpdateOptions,
) -> Result<Updated, UpdateError> {
    let now = options.now;
    let mut warnings = Vec::new();
    let cached = CachedState::read(cache, &options.gun)?;
    let mut minimum = cached.minimum;
    let cached_root_valid = cached.root.as_ref().is_some_and(|r| !r.body().expires.is_expired(now));

    let mut root = match (&cached.root, remote.as_deref_mut()) {
        (None, None) => return Err(UpdateError::Offline),
        (Some(root), None) => {
            verify::check_expiry("root", root.body().expires, now)?;
            root.clone()
        }
        (Some(root), Some(_)) if cached_root_valid && !options.check_remote_root => root.clone(),
        (previous, Some(remote)) => {
            let raw = remote.root().map_err(|e| not_found_as(e, options))?;
            if let (Some(root), true) = (previous, cached_root_valid) {
                // A write only needed to know the collection exists; the cached anchor stays.
                root.clone()
            } else {
                let pinning = if previous.is_some() {
                    // Rotation rules decide; first-use pinning only applies without an anchor.
                    TrustPinning::TrustOnFirstUse
                } else {
                    options.pinning.clone()
                };
                let fresh = accept_root(raw, previous.as_ref(), &pinning, &mut minimum, remote, options)?;
                write_cache(cache, "root", fresh.raw(), &mut warnings);
                fresh
            }
        }
    };

    let mut attempt = 0;
    loop {
        let mut collection = TrustedCollection::new(options.gun.clone(), root.clone(), minimum.clone());
        let mut attempt_warnings = Vec::new();
        let mut seen_snapshot = None;
        let result = load_chain(
            &mut collection,
            cache,
            &mut remote,
            now,
            &mut attempt_warnings,
            &mut seen_snapshot,
        );
        match result {
            Ok(()) => {
                warnings.extend(attempt_warnings);
                warnings.extend(near_expiry_warnings(&collection, now));
                return Ok(Updated { collection, warnings });
            }
            Err(error) => {
                attempt += 1;
                let Some(remote) = remote.as_deref_mut() else {
                    return Err(error);
                };
                if attempt > 1 {
                    return Err(error);
                }
                // The server may have rotated root: fetch the root the newest snapshot names (or
                // the current one) and verify it against the trusted root.
                let raw = match seen_snapshot.as_ref().and_then(|s: &Snapshot| s.meta.get("root")) {
                    Some(meta) => match meta.sha256() {
                        Some(hash) => {
                            let limit = u64::try_from(meta.length).unwrap_or(0);
                            remote.by_checksum("root", &hex::encode(hash), limit)
                        }
                        None => remote.root(),
                    },
                    None => remote.root(),
                };
                let Ok(raw) = raw else {
                    return Err(error);
                };
                if raw == root.raw() {
                    return Err(error);
                }
                let fresh = accept_root(
                    raw,
                    Some(&root),
                    &TrustPinning::TrustOnFirstUse,
                    &mut minimum,
                    remote,
                    options,
                )?;
                write_cache(cache, "root", fresh.raw(), &mut warnings);
                root = fresh;
            }
        }
    }
}

/// Verifies a downloaded root: against `previous` (rotation) when there is one, with `pinning`,
/// walking intermediate versions when it is more than one rotation ahead.
fn accept_root(
    raw: Vec<u8>,
    previous: Option<&Verified<Root>>,
    pinning: &TrustPinning,
    minimum: &mut MinimumVersions,
    remote: &mut dyn MetadataSource,
    options: &UpdateOptions,
) -> Result<Verified<Root>, UpdateError> {
    let now = options.now;
    let gun = &options.gun;
    let new = Signed::<Root>::parse(raw).map_err(VerifyError::from)?;
    let min_version = minimum.of("root");
    let first = verify::verify_root(
        new.clone(),
        previous.map(|p| p.body()),
        gun,
        pinning,
        min_version,
        Expiry::Enforce,
        now,
    );
    let verified = match (first, previous) {
        (Ok(v), _) => v,
        (Err(VerifyError::RootRotation { .. }), Some(previous))
            if new.body().version > previous.body().version.saturating_add(1) =>
        {
            // Walk c+1 … n-1, each verified against its predecessor (expiry not checked for
            // intermediate versions), then the newest against n-1.
            let mut trusted = previous.clone();
            let target = new.body().version;
            let mut version = previous.body().version.saturating_add(1);
            while version < target {
                let raw = remote.root_version(version).map_err(|e| not_found_as(e, options))?;
                let step = Signed::<Root>::parse(raw).map_err(VerifyError::from)?;
                trusted = verify::verify_root(
                    step,
                    Some(trusted.body()),
                    gun,
                    &TrustPinning::TrustOnFirstUse,
                    version,
                    Expiry::Ignore,
                    now,
                )?;
                version += 1;
            }
            verify::verify_root(
                new,
                Some(trusted.body()),
                gun,
                pinning,
                min_version,
                Expiry::Enforce,
                now,
            )?
        }
        (Err(e), _) => return Err(e.into()),
    };
    minimum.require("root", verified.body().version);
    Ok(verified)
}

/// Steps 2–3: timestamp, snapshot, targets and delegations.
fn load_chain(
    collection: &mut TrustedCollection,
    cache: &MetadataCache,
    remote: &mut Option<&mut dyn MetadataSource>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
    seen_snapshot: &mut Option<Snapshot>,
) -> Result<(), UpdateError> {
    // Timestamp: always from the server when online.
    let downloaded = match remote.as_deref_mut() {
        Some(remote) => match remote.timestamp() {
            Ok(raw) => Some(raw),
            Err(e) if e.kind == FetchErrorKind::Other => return Err(e.into()),
            Err(_) => None,
        },
        None => None,
    };
    match downloaded {
        Some(raw) => {
            collection.load_timestamp(raw, now)?;
            if let Some(ts) = collection.timestamp() {
                write_cache(cache, "timestamp", ts.raw(), warnings);
            }
        }
        None => {
            let raw = cache
                .read("timestamp", MAX_TIMESTAMP_LEN)
                .ok()
                .flatten()
                .ok_or(UpdateError::Offline)?;
            collection.load_timestamp(raw, now)?;
            warnings.push(CACHED_TIMESTAMP_WARNING.to_owned());
        }
    }

    // Snapshot.
    load_role(collection, cache, remote, "snapshot", now, warnings, seen_snapshot)?;
    // Targets, then delegations in Go's order.
    load_role(collection, cache, remote, "targets", now, warnings, seen_snapshot)?;
    while let Some(role) = collection.next_delegation() {
        load_role(collection, cache, remote, role.as_str(), now, warnings, seen_snapshot)?;
    }
    Ok(())
}

/// Loads one snapshot/targets/delegation file: the cached copy if it verifies, else a download by
/// checksum (cached after it verifies). Returns whether it was loaded (a skipped delegation is
/// not).
fn load_role(
    collection: &mut TrustedCollection,
    cache: &MetadataCache,
    remote: &mut Option<&mut dyn MetadataSource>,
    role: &str,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
    seen_snapshot: &mut Option<Snapshot>,
) -> Result<bool, UpdateError> {
    let Some(expected) = collection.expected(role).cloned() else {
        return Err(VerifyError::NoChecksums { role: role.to_owned() }.into());
    };
    let limit = u64::try_from(expected.length).unwrap_or(0);
    // Why the cached copy was not used (`None`: there is none), for the offline error.
    let cache_error = match cache.read(role, limit.min(MAX_CACHED_LEN)) {
        Ok(Some(raw)) => match expected.check_hashes(role, &raw) {
            Ok(()) => match load_bytes(collection, role, raw, now, warnings, seen_snapshot) {
                Ok(loaded) => return Ok(loaded),
                Err(e) => Some(e),
            },
            Err(e) => Some(e.into()),
        },
        Ok(None) => None,
        Err(e) => Some(UpdateError::Cache(e)),
    };
    let Some(remote) = remote.as_deref_mut() else {
        return Err(match cache_error {
            None => UpdateError::Offline,
            Some(expired @ UpdateError::Verify(VerifyError::Expired { .. })) => expired,
            Some(source) => UpdateError::OfflineBadCache {
                role: role.to_owned(),
                source: Box::new(source),
            },
        });
    };
    let hash = expected
        .sha256()
        .ok_or_else(|| VerifyError::NoChecksums { role: role.to_owned() })?;
    let raw = remote.by_checksum(role, &hex::encode(hash), limit)?;
    let loaded = load_bytes(collection, role, raw, now, warnings, seen_snapshot)?;
    let verified = match role {
        "snapshot" => collection.snapshot().map(|s| s.raw()),
        _ => collection.targets(role).map(|t| t.raw()),
    };
    if let (true, Some(raw)) = (loaded, verified) {
        write_cache(cache, role, raw, warnings);
    }
    Ok(loaded)
}

fn load_bytes(
    collection: &mut TrustedCollection,
    role: &str,
    raw: Vec<u8>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
    seen_snapshot: &mut Option<Snapshot>,
) -> Result<bool, UpdateError> {
    match role {
        "snapshot" => {
            // Remember what the snapshot says about root even if it does not verify under the
            // current root: that is how a rotated root is found.
            if collection
                .expected("snapshot")
                .is_some_and(|m| m.check_hashes("snapshot", &raw).is_ok())
                && let Ok(parsed) = Signed::<Snapshot>::parse(raw.clone())
            {
                *seen_snapshot = Some(parsed.into_parts().1);
            }
            collection.load_snapshot(raw, now)?;
            Ok(true)
        }
        "targets" => {
            collection.load_targets(raw, now)?;
            Ok(true)
        }
        _ => {
            let name: RoleName = role.parse().map_err(|_| VerifyError::InvalidRole {
                role: role.to_owned(),
                reason: "not a valid role name".to_owned(),
            })?;
            match collection.load_delegation(&name, raw, now)? {
                DelegationOutcome::Loaded => Ok(true),
                DelegationOutcome::Skipped(e) => {
                    warnings.push(format!("skipping delegation {role}: {e}"));
                    Ok(false)
                }
            }
        }
    }
}

/// What the cache says before an update: the trust anchor and the minimum versions.
struct CachedState {
    root: Option<Verified<Root>>,
    minimum: MinimumVersions,
}

impl CachedState {
    fn read(cache: &MetadataCache, gun: &Gun) -> Result<CachedState, UpdateError> {
        let mut minimum = MinimumVersions::none();
        let root = match cache.read("root", MAX_ROOT_LEN) {
            Ok(Some(raw)) => Some(trust_cached_root(raw).map_err(|source| UpdateError::BadCachedRoot {
                gun: gun.to_string(),
                source,
            })?),
            Ok(None) => None,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(UpdateError::BadCachedRoot {
                    gun: gun.to_string(),
                    source: VerifyError::TooLong {
                        role: "root".into(),
                        limit: MAX_ROOT_LEN,
                    },
                });
            }
            Err(e) => return Err(UpdateError::Cache(e)),
        };
        let Some(root) = root else {
            return Ok(CachedState { root: None, minimum });
        };
        minimum.require("root", root.body().version);
        // Versions of cached files that still carry valid signatures (expiry aside): anything
        // older from the server is a rollback. A cached file that does not verify is ignored.
        let versions = [
            (
                "timestamp",
                cached_version::<Timestamp>(cache, root.body(), &RoleName::Timestamp),
            ),
            (
                "snapshot",
                cached_version::<Snapshot>(cache, root.body(), &RoleName::Snapshot),
            ),
            // targets.json can be tens of megabytes: its version is read without checking its
            // signatures (the cache is this user's own state; a forged higher version could only
            // make this client refuse updates, and the snapshot pins the targets hash anyway).
            ("targets", peek_version(cache, "targets")),
        ];
        for (role, version) in versions {
            if let Some(version) = version {
                minimum.require(role, version);
            }
        }
        Ok(CachedState {
            root: Some(root),
            minimum,
        })
    }
}

/// The cached root, checked against its own root keys and threshold (Go loads it with expired
/// data allowed and fails hard if it does not verify: it is the anchor of trust).
fn trust_cached_root(raw: Vec<u8>) -> Result<Verified<Root>, VerifyError> {
    let signed = Signed::<Root>::parse(raw)?;
    let keys = RoleKeySet::of_base_role(signed.body(), &RoleName::Root);
    verify::check_signatures("root", signed.canonical(), signed.signatures(), &keys)?;
    verify::trust_cached_root(signed)
}

fn cached_version<T: notary_tuf::metadata::RoleBody>(
    cache: &MetadataCache,
    root: &Root,
    role: &RoleName,
) -> Option<i64> {
    let raw = cache.read(role.as_str(), MAX_CACHED_LEN).ok()??;
    let signed = Signed::<T>::parse(raw).ok()?;
    let keys = RoleKeySet::of_base_role(root, role);
    verify::check_signatures(role.as_str(), signed.canonical(), signed.signatures(), &keys).ok()?;
    Some(signed.body().version())
}

/// The `signed.version` of a cached file, without parsing the rest into memory.
fn peek_version(cache: &MetadataCache, role: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Body {
        version: i64,
    }
    #[derive(serde::Deserialize)]
    struct File {
        signed: Body,
    }
    let raw = cache.read(role, MAX_CACHED_LEN).ok()??;
    serde_json::from_slice::<File>(&raw).ok().map(|f| f.signed.version)
}

fn write_cache(cache: &MetadataCache, role: &str, raw: &[u8], warnings: &mut Vec<String>) {
    if let Err(e) = cache.write(role, raw) {
        // As in Go: a cache that cannot be written costs a download next time, nothing more.
        warnings.push(format!("could not cache {role}.json: {e}"));
    }
}

fn not_found_as(error: FetchError, options: &UpdateOptions) -> UpdateError {
    if error.kind == FetchErrorKind::NotFound {
        UpdateError::NotFound {
            server: options.server.clone(),
            gun: options.gun.to_string(),
        }
    } else {
        UpdateError::Fetch(error)
    }
}

/// Go's warnings for roles that expire within six months.
fn near_expiry_warnings(collection: &TrustedCollection, now: OffsetDateTime) -> Vec<String> {
    let soon = now + time::Duration::days(182);
    let mut out = Vec::new();
    let mut check = |role: &str, expires: notary_tuf::Expires| {
        if expires.instant() < soon {
            out.push(format!(
                "{role} is nearing expiry, you should re-sign the role metadata"
            ));
        }
    };
    check("root", collection.root().body().expires);
    if let Some(s) = collection.snapshot() {
        check("snapshot", s.body().expires);
    }
    for (role, file) in collection.all_targets() {
        check(role, file.body().expires);
    }
    out
}
