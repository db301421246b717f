//! One operation per API route, over the pure upload rules of `notary_tuf::upload`
//! (server-behaviour.md §2–§7), plus the cache of current metadata.
//!
//! **Cache.** Reads of current metadata (`{role}.json`) are answered from memory: one map lookup,
//! no database round trip. The cache holds each GUN's highest-version files as loaded from the
//! store, and is replaced (never patched) under the GUN's write lock by every publish, lazy re-sign
//! and delete of this process, so it cannot go stale here. With a database other servers also
//! write (PostgreSQL, [`CachePolicy::SharedDatabase`]) every read goes to the database instead.
//! Expiry is checked on every read of `timestamp.json`/`snapshot.json`, so an expired timestamp is
//! re-signed (§5.1) even when cached.
//!
//! **Writes** of one GUN are serialised by a striped lock, so a publish validates against the state
//! it will replace; the store's version rule (one transaction) still guards against other writers.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use notary_storage::{Change, ChangeQuery, CurrentFiles, MetadataStore, NewFile, StoredFile};
use notary_tuf::metadata::{RoleBody, Root, Signed, Snapshot, Timestamp, canonical_body, envelope};
use notary_tuf::name::{Gun, RoleName};
use notary_tuf::upload::{self, StoredMetadata, UploadError};
use notary_tuf::{KeyId, PublicKey};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::trust::{TrustError, TrustService};

/// Where "now" comes from: the system clock, or a fixed/moving clock in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// A stored file ready to serve.
#[derive(Debug, Clone)]
pub struct ServedFile {
    /// The exact stored bytes.
    pub data: Bytes,
    /// When it was stored.
    pub modified: OffsetDateTime,
    /// `modified` as an HTTP date, made once per cached file rather than per request.
    pub last_modified: http::HeaderValue,
}

/// Whether this process may keep current metadata in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// This process is the only writer of its database (SQLite): every change passes through it,
    /// so a cache replaced on each write is always current.
    SoleWriter,
    /// Other servers may write the same database (PostgreSQL): every read goes to the database
    /// until cross-server invalidation exists (issue 6), so no server serves stale metadata.
    SharedDatabase,
}

/// The server's operations, generic over its store and signing service.
pub struct Service<S, T> {
    store: Arc<S>,
    trust: Arc<T>,
    clock: Clock,
    metrics: Arc<Metrics>,
    cache: RwLock<HashMap<String, Arc<GunState>>>,
    cache_policy: CachePolicy,
    locks: Vec<tokio::sync::Mutex<()>>,
}

/// Number of write-lock stripes: GUNs that hash alike share a lock, which only costs parallelism.
const LOCK_STRIPES: usize = 64;

