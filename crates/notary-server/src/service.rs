//! One operation per API route, over the pure upload rules of `notary_tuf::upload`
//! (server-behaviour.md §2–§7), plus the cache of current metadata.
//!
//! **Cache.** Reads of current metadata (`{role}.json`) are answered from memory: one map lookup,
//! no database round trip. The cache ([`MetadataCache`]) holds each GUN's highest-version files as
//! loaded from the store. Expiry is checked on every read of `timestamp.json`/`snapshot.json`, so
//! an expired timestamp is re-signed (§5.1) even when cached. How the cache stays current depends
//! on who else writes the database ([`CachePolicy`]):
//!
//! - *Sole writer* (SQLite): every change passes through this process, which replaces the GUN's
//!   entry under its write lock after each publish, re-sign and delete.
//! - *Shared database* (PostgreSQL): every write transaction of every server sends a `NOTIFY` with
//!   the GUN (delivered at commit; `notary_storage::postgres`, "Change notifications"), and each
//!   server holds one listener connection that evicts the GUN on receipt
//!   ([`Service::metadata_changed`]). The cache serves reads only while that listener is
//!   connected ([`Service::set_cache_coherent`]): before it first connects and from the moment it
//!   drops, every read goes to the database; each (re)connection starts a new cache epoch, since
//!   notifications may have been missed. A load takes a ticket before its query and is installed
//!   only if no eviction (and no epoch change) happened meanwhile, so a load racing a change is
//!   never cached after the change's eviction. Writes of this server evict instead of installing
//!   what they wrote (a later write by another server may already have been notified).
//!
//!   Staleness bound: each listener acknowledges every change after evicting it, and a write
//!   returns only once every listener session counted in its transaction has acknowledged
//!   (waiting at most 200 ms; `notary_storage::postgres`, "Change notifications"). So once a
//!   publish returns, no server that was listening still holds the old state. What remains: a
//!   server that takes longer than 200 ms to apply a change (stalled) can serve the old state
//!   until it does; a write made while its own server's listener is reconnecting does not wait
//!   (acknowledgements arrive through that listener); a listener connection that dies silently
//!   (no FIN/RST) is noticed only when the OS gives up on the socket, and until then that server
//!   can serve data as old as the failure. Writers that do not notify (Go notary-server sharing
//!   the database) are not seen at all: run only notary-rs servers on a database when caching.
//!
//!   Why notifications rather than a version check per read: the goal is read throughput (30× Go's
//!   ~1,000 req/s and more); a check per read is a database round trip per request, the very cost
//!   the cache removes, and would cap reads at what the database answers. Notifications cost one
//!   idle connection per server and, per write, one message to each server and one
//!   acknowledgement from each.
//!
//! **Database outage.** Writes then answer 503 `UNAVAILABLE`. Reads of a GUN whose last known
//! state is still unexpired (root, targets, snapshot and timestamp) are answered from it; others
//! get 503. While the database is reachable nothing but its current state is served, except
//! for at most [`OUTAGE_RETRY`] after an operation found it unreachable: operations then fail at
//! once rather than each waiting out the connection timeout.
//!
//! **Writes** of one GUN are serialised by a striped lock, so a publish validates against the state
//! it will replace; the store's version rule (one transaction) still guards against other writers.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use notary_storage::{Change, ChangeQuery, CurrentFiles, MetadataStore, NewFile, StoreError, StoredFile};
use notary_tuf::metadata::{RoleBody, Root, Signed, Snapshot, Targets, Timestamp, canonical_body, envelope};
use notary_tuf::name::{Gun, RoleName};
use notary_tuf::upload::{self, StoredMetadata, UploadError};
use notary_tuf::{KeyId, PublicKey};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::cache::{MetadataCache, stripe};
use crate::error::ApiError;
use crate::metrics::{CacheResult, Metrics, StoreOperation};
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
    /// Other servers may write the same database (PostgreSQL): the cache serves reads only while
    /// change notifications arrive (module docs), starting incoherent.
    SharedDatabase,
}

