//! Storage for notary-server and notary-signer: metadata files, the changefeed
//! (`shared/spec/server-behaviour.md` §6) and sealed private keys.
//!
//! The traits are the whole contract a backend fulfils; [`sqlite::SqliteStore`] is the embedded
//! default and `postgres::PostgresStore` (cargo feature `postgres`) is a second implementation of
//! the same traits, on Go notary's PostgreSQL schema. Every file is stored as its exact bytes,
//! with the lower-case hex SHA-256 of those bytes. Keys arrive already sealed (encrypted): this
//! crate never sees plaintext key material. No TUF rules live here.

pub mod any;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sql;
pub mod sqlite;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use time::OffsetDateTime;

/// A file to store: one version of one role of one GUN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// `root`, `targets`, `targets/…`, `snapshot` or `timestamp`.
    pub role: String,
    /// Its `signed.version`.
    pub version: i64,
    /// The exact bytes to store and serve.
    pub data: Vec<u8>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The role.
    pub role: String,
    /// Its version.
    pub version: i64,
    /// The exact stored bytes.
    pub data: Arc<[u8]>,
    /// Lower-case hex SHA-256 of `data`.
    pub sha256: String,
    /// When it was stored (UTC).
    pub created_at: OffsetDateTime,
}

/// The current (highest-version) file of every role of one GUN, by role name.
pub type CurrentFiles = BTreeMap<String, StoredFile>;

/// What a changefeed record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCategory {
    /// A timestamp was stored (by an upload or a lazy re-sign).
    Update,
    /// A GUN was deleted.
    Deletion,
}

impl ChangeCategory {
    /// The wire and column value: `update` or `deletion`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeCategory::Update => "update",
            ChangeCategory::Deletion => "deletion",
        }
    }

    /// The category named by a column value (`update` or `deletion`, exactly), if any.
    pub fn parse(value: &str) -> Option<ChangeCategory> {
        match value {
            "update" => Some(ChangeCategory::Update),
            "deletion" => Some(ChangeCategory::Deletion),
            _ => None,
        }
    }
}

/// One changefeed record (server-api.md §7.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The row id, increasing.
    pub id: i64,
    /// When it was written (UTC).
    pub created_at: OffsetDateTime,
    /// The GUN.
    pub gun: String,
    /// The timestamp version (0 for deletions).
    pub version: i64,
    /// Hex SHA-256 of the timestamp file (empty for deletions).
    pub sha256: String,
    /// Update or deletion.
    pub category: ChangeCategory,
}

/// Which slice of the changefeed to read: SQL semantics of server-api.md §7.9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeQuery {
    /// Only this GUN (exact match), or every GUN.
    pub gun: Option<String>,
    /// Forward: IDs greater than this. Backward: IDs less than this (no bound when ≤ 0).
    pub change_id: i64,
    /// How many records at most (> 0).
    pub limit: i64,
    /// Page backwards: the `limit` newest matching records, returned oldest first.
    pub backward: bool,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row's version is not greater than every stored version of its role (Go's `VERSION`), or
    /// one update holds two rows of the same role and version.
    #[error("a newer version of metadata is already stored")]
    VersionConflict,
    /// The database cannot be reached: connection refused or lost, no pooled connection within
    /// the acquire timeout, the server shutting down. Callers answer "unavailable" (and may fall
    /// back to data they already hold) instead of reporting a failed operation.
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// The database failed otherwise (a query error, corruption, a constraint).
    #[error("storage failure: {0}")]
    Backend(String),
}

/// How a store's connection pool is used right now (for metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections checked out by running operations.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