impl<S: MetadataStore, T: TrustService> Service<S, T> {
    /// A service over `store` and `trust`.
    pub fn new(store: Arc<S>, trust: Arc<T>, clock: Clock, metrics: Arc<Metrics>, cache_policy: CachePolicy) -> Self {
        Service {
            cache_policy,
            store,
            trust,
            clock,
            metrics,
            cache: RwLock::new(HashMap::new()),
            locks: (0..LOCK_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The signing service.
    pub fn trust(&self) -> &T {
        &self.trust
    }

    /// `GET {role}.json`: the current file, re-signing an expired or stale timestamp/snapshot first
    /// (server-behaviour.md §5).
    pub async fn current(&self, gun: &str, role: &str) -> Result<ServedFile, ApiError> {
        let mut state = self.state(gun).await?;
        if (role == "timestamp" || role == "snapshot") && state.needs_resign((self.clock)()) {
            state = self.resign(gun).await?;
        }
        state.served(role).ok_or(ApiError::MetadataNotFound)
    }

    /// `GET {role}.{sha256}.json`: that exact stored file.
    pub async fn by_checksum(&self, gun: &str, role: &str, sha256_hex: &str) -> Result<ServedFile, ApiError> {
        let hex = sha256_hex.to_ascii_lowercase();
        if hex.len() != 64 {
            return Err(ApiError::MetadataNotFound);
        }
        if let Some(state) = self.cached(gun)
            && let Some(file) = state.files.get(role)
            && file.sha256 == hex
        {
            return Ok(served(file));
        }
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        let file = self.store.by_checksum(gun, role, &hex).await?;
        file.as_ref().map(served).ok_or(ApiError::MetadataNotFound)
    }

    /// `GET {version}.{role}.json`: that exact stored version.
    pub async fn by_version(&self, gun: &str, role: &str, version: i64) -> Result<ServedFile, ApiError> {
        if version < 1 {
            return Err(ApiError::MetadataNotFound);
        }
        if let Some(state) = self.cached(gun)
            && let Some(file) = state.files.get(role)
            && file.version == version
        {
            return Ok(served(file));
        }
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        let file = self.store.by_version(gun, role, version).await?;
        file.as_ref().map(served).ok_or(ApiError::MetadataNotFound)
    }

    /// `POST /v2/{gun}/_trust/tuf/`: validate, make snapshot (unless uploaded) and timestamp, and
    /// store everything in one transaction (server-behaviour.md §2–§3).
    pub async fn publish(&self, gun: &Gun, parts: BTreeMap<RoleName, Vec<u8>>) -> Result<(), ApiError> {
        let result = self.publish_locked(gun, parts).await;
        self.metrics.record_publish(result.is_ok());
        result
    }

    async fn publish_locked(&self, gun: &Gun, parts: BTreeMap<RoleName, Vec<u8>>) -> Result<(), ApiError> {
        let _write = self.lock(gun.as_str()).await;
        let current = self.store.current(gun.as_str()).await?;
        let now = (self.clock)();

        // Validation parses and verifies possibly large files: keep it off the async workers.
        let (valid, current) = {
            let gun = gun.clone();
            tokio::task::spawn_blocking(move || {
                let valid = upload::validate_update(&gun, &StoredView(&current), parts, now);
                (valid, current)
            })
            .await
            .map_err(ApiError::internal)?
        };
        let valid = valid.map_err(ApiError::InvalidUpdate)?;

        let mut files: Vec<NewFile> = valid
            .files
            .iter()
            .map(|f| NewFile {
                role: f.role.as_str().to_owned(),
                version: f.version,
                data: f.raw.clone(),
            })
            .collect();

        let snapshot_raw = if valid.snapshot_uploaded {
            files
                .iter()
                .find(|f| f.role == "snapshot")
                .map(|f| f.data.clone())
                .ok_or_else(|| ApiError::internal("validated snapshot missing"))?
        } else {
            let previous = parse_current::<Snapshot>(&current, "snapshot")?;
            let snapshot = upload::next_snapshot(previous.as_ref(), valid.root.raw(), &valid.loaded_targets, now)
                .map_err(ApiError::InvalidUpdate)?;
            let raw = match self.sign(&valid.root, &RoleName::Snapshot, &snapshot).await {
                Ok(raw) => raw,
                Err(SignFailure::MissingKeys { .. }) => {
                    return Err(ApiError::InvalidUpdate(UploadError::BadHierarchy {
                        missing: "snapshot".into(),
                        message: "no snapshot was included in update and server does not hold current snapshot key \
                                  for repository"
                            .into(),
                    }));
                }
                Err(SignFailure::Trust(e)) => return Err(trust_error(e)),
            };
            files.push(NewFile {
                role: "snapshot".into(),
                version: snapshot.version,
                data: raw.clone(),
            });
            raw
        };

        let previous_timestamp = current.get("timestamp").map(|f| f.version);
        let timestamp = upload::next_timestamp(previous_timestamp, &snapshot_raw, now);
        let timestamp_raw = match self.sign(&valid.root, &RoleName::Timestamp, &timestamp).await {
            Ok(raw) => raw,
            Err(SignFailure::MissingKeys { .. }) => {
                return Err(ApiError::InvalidUpdate(UploadError::BadRoot(
                    "no  timestamp keys exist on the server".into(),
                )));
            }
            Err(SignFailure::Trust(e)) => return Err(trust_error(e)),
        };
        files.push(NewFile {
            role: "timestamp".into(),
            version: timestamp.version,
            data: timestamp_raw,
        });

        self.store
            .update_many(gun.as_str(), &files)
            .await
            .map_err(|e| match e {
                notary_storage::StoreError::VersionConflict => ApiError::Version,
                notary_storage::StoreError::Backend(cause) => ApiError::Updating(cause),
            })?;
        let state = GunState::new(overlay(current, files, now));
        if let Some(ts) = state.files.get("timestamp") {
            tracing::info!(
                gun = gun.as_str(),
                "updated {gun} to timestamp version {}, checksum {}",
                ts.version,
                ts.sha256
            );
        }
        self.install(gun.as_str(), Some(state));
        Ok(())
    }

    /// `GET {snapshot|timestamp}.key`: the key the root lists that this server holds, else a new
    /// (or pending) one (server-behaviour.md §7.1).
    pub async fn key(&self, gun: &str, role: &str) -> Result<PublicKey, ApiError> {
        let state = self.state(gun).await?;
        if let Some(root) = state.files.get("root") {
            let root = Signed::<Root>::parse(root.data.to_vec()).map_err(ApiError::internal)?;
            let role_name: RoleName = role.parse().map_err(|_| ApiError::RouteNotFound)?;
            if let Some(keys) = root.body().role(&role_name) {
                for id in &keys.keyids {
                    if let Some(key) = self.trust.key_info(id).await.map_err(trust_error)? {
                        return Ok(key);
                    }
                }
            }
        }
        self.trust.create_key(gun, role).await.map_err(trust_error)
    }

    /// `POST {snapshot|timestamp}.key`: a new (or pending) key; metadata is unchanged (§7.2).
    pub async fn rotate_key(&self, gun: &str, role: &str) -> Result<PublicKey, ApiError> {
        self.trust.create_key(gun, role).await.map_err(trust_error)
    }

    /// `DELETE /v2/{gun}/_trust/tuf/`: every version of every role of exactly this GUN.
    pub async fn delete(&self, gun: &str) -> Result<(), ApiError> {
        let _write = self.lock(gun).await;
        let result = self.store.delete(gun).await;
        self.install(gun, None);
        result.map(|_| ()).map_err(|e| ApiError::Updating(e.to_string()))
    }

    /// The changefeed page (server-api.md §7.9).
    pub async fn changes(&self, query: &ChangeQuery) -> Result<Vec<Change>, ApiError> {
        Ok(self.store.changes(query).await?)
    }

    /// The cached state of `gun`, loading it from the store on a miss.
    async fn state(&self, gun: &str) -> Result<Arc<GunState>, ApiError> {
        if let Some(state) = self.cached(gun) {
            return Ok(state);
        }
        // Names no upload could have created are simply not found (no database query).
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        let _write = self.lock(gun).await;
        if let Some(state) = self.cached(gun) {
            return Ok(state);
        }
        let files = self.store.current(gun).await?;
        let state = GunState::new(files);
        if state.files.is_empty() {
            // Unknown GUNs are not cached: a flood of random names must not grow memory.
            return Ok(Arc::new(state));
        }
        Ok(self
            .install(gun, Some(state))
            .unwrap_or_else(|| Arc::new(GunState::new(CurrentFiles::new()))))
    }

    fn cached(&self, gun: &str) -> Option<Arc<GunState>> {
        if self.cache_policy == CachePolicy::SharedDatabase {
            return None;
        }
        let cache = self.cache.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(gun).cloned()
    }

    /// Replaces (or removes) the cached state of `gun`; call with the GUN's write lock held.
    fn install(&self, gun: &str, state: Option<GunState>) -> Option<Arc<GunState>> {
        if self.cache_policy == CachePolicy::SharedDatabase {
            return state.map(Arc::new);
        }
        let mut cache = self.cache.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        match state {
            Some(state) => {
                let state = Arc::new(state);
                cache.insert(gun.to_owned(), state.clone());
                Some(state)
            }
            None => {
                cache.remove(gun);
                None
            }
        }
    }

    async fn lock(&self, gun: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = FixedHasher::default();
        hasher.write(gun.as_bytes());
        let stripe = (hasher.finish() % LOCK_STRIPES as u64) as usize;
        self.locks[stripe].lock().await
    }

    /// Lazy re-signing (server-behaviour.md §5.1): a new snapshot when the current one expired,
    /// and a new timestamp when it expired or no longer names the current snapshot.
    async fn resign(&self, gun: &str) -> Result<Arc<GunState>, ApiError> {
        let _write = self.lock(gun).await;
        let current = self.store.current(gun).await?;
        let now = (self.clock)();
        let state = GunState::new(current.clone());
        if !state.needs_resign(now) {
            return Ok(self.install(gun, Some(state)).unwrap_or_default());
        }
        let (Some(root_file), Some(snapshot_file), Some(timestamp_file)) =
            (current.get("root"), current.get("snapshot"), current.get("timestamp"))
        else {
            return Err(ApiError::MetadataNotFound);
        };
        let root = Signed::<Root>::parse(root_file.data.to_vec()).map_err(ApiError::internal)?;
        if root.body().expires.is_expired(now) {
            return Err(ApiError::internal(format!("{gun}: root expired, cannot re-sign")));
        }
        let root = notary_tuf::verify::trust_cached_root(root).map_err(ApiError::internal)?;
        let snapshot = Signed::<Snapshot>::parse(snapshot_file.data.to_vec()).map_err(ApiError::internal)?;

        let mut files = Vec::new();
        let mut snapshot_raw = snapshot_file.data.to_vec();
        if snapshot.body().expires.is_expired(now) {
            let next = upload::next_snapshot(Some(snapshot.body()), root.raw(), &BTreeMap::new(), now)
                .map_err(ApiError::internal)?;
            snapshot_raw = match self.sign(&root, &RoleName::Snapshot, &next).await {
                Ok(raw) => raw,
                Err(SignFailure::MissingKeys { found, needed, missing }) => {
                    return Err(ApiError::Unknown {
                        detail: Some(json!({"FoundKeys": found, "NeededKeys": needed, "MissingKeyIDs": missing})),
                        cause: format!("{gun}: snapshot expired and the server does not hold its key"),
                    });
                }
                Err(SignFailure::Trust(e)) => return Err(trust_error(e)),
            };
            self.metrics.record_resign("snapshot");
            files.push(NewFile {
                role: "snapshot".into(),
                version: next.version,
                data: snapshot_raw.clone(),
            });
        }
        let timestamp = upload::next_timestamp(Some(timestamp_file.version), &snapshot_raw, now);
        let raw = match self.sign(&root, &RoleName::Timestamp, &timestamp).await {
            Ok(raw) => raw,
            Err(SignFailure::MissingKeys { found, needed, missing }) => {
                return Err(ApiError::Unknown {
                    detail: Some(json!({"FoundKeys": found, "NeededKeys": needed, "MissingKeyIDs": missing})),
                    cause: format!("{gun}: timestamp needs re-signing and the server does not hold its key"),
                });
            }
            Err(SignFailure::Trust(e)) => return Err(trust_error(e)),
        };
        self.metrics.record_resign("timestamp");
        files.push(NewFile {
            role: "timestamp".into(),
            version: timestamp.version,
            data: raw,
        });
        match self.store.update_many(gun, &files).await {
            Ok(()) => {}
            // Another writer re-signed first (server-behaviour.md §5.1): serve the winner.
            Err(notary_storage::StoreError::VersionConflict) => {
                let state = GunState::new(self.store.current(gun).await?);
                return Ok(self.install(gun, Some(state)).unwrap_or_default());
            }
            Err(e) => return Err(e.into()),
        }
        let state = GunState::new(overlay(current, files, now));
        Ok(self.install(gun, Some(state)).unwrap_or_default())
    }

    /// Signs `body` as `role` with every key of the root's role that the trust service holds.
    async fn sign<B: RoleBody>(&self, root: &Root, role: &RoleName, body: &B) -> Result<Vec<u8>, SignFailure> {
        let canonical = canonical_body(body).map_err(|e| SignFailure::Trust(TrustError::Other(e.to_string())))?;
        let Some(keys) = root.role(role) else {
            return Err(SignFailure::MissingKeys {
                found: 0,
                needed: 1,
                missing: Vec::new(),
            });
        };
        let mut signatures = Vec::new();
        let mut missing = Vec::new();
        for id in &keys.keyids {
            match self.trust.key_info(id).await.map_err(SignFailure::Trust)? {
                Some(_) => {
                    signatures.push(self.trust.sign(id, &canonical).await.map_err(SignFailure::Trust)?);
                    self.metrics.record_signature(role.as_str());
                }
                None => missing.push(id.clone()),
            }
        }
        let needed = keys.threshold.max(1);
        if (signatures.len() as i64) < needed {
            return Err(SignFailure::MissingKeys {
                found: signatures.len(),
                needed,
                missing,
            });
        }
        Ok(envelope(&canonical, &signatures))
    }
}

enum SignFailure {
    MissingKeys {
        found: usize,
        needed: i64,
        missing: Vec<KeyId>,
    },
    Trust(TrustError),
}

fn trust_error(e: TrustError) -> ApiError {
    match e {
        TrustError::Unavailable(cause) => ApiError::Unavailable(cause),
        other => ApiError::internal(other),
    }
}

/// A GUN's current files, as served.
#[derive(Debug, Default)]
struct GunState {
    files: CurrentFiles,
    served: HashMap<String, ServedFile>,
    /// When the current timestamp and snapshot expire, and whether the timestamp names the
    /// current snapshot's bytes: what decides lazy re-signing.
    timestamp_expires: Option<OffsetDateTime>,
    snapshot_expires: Option<OffsetDateTime>,
    timestamp_matches_snapshot: bool,
}

impl GunState {
    fn new(files: CurrentFiles) -> GunState {
        let served = files.iter().map(|(role, file)| (role.clone(), served(file))).collect();
        let timestamp = parse_current::<Timestamp>(&files, "timestamp").ok().flatten();
        let snapshot = parse_current::<Snapshot>(&files, "snapshot").ok().flatten();
        let timestamp_matches_snapshot = match (&timestamp, files.get("snapshot")) {
            (Some(ts), Some(snapshot_file)) => ts
                .snapshot_meta()
                .and_then(|m| m.sha256())
                .is_some_and(|h| hex::encode(h) == snapshot_file.sha256),
            _ => false,
        };
        GunState {
            timestamp_expires: timestamp.map(|t| t.expires.instant()),
            snapshot_expires: snapshot.map(|s| s.expires.instant()),
            timestamp_matches_snapshot,
            served,
            files,
        }
    }

    fn needs_resign(&self, now: OffsetDateTime) -> bool {
        let (Some(ts), Some(snap)) = (self.timestamp_expires, self.snapshot_expires) else {
            return false;
        };
        ts <= now || snap <= now || !self.timestamp_matches_snapshot
    }

    fn served(&self, role: &str) -> Option<ServedFile> {
        self.served.get(role).cloned()
    }
}

/// The state after storing `files`: `current` with those files as the new current versions.
fn overlay(mut current: CurrentFiles, files: Vec<NewFile>, now: OffsetDateTime) -> CurrentFiles {
    for file in files {
        let sha256 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &file.data));
        current.insert(
            file.role.clone(),
            StoredFile {
                role: file.role,
                version: file.version,
                data: file.data.into(),
                sha256,
                created_at: now,
            },
        );
    }
    current
}

fn served(file: &StoredFile) -> ServedFile {
    let date = crate::http::http_date(file.created_at);
    ServedFile {
        data: Bytes::from_owner(ArcBytes(file.data.clone())),
        modified: file.created_at,
        last_modified: http::HeaderValue::from_str(&date).unwrap_or_else(|_| http::HeaderValue::from_static("")),
    }
}

/// Lets `Bytes` share a stored file's `Arc<[u8]>` without copying it.
struct ArcBytes(Arc<[u8]>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn parse_current<B: RoleBody>(files: &CurrentFiles, role: &str) -> Result<Option<B>, ApiError>
where
    Signed<B>: Sized,
{
    let Some(file) = files.get(role) else {
        return Ok(None);
    };
    let signed = Signed::<B>::parse(file.data.to_vec()).map_err(ApiError::internal)?;
    Ok(Some(signed.into_parts().1))
}

/// The store's current files as the upload rules see them.
struct StoredView<'a>(&'a CurrentFiles);

impl StoredMetadata for StoredView<'_> {
    fn current(&self, role: &str) -> Option<&[u8]> {
        self.0.get(role).map(|f| &*f.data)
    }
}

/// FNV-1a: a hasher with no per-process seed, for picking lock stripes.
#[derive(Default)]
struct FixedHasher(u64);

impl Hasher for FixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The JSON body of the key routes: `{"keytype":…,"keyval":{"public":…,"private":null}}`.
pub fn key_json(key: &PublicKey) -> Vec<u8> {
    use base64::Engine as _;
    let public = base64::engine::general_purpose::STANDARD.encode(key.public_bytes());
    let mut out = Vec::with_capacity(public.len() + 64);
    out.extend_from_slice(b"{\"keytype\":");
    let _ = serde_json::to_writer(&mut out, &Value::from(key.key_type().as_str()));
    out.extend_from_slice(b",\"keyval\":{\"public\":\"");
    out.extend_from_slice(public.as_bytes());
    out.extend_from_slice(b"\",\"private\":null}}");
    out
}
