//! [`AnyStore`]: the backend a configuration selects, as one type, so the server and the signer
//! are written once for every backend.

use crate::sqlite::SqliteStore;
use crate::{
    Change, ChangeQuery, CurrentFiles, KeyStore, MetadataStore, NewFile, PoolStats, SealedKey, StoreError, StoredFile,
};

/// One of the backends.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// PostgreSQL (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(crate::postgres::PostgresStore),
}

impl AnyStore {
    /// Closes the connections.
    pub async fn close(&self) {
        match self {
            AnyStore::Sqlite(s) => s.close().await,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) => s.close().await,
        }
    }
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $call,
        }
    };
}

impl MetadataStore for AnyStore {
    async fn update_many(&self, gun: &str, files: &[NewFile]) -> Result<(), StoreError> {
        each!(self, s => s.update_many(gun, files).await)
    }

    async fn current(&self, gun: &str) -> Result<CurrentFiles, StoreError> {
        each!(self, s => s.current(gun).await)
    }

    async fn by_checksum(&self, gun: &str, role: &str, sha256_hex: &str) -> Result<Option<StoredFile>, StoreError> {
        each!(self, s => s.by_checksum(gun, role, sha256_hex).await)
    }

    async fn by_version(&self, gun: &str, role: &str, version: i64) -> Result<Option<StoredFile>, StoreError> {
        each!(self, s => s.by_version(gun, role, version).await)
    }

    async fn delete(&self, gun: &str) -> Result<bool, StoreError> {
        each!(self, s => s.delete(gun).await)
    }

    async fn changes(&self, query: &ChangeQuery) -> Result<Vec<Change>, StoreError> {
        each!(self, s => s.changes(query).await)
    }

    async fn check_health(&self) -> Result<(), StoreError> {
        each!(self, s => s.check_health().await)
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        each!(self, s => s.pool_stats())
    }
}

impl KeyStore for AnyStore {
    async fn put_key(&self, key: &SealedKey) -> Result<(), StoreError> {
        each!(self, s => s.put_key(key).await)
    }

    async fn key(&self, key_id: &str) -> Result<Option<SealedKey>, StoreError> {
        each!(self, s => s.key(key_id).await)
    }

    async fn unused_key(&self, gun: &str, role: &str, algorithm: &str) -> Result<Option<SealedKey>, StoreError> {
        each!(self, s => s.unused_key(gun, role, algorithm).await)
    }

    async fn mark_used(&self, key_id: &str) -> Result<(), StoreError> {
        each!(self, s => s.mark_used(key_id).await)
    }

    async fn delete_key(&self, key_id: &str) -> Result<(), StoreError> {
        each!(self, s => s.delete_key(key_id).await)
    }

    async fn all_keys(&self) -> Result<Vec<SealedKey>, StoreError> {
        each!(self, s => s.all_keys().await)
    }

    async fn reseal_key(&self, key_id: &str, sealed_private: &[u8], passphrase_alias: &str) -> Result<(), StoreError> {
        each!(self, s => s.reseal_key(key_id, sealed_private, passphrase_alias).await)
    }
}