/// Metadata files and the changefeed (server-behaviour.md §6.1).
pub trait MetadataStore: Send + Sync + 'static {
    /// Stores `files` for `gun` in one transaction: all or nothing. Fails with
    /// [`StoreError::VersionConflict`] when any file's version is not greater than every stored
    /// version of its role. Each `timestamp` file appends an `update` changefeed record in the same
    /// transaction.
    fn update_many(&self, gun: &str, files: &[NewFile]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The highest-version file of every role of `gun` (empty when the GUN has nothing).
    fn current(&self, gun: &str) -> impl Future<Output = Result<CurrentFiles, StoreError>> + Send;

    /// The file of `gun`/`role` whose SHA-256 is `sha256_hex` (lower-case hex).
    fn by_checksum(
        &self,
        gun: &str,
        role: &str,
        sha256_hex: &str,
    ) -> impl Future<Output = Result<Option<StoredFile>, StoreError>> + Send;

    /// The file of `gun`/`role` with that version.
    fn by_version(
        &self,
        gun: &str,
        role: &str,
        version: i64,
    ) -> impl Future<Output = Result<Option<StoredFile>, StoreError>> + Send;

    /// Deletes every file of exactly `gun`; appends a `deletion` record when something was deleted.
    /// Returns whether anything was deleted.
    fn delete(&self, gun: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A page of the changefeed, oldest first.
    fn changes(&self, query: &ChangeQuery) -> impl Future<Output = Result<Vec<Change>, StoreError>> + Send;

    /// Whether the metadata table can be read (the `DB operational` health check).
    fn check_health(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The connection pool's use, for backends with a pool worth watching (PostgreSQL).
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}

/// A private key, sealed (encrypted) by its signing service: the store never sees plaintext key
/// material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// The TUF key ID (hex SHA-256 of the public key's canonical JSON).
    pub key_id: String,
    /// The GUN it was made for.
    pub gun: String,
    /// `snapshot` or `timestamp`.
    pub role: String,
    /// `ed25519`, `ecdsa` or `rsa`.
    pub algorithm: String,
    /// The public key bytes (as in the key's `keyval.public`).
    pub public: Vec<u8>,
    /// The AEAD nonce ‖ ciphertext of the private key.
    pub sealed_private: Vec<u8>,
    /// Names the secret the key is sealed under, so keys can be re-sealed under a new one.
    pub passphrase_alias: String,
    /// How `sealed_private` is protected (the `keywrap_alg` column): `PBES2-HS256+A128KW` for a
    /// Go-compatible JWE (notary-signer), [`LOCAL_SEAL_FORMAT`] for the server's local sealing.
    pub keywrap_alg: String,
    /// Set once the key signed something; unused keys are handed out again by `create_key`.
    pub used: bool,
}

/// `keywrap_alg` of keys sealed by notary-server's local signing service (its own AES-256-GCM
/// format, not a JWE).
pub const LOCAL_SEAL_FORMAT: &str = "notary-rs-seal-v1";

/// Storage of a signing service's sealed keys.
pub trait KeyStore: Send + Sync + 'static {
    /// Stores a new key (its key ID is unique).
    fn put_key(&self, key: &SealedKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The key with that ID.
    fn key(&self, key_id: &str) -> impl Future<Output = Result<Option<SealedKey>, StoreError>> + Send;

    /// A key for `gun`/`role`/`algorithm` that has never signed anything, if any (oldest first).
    fn unused_key(
        &self,
        gun: &str,
        role: &str,
        algorithm: &str,
    ) -> impl Future<Output = Result<Option<SealedKey>, StoreError>> + Send;

    /// Records that the key signed something.
    fn mark_used(&self, key_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Soft-deletes the key (Go's `deleted_at`): invisible to every other call afterwards. An
    /// unknown key ID is not an error.
    fn delete_key(&self, key_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every key that is not deleted, oldest first (for re-sealing under a new secret).
    fn all_keys(&self) -> impl Future<Output = Result<Vec<SealedKey>, StoreError>> + Send;

    /// Replaces a key's sealed private part and the alias it is sealed under.
    fn reseal_key(
        &self,
        key_id: &str,
        sealed_private: &[u8],
        passphrase_alias: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