/// The server's operations, generic over its store and signing service.
pub struct Service<S, T> {
    store: Arc<S>,
    trust: Arc<T>,
    clock: Clock,
    metrics: Arc<Metrics>,
    cache: MetadataCache<GunState>,
    cache_policy: CachePolicy,
    /// Until when the database counts as unreachable, after an operation found it so.
    outage_until: Mutex<Option<Instant>>,
    locks: Vec<tokio::sync::Mutex<()>>,
}

/// How long after finding the database unreachable store operations fail at once (reads then
/// answer from the last known state, writes 503) before one tries the database again. Waiting for
/// a refused database costs the pool's acquire timeout (3 s) per operation; this bounds how often
/// that is paid, at the price of answering from memory (or 503) for up to this long after the
/// database is back, unless the health check (every 2 s) sees it first.
pub const OUTAGE_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Number of write-lock stripes: GUNs that hash alike share a lock, which only costs parallelism.
const LOCK_STRIPES: usize = 64;

/// A write's result as the API reports it: an unreachable database is `UNAVAILABLE` (503), any
/// other failure `UPDATING` (500), a version conflict `VERSION`.
fn write_error(e: StoreError) -> ApiError {
    match e {
        StoreError::VersionConflict => ApiError::Version,
        StoreError::Unreachable(cause) => ApiError::Unavailable(cause),
        StoreError::Backend(cause) => ApiError::Updating(cause),
    }
}

impl<S: MetadataStore, T: TrustService> Service<S, T> {
    /// A service over `store` and `trust`.
    pub fn new(store: Arc<S>, trust: Arc<T>, clock: Clock, metrics: Arc<Metrics>, cache_policy: CachePolicy) -> Self {
        let coherent = cache_policy == CachePolicy::SoleWriter;
        metrics.set_cache_coherent(coherent);
        Service {
            cache_policy,
            store,
            trust,
            clock,
            metrics,
            cache: MetadataCache::new(coherent),
            outage_until: Mutex::new(None),
            locks: (0..LOCK_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// The change listener connected (`true`) or was lost (`false`): starts a new cache epoch in
    /// which the cache serves reads or not (module docs, "Shared database").
    pub fn set_cache_coherent(&self, coherent: bool) {
        self.cache.set_coherent(coherent);
        self.metrics.set_cache_coherent(coherent);
    }

    /// Whether the cache currently serves reads.
    pub fn cache_is_coherent(&self) -> bool {
        self.cache.is_coherent()
    }

    /// `gun` changed in the database (a change notification): forget its cached state.
    pub fn metadata_changed(&self, gun: &str) {
        self.cache.evict(gun);
    }

    /// The `/metrics` text, with the store's connection pool.
    pub fn render_metrics(&self) -> String {
        self.metrics.render_with_pool(self.store.pool_stats())
    }

    /// The `DB operational` health check, timed.
    /// Always asks the database (a success ends an outage early; see [`OUTAGE_RETRY`]).
    pub async fn check_store_health(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.store.check_health().await;
        self.metrics
            .record_store(StoreOperation::CheckHealth, started.elapsed());
        self.note_outage(&result);
        result
    }

    /// Runs one store operation, recording its latency. Within [`OUTAGE_RETRY`] of finding the
    /// database unreachable it fails at once instead of waiting out the connection timeout again.
    async fn timed<R>(
        &self,
        operation: StoreOperation,
        call: impl Future<Output = Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        if self.outage_ongoing() {
            return Err(StoreError::Unreachable(
                "the database was unreachable moments ago".into(),
            ));
        }
        let started = Instant::now();
        let result = call.await;
        self.metrics.record_store(operation, started.elapsed());
        self.note_outage(&result);
        result
    }

    fn outage_ongoing(&self) -> bool {
        let until = self.outage_until.lock().unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|until| Instant::now() < until)
    }

    fn note_outage<R>(&self, result: &Result<R, StoreError>) {
        let mut until = self.outage_until.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Err(StoreError::Unreachable(_)) => *until = Some(Instant::now() + OUTAGE_RETRY),
            Ok(_) => *until = None,
            Err(_) => {}
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
        let matches = |file: &StoredFile| file.sha256 == hex;
        if let Some(state) = self.cache.get(gun)
            && let Some(file) = state.files.get(role).filter(|file| matches(file))
        {
            return Ok(served(file));
        }
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        match self
            .timed(StoreOperation::ByChecksum, self.store.by_checksum(gun, role, &hex))
            .await
        {
            Ok(file) => file.as_ref().map(served).ok_or(ApiError::MetadataNotFound),
            Err(StoreError::Unreachable(cause)) => self.last_known_file(gun, role, matches, cause),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET {version}.{role}.json`: that exact stored version.
    pub async fn by_version(&self, gun: &str, role: &str, version: i64) -> Result<ServedFile, ApiError> {
        if version < 1 {
            return Err(ApiError::MetadataNotFound);
        }
        let matches = |file: &StoredFile| file.version == version;
        if let Some(state) = self.cache.get(gun)
            && let Some(file) = state.files.get(role).filter(|file| matches(file))
        {
            return Ok(served(file));
        }
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        match self
            .timed(StoreOperation::ByVersion, self.store.by_version(gun, role, version))
            .await
        {
            Ok(file) => file.as_ref().map(served).ok_or(ApiError::MetadataNotFound),
            Err(StoreError::Unreachable(cause)) => self.last_known_file(gun, role, matches, cause),
            Err(e) => Err(e.into()),
        }
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
        let current = self
            .timed(StoreOperation::Current, self.store.current(gun.as_str()))
            .await?;
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

        self.timed(StoreOperation::UpdateMany, self.store.update_many(gun.as_str(), &files))
            .await
            .map_err(write_error)?;
        let state = GunState::new(overlay(current, files, now));
        if let Some(ts) = state.files.get("timestamp") {
            tracing::info!(
                gun = gun.as_str(),
                "updated {gun} to timestamp version {}, checksum {}",
                ts.version,
                ts.sha256
            );
        }
        self.written(gun.as_str(), Some(state));
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
        match self.timed(StoreOperation::Delete, self.store.delete(gun)).await {
            Ok(_) => {
                self.written(gun, None);
                Ok(())
            }
            // Nothing can be read or written meanwhile; the last known state stays for reads.
            Err(StoreError::Unreachable(cause)) => Err(ApiError::Unavailable(cause)),
            Err(other) => {
                self.written(gun, None);
                Err(ApiError::Updating(other.to_string()))
            }
        }
    }

    /// The changefeed page (server-api.md §7.9).
    pub async fn changes(&self, query: &ChangeQuery) -> Result<Vec<Change>, ApiError> {
        Ok(self.timed(StoreOperation::Changes, self.store.changes(query)).await?)
    }

    /// The cached state of `gun`, loading it from the store on a miss; the last known state when
    /// the database cannot be reached and that state is unexpired.
    async fn state(&self, gun: &str) -> Result<Arc<GunState>, ApiError> {
        if let Some(state) = self.cache.get(gun) {
            self.metrics.record_cache(CacheResult::Hit);
            return Ok(state);
        }
        // Names no upload could have created are simply not found (no database query).
        if gun.parse::<Gun>().is_err() {
            return Err(ApiError::MetadataNotFound);
        }
        // No lock: the ticket keeps a load that races a change from being cached after it.
        let ticket = self.cache.ticket(gun);
        let files = match self.timed(StoreOperation::Current, self.store.current(gun)).await {
            Ok(files) => files,
            Err(StoreError::Unreachable(cause)) => return self.last_known(gun, cause),
            Err(e) => return Err(e.into()),
        };
        self.metrics.record_cache(CacheResult::Miss);
        let state = Arc::new(GunState::new(files));
        // Unknown GUNs are not cached: a flood of random names must not grow memory.
        if !state.files.is_empty() {
            self.cache.install(gun, state.clone(), ticket);
        }
        Ok(state)
    }

    /// The last known state of `gun` while the database is unreachable, if nothing in it expired.
    fn last_known(&self, gun: &str, cause: String) -> Result<Arc<GunState>, ApiError> {
        match self.cache.last_known(gun) {
            Some(state) if state.unexpired((self.clock)()) => {
                self.metrics.record_cache(CacheResult::LastKnown);
                Ok(state)
            }
            _ => Err(ApiError::Unavailable(cause)),
        }
    }

    /// One file of the last known state of `gun` while the database is unreachable.
    fn last_known_file(
        &self,
        gun: &str,
        role: &str,
        matches: impl Fn(&StoredFile) -> bool,
        cause: String,
    ) -> Result<ServedFile, ApiError> {
        let state = self.last_known(gun, cause.clone())?;
        let file = state.files.get(role).filter(|file| matches(file));
        file.map(served).ok_or(ApiError::Unavailable(cause))
    }

    /// Updates the cache after this process changed `gun` (`state` is what it wrote, `None` after
    /// a delete) and returns the state to serve. A sole writer caches it; on a shared database the
    /// GUN is evicted instead, since another server's later write may already have been notified.
    fn written(&self, gun: &str, state: Option<GunState>) -> Arc<GunState> {
        let state = Arc::new(state.unwrap_or_default());
        match self.cache_policy {
            CachePolicy::SoleWriter => {
                let cached = (!state.files.is_empty()).then(|| state.clone());
                self.cache.replace(gun, cached);
            }
            CachePolicy::SharedDatabase => self.cache.evict(gun),
        }
        state
    }

    async fn lock(&self, gun: &str) -> tokio::sync::MutexGuard<'_, ()> {
        self.locks[stripe(gun) % LOCK_STRIPES].lock().await
    }

    /// Lazy re-signing (server-behaviour.md §5.1): a new snapshot when the current one expired,
    /// and a new timestamp when it expired or no longer names the current snapshot.
    async fn resign(&self, gun: &str) -> Result<Arc<GunState>, ApiError> {
        let _write = self.lock(gun).await;
        let ticket = self.cache.ticket(gun);
        let current = self.timed(StoreOperation::Current, self.store.current(gun)).await?;
        let now = (self.clock)();
        let state = Arc::new(GunState::new(current.clone()));
        if !state.needs_resign(now) {
            // Another writer re-signed already.
            self.cache.install(gun, state.clone(), ticket);
            return Ok(state);
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
        match self
            .timed(StoreOperation::UpdateMany, self.store.update_many(gun, &files))
            .await
        {
            Ok(()) => {}
            // Another writer re-signed first (server-behaviour.md §5.1): serve the winner.
            Err(StoreError::VersionConflict) => {
                let ticket = self.cache.ticket(gun);
                let state = Arc::new(GunState::new(
                    self.timed(StoreOperation::Current, self.store.current(gun)).await?,
                ));
                self.cache.install(gun, state.clone(), ticket);
                return Ok(state);
            }
            Err(e) => return Err(e.into()),
        }
        Ok(self.written(gun, Some(GunState::new(overlay(current, files, now)))))
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
    /// When the root and top-level targets expire (only consulted during a database outage).
    root_expires: Option<OffsetDateTime>,
    targets_expires: Option<OffsetDateTime>,
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
        let root_expires = parse_current::<Root>(&files, "root")
            .ok()
            .flatten()
            .map(|r| r.expires.instant());
        let targets_expires = parse_current::<Targets>(&files, "targets")
            .ok()
            .flatten()
            .map(|t| t.expires.instant());
        GunState {
            root_expires,
            targets_expires,
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

    /// Whether root, targets, snapshot and timestamp are all present and unexpired at `now`, and
    /// the timestamp names the snapshot: fit to serve from memory while the database is away.
    fn unexpired(&self, now: OffsetDateTime) -> bool {
        let expiries = [
            self.root_expires,
            self.targets_expires,
            self.snapshot_expires,
            self.timestamp_expires,
        ];
        self.timestamp_matches_snapshot && expiries.iter().all(|e| e.is_some_and(|e| e > now))
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
