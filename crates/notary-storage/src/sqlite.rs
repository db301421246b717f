//! The embedded SQLite backend of [`MetadataStore`] and [`KeyStore`].
//!
//! Tables and columns carry Go notary 0.7's names (`shared/spec/server-behaviour.md` §6.2,
//! `shared/spec/signer.md` §6.2); the schema lives in `migrations/sqlite/` and is applied by
//! [`SqliteStore::open`]. Times are stored as TEXT, RFC 3339 UTC with nine fractional digits.
//!
//! Writers take the database lock up front (`BEGIN IMMEDIATE`), so concurrent publishes to one
//! file serialise instead of failing when a read lock would be upgraded. A file database runs in
//! WAL mode with `synchronous=FULL`: a publish that returned `Ok` survives a crash.
//!
//! Deliberate deviations from Go's SQL store: the version check runs inside the write transaction
//! (Go checks outside it and races), and `tuf_files.deleted_at` is not consulted on reads because
//! rows are only ever hard-deleted (Go's GORM layer filters on it, but never sets it).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sql::{TIMESTAMP_ROLE, backend, distinct_role_versions, sha256_hex};
use crate::{
    Change, ChangeCategory, ChangeQuery, CurrentFiles, KeyStore, MetadataStore, NewFile, SealedKey, StoreError,
    StoredFile,
};

/// A SQLite database holding TUF files, the changefeed and sealed keys.
///
/// Cloning is cheap: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it and its parent directory if missing) the database file at `path` and
    /// applies any pending migrations.
    ///
    /// The file runs in WAL mode with `synchronous=FULL`, a 5-second busy timeout, foreign keys on
    /// and a pool of four connections; other processes may open the same file.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError::Backend(format!("cannot create directory {}: {err}", parent.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await
            .map_err(backend(&format!("cannot open {}", path.display())))?;
        SqliteStore::with_pool(pool).await
    }

    /// Opens a fresh, private in-memory database (for tests and development).
    ///
    /// It lives as long as the store: the pool holds exactly one connection that is never
    /// recycled, because every SQLite connection to `:memory:` is a database of its own.
    pub async fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend("cannot open an in-memory database"))?;
        SqliteStore::with_pool(pool).await
    }

    /// Closes every connection; waits for running operations to finish. Later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn with_pool(pool: SqlitePool) -> Result<SqliteStore, StoreError> {
        migrate(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

impl MetadataStore for SqliteStore {
    /// The version rule of server-behaviour.md §2.7, exactly as Go applies it: every file is
    /// compared with the rows stored *before* this call, and two files with the same role and
    /// version in one call conflict (two different versions of one role in one call do not).
    async fn update_many(&self, gun: &str, files: &[NewFile]) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        if !distinct_role_versions(files) {
            return Err(StoreError::VersionConflict);
        }

        let now = format_time(OffsetDateTime::now_utc());
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("cannot begin an update"))?;
        let newest: HashMap<String, i64> =
            sqlx::query_as("SELECT role, MAX(version) FROM tuf_files WHERE gun = ?1 GROUP BY role")
                .bind(gun)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend("cannot read stored versions"))?
                .into_iter()
                .collect();
        if files
            .iter()
            .any(|file| newest.get(&file.role).is_some_and(|&stored| stored >= file.version))
        {
            return Err(StoreError::VersionConflict);
        }

        for file in files {
            let sha256 = sha256_hex(&file.data);
            sqlx::query(
                "INSERT INTO tuf_files (created_at, updated_at, gun, role, version, data, sha256) \
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&now)
            .bind(gun)
            .bind(&file.role)
            .bind(file.version)
            .bind(file.data.as_slice())
            .bind(&sha256)
            .execute(&mut *tx)
            .await
            .map_err(|err| match err.as_database_error() {
                Some(db) if db.is_unique_violation() => StoreError::VersionConflict,
                _ => backend("cannot store a file")(err),
            })?;
            if file.role == TIMESTAMP_ROLE {
                append_change(&mut tx, &now, gun, file.version, &sha256, ChangeCategory::Update).await?;
            }
        }
        tx.commit().await.map_err(backend("cannot commit an update"))
    }

    async fn current(&self, gun: &str) -> Result<CurrentFiles, StoreError> {
        let rows: Vec<FileRow> = sqlx::query_as(
            "SELECT f.role, f.version, f.data, f.sha256, f.created_at \
             FROM (SELECT role, MAX(version) AS version FROM tuf_files WHERE gun = ?1 GROUP BY role) AS m \
             JOIN tuf_files AS f ON f.gun = ?1 AND f.role = m.role AND f.version = m.version",
        )
        .bind(gun)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("cannot read current files"))?;
        rows.into_iter()
            .map(|row| stored_file(row).map(|file| (file.role.clone(), file)))
            .collect()
    }

    async fn by_checksum(&self, gun: &str, role: &str, sha256_hex: &str) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<FileRow> = sqlx::query_as(
            "SELECT role, version, data, sha256, created_at FROM tuf_files \
             WHERE sha256 = ?1 AND gun = ?2 AND role = ?3 ORDER BY version DESC LIMIT 1",
        )
        .bind(sha256_hex)
        .bind(gun)
        .bind(role)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read a file by checksum"))?;
        row.map(stored_file).transpose()
    }

    async fn by_version(&self, gun: &str, role: &str, version: i64) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<FileRow> = sqlx::query_as(
            "SELECT role, version, data, sha256, created_at FROM tuf_files \
             WHERE gun = ?1 AND role = ?2 AND version = ?3",
        )
        .bind(gun)
        .bind(role)
        .bind(version)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read a file by version"))?;
        row.map(stored_file).transpose()
    }

    async fn delete(&self, gun: &str) -> Result<bool, StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("cannot begin a delete"))?;
        let deleted = sqlx::query("DELETE FROM tuf_files WHERE gun = ?1")
            .bind(gun)
            .execute(&mut *tx)
            .await
            .map_err(backend("cannot delete files"))?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        append_change(&mut tx, &now, gun, 0, "", ChangeCategory::Deletion).await?;
        tx.commit().await.map_err(backend("cannot commit a delete"))?;
        Ok(true)
    }

    /// A `limit` ≤ 0 selects nothing.
    async fn changes(&self, query: &ChangeQuery) -> Result<Vec<Change>, StoreError> {
        if query.limit <= 0 {
            return Ok(Vec::new());
        }
        // server-api.md §7.9: backward paging has no lower bound when change_id ≤ 0.
        let bound = if query.backward && query.change_id <= 0 {
            i64::MAX
        } else {
            query.change_id
        };
        let sql = match (query.backward, query.gun.is_some()) {
            (false, false) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id > ?1 ORDER BY id ASC LIMIT ?2"
            }
            (false, true) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id > ?1 AND gun = ?3 ORDER BY id ASC LIMIT ?2"
            }
            (true, false) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
            }
            (true, true) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id < ?1 AND gun = ?3 ORDER BY id DESC LIMIT ?2"
            }
        };
        let mut q = sqlx::query_as(sql).bind(bound).bind(query.limit);
        if let Some(gun) = &query.gun {
            q = q.bind(gun);
        }
        let rows: Vec<ChangeRow> = q
            .fetch_all(&self.pool)
            .await
            .map_err(backend("cannot read the changefeed"))?;
        let mut changes = rows.into_iter().map(change).collect::<Result<Vec<_>, _>>()?;
        if query.backward {
            changes.reverse();
        }
        Ok(changes)
    }

    async fn check_health(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1 FROM tuf_files LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(backend("cannot access table: tuf_files"))?;
        Ok(())
    }
}

impl KeyStore for SqliteStore {
    /// Writes a `private_keys` row with `encryption_alg` = [`ENCRYPTION_ALG`] and the key's
    /// `keywrap_alg` (the sealing is opaque here); `last_used` is set to now when `key.used`.
    /// A key ID that is already stored (even soft-deleted) fails with [`StoreError::Backend`].
    async fn put_key(&self, key: &SealedKey) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        sqlx::query(
            "INSERT INTO private_keys (created_at, updated_at, key_id, encryption_alg, keywrap_alg, algorithm, \
             passphrase_alias, gun, role, public, private, last_used) \
             VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(&now)
        .bind(&key.key_id)
        .bind(ENCRYPTION_ALG)
        .bind(&key.keywrap_alg)
        .bind(&key.algorithm)
        .bind(&key.passphrase_alias)
        .bind(&key.gun)
        .bind(&key.role)
        .bind(key.public.as_slice())
        .bind(key.sealed_private.as_slice())
        .bind(key.used.then_some(&now))
        .execute(&self.pool)
        .await
        .map_err(|err| match err.as_database_error() {
            Some(db) if db.is_unique_violation() => {
                StoreError::Backend(format!("key {} is already stored", key.key_id))
            }
            _ => backend("cannot store a key")(err),
        })?;
        Ok(())
    }

    async fn key(&self, key_id: &str) -> Result<Option<SealedKey>, StoreError> {
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT key_id, gun, role, algorithm, public, private, passphrase_alias, last_used IS NOT NULL, keywrap_alg \
             FROM private_keys WHERE key_id = ?1 AND deleted_at IS NULL",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read a key"))?;
        Ok(row.map(sealed_key))
    }

    /// The oldest (first stored) matching key that is not soft-deleted and has `last_used` NULL.
    async fn unused_key(&self, gun: &str, role: &str, algorithm: &str) -> Result<Option<SealedKey>, StoreError> {
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT key_id, gun, role, algorithm, public, private, passphrase_alias, last_used IS NOT NULL, keywrap_alg \
             FROM private_keys \
             WHERE gun = ?1 AND role = ?2 AND algorithm = ?3 AND last_used IS NULL AND deleted_at IS NULL \
             ORDER BY id ASC LIMIT 1",
        )
        .bind(gun)
        .bind(role)
        .bind(algorithm)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read an unused key"))?;
        Ok(row.map(sealed_key))
    }

    /// Sets `deleted_at` (and `updated_at`) to now; the row stays, as in Go (signer.md §4.3).
    async fn delete_key(&self, key_id: &str) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        sqlx::query(
            "UPDATE private_keys SET deleted_at = ?1, updated_at = ?1 WHERE key_id = ?2 AND deleted_at IS NULL",
        )
        .bind(&now)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .map_err(backend("cannot delete a key"))?;
        Ok(())
    }

    async fn all_keys(&self) -> Result<Vec<SealedKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT key_id, gun, role, algorithm, public, private, passphrase_alias, last_used IS NOT NULL, keywrap_alg \
             FROM private_keys WHERE deleted_at IS NULL ORDER BY id ASC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend("cannot read keys"))?;
        Ok(rows.into_iter().map(sealed_key).collect())
    }

    async fn reseal_key(&self, key_id: &str, sealed_private: &[u8], passphrase_alias: &str) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        sqlx::query(
            "UPDATE private_keys SET private = ?1, passphrase_alias = ?2, updated_at = ?3 \
             WHERE key_id = ?4 AND deleted_at IS NULL",
        )
        .bind(sealed_private)
        .bind(passphrase_alias)
        .bind(&now)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .map_err(backend("cannot re-seal a key"))?;
        Ok(())
    }

    /// Sets `last_used` (and `updated_at`) to now; an unknown key ID changes nothing.
    async fn mark_used(&self, key_id: &str) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        sqlx::query("UPDATE private_keys SET last_used = ?1, updated_at = ?1 WHERE key_id = ?2 AND deleted_at IS NULL")
            .bind(&now)
            .bind(key_id)
            .execute(&self.pool)
            .await
            .map_err(backend("cannot mark a key used"))?;
        Ok(())
    }
}

/// `tuf_files` columns: role, version, data, sha256, created_at.
type FileRow = (String, i64, Vec<u8>, String, String);

/// `changefeed` columns: id, created_at, gun, version, sha256, category.
type ChangeRow = (i64, String, String, i64, Option<String>, String);

/// `private_keys` columns: key_id, gun, role, algorithm, public, private, passphrase_alias, used.
type KeyRow = (String, String, String, String, Vec<u8>, Vec<u8>, String, bool, String);

/// Applies every migration not yet recorded in `schema_migrations`, each in its own transaction.
async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await
    .map_err(backend("cannot create schema_migrations"))?;

    for migration in MIGRATIONS {
        // IMMEDIATE: two processes opening a new file at once apply each migration only once.
        let mut tx = pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("cannot begin a migration"))?;
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(backend("cannot read schema_migrations"))?;
        let newest = newest.unwrap_or(0);
        if newest > LATEST_MIGRATION {
            return Err(StoreError::Backend(format!(
                "the database schema (version {newest}) is newer than this program's ({LATEST_MIGRATION})"
            )));
        }
        if newest >= migration.version {
            continue;
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(backend(&format!(
                "migration {} ({}) failed",
                migration.version, migration.name
            )))?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(format_time(OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await
            .map_err(backend("cannot record a migration"))?;
        tx.commit().await.map_err(backend("cannot commit a migration"))?;
    }
    Ok(())
}

/// Appends one changefeed record (server-behaviour.md §6.3) inside `tx`.
async fn append_change(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    now: &str,
    gun: &str,
    version: i64,
    sha256: &str,
    category: ChangeCategory,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO changefeed (created_at, gun, version, sha256, category) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(now)
        .bind(gun)
        .bind(version)
        .bind(sha256)
        .bind(category.as_str())
        .execute(&mut **tx)
        .await
        .map_err(backend("cannot append to the changefeed"))?;
    Ok(())
}

fn stored_file((role, version, data, sha256, created_at): FileRow) -> Result<StoredFile, StoreError> {
    Ok(StoredFile {
        role,
        version,
        data: data.into(),
        sha256,
        created_at: parse_time(&created_at)?,
    })
}

fn change((id, created_at, gun, version, sha256, category): ChangeRow) -> Result<Change, StoreError> {
    let category = ChangeCategory::parse(&category)
        .ok_or_else(|| StoreError::Backend(format!("changefeed record {id} has unknown category {category:?}")))?;
    Ok(Change {
        id,
        created_at: parse_time(&created_at)?,
        gun,
        version,
        // A CHAR(64) column copied from PostgreSQL pads the empty checksum with spaces.
        sha256: sha256.map(|sha256| sha256.trim_end().to_owned()).unwrap_or_default(),
        category,
    })
}

fn sealed_key(
    (key_id, gun, role, algorithm, public, sealed_private, passphrase_alias, used, keywrap_alg): KeyRow,
) -> SealedKey {
    SealedKey {
        keywrap_alg,
        key_id,
        gun,
        role,
        algorithm,
        public,
        sealed_private,
        passphrase_alias,
        used,
    }
}

/// RFC 3339 in UTC with exactly nine fractional digits, so the text sorts like the time.
fn format_time(time: OffsetDateTime) -> String {
    let time = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.nanosecond()
    )
}

fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|time| time.to_offset(time::UtcOffset::UTC))
        .map_err(|err| StoreError::Backend(format!("stored time {text:?} is not RFC 3339: {err}")))
}

/// One schema migration, embedded from `migrations/sqlite/`.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order; versions increase by one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "metadata",
        sql: include_str!("../migrations/sqlite/0001_metadata.sql"),
    },
    Migration {
        version: 2,
        name: "private_keys",
        sql: include_str!("../migrations/sqlite/0002_private_keys.sql"),
    },
];

const LATEST_MIGRATION: i64 = 2;

/// Go's value of `private_keys.encryption_alg` (signer.md §6.2), written for every key.
pub const ENCRYPTION_ALG: &str = "A256GCM";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const FILE_POOL_SIZE: u32 = 4;

#[cfg(test)]
mod tests {
    use time::{Date, Month, UtcOffset};

    use super::*;

    fn moment(nanosecond: u32) -> OffsetDateTime {
        Date::from_calendar_date(2026, Month::November, 22)
            .unwrap()
            .with_hms_nano(3, 42, 16, nanosecond)
            .unwrap()
            .assume_utc()
    }

    #[test]
    fn times_are_fixed_width_rfc3339_utc() {
        let cases = [
            (moment(589_819_328), "2026-11-22T03:42:16.589819328Z"),
            (moment(0), "2026-11-22T03:42:16.000000000Z"),
            (moment(5), "2026-11-22T03:42:16.000000005Z"),
        ];
        for (time, text) in cases {
            assert_eq!(format_time(time), text);
            assert_eq!(parse_time(text).unwrap(), time);
        }
        // Another offset is converted to UTC both ways.
        let plus_two = moment(7).to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_time(plus_two), "2026-11-22T03:42:16.000000007Z");
        assert_eq!(
            parse_time("2026-11-22T05:42:16.5+02:00").unwrap().offset(),
            UtcOffset::UTC
        );
        assert!(parse_time("2026-11-22 03:42:16").is_err());
    }

    #[tokio::test]
    async fn file_connections_are_durable() {
        let dir = std::env::temp_dir().join(format!("notary-storage-pragmas-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir.join("a").join("b.sqlite")).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            (journal.as_str(), synchronous, foreign_keys, busy_timeout),
            ("wal", 2, 1, 5000)
        );
        drop(conn);
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn column_defaults_are_readable() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        // As a PostgreSQL copy would hold it: default time, padded empty checksum.
        sqlx::query("INSERT INTO changefeed (gun, version, sha256, category) VALUES ('g', 0, ?1, 'deletion')")
            .bind(" ".repeat(64))
            .execute(&store.pool)
            .await
            .unwrap();
        let changes = store
            .changes(&ChangeQuery {
                gun: None,
                change_id: 0,
                limit: 10,
                backward: false,
            })
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].sha256, "");
        assert!(changes[0].created_at <= OffsetDateTime::now_utc());
    }

    #[tokio::test]
    async fn unknown_category_is_refused_by_the_foreign_key() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        let result = sqlx::query("INSERT INTO changefeed (gun, version, category) VALUES ('g', 0, 'other')")
            .execute(&store.pool)
            .await;
        assert!(
            result
                .unwrap_err()
                .as_database_error()
                .unwrap()
                .is_foreign_key_violation()
        );
    }

    #[tokio::test]
    async fn migrations_run_once_and_refuse_a_newer_schema() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        migrate(&store.pool).await.unwrap();
        let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(versions, [1, 2]);
        assert_eq!(LATEST_MIGRATION, MIGRATIONS.len() as i64);
        assert!(
            MIGRATIONS
                .iter()
                .zip(1..)
                .all(|(migration, version)| migration.version == version)
        );

        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '')")
            .execute(&store.pool)
            .await
            .unwrap();
        let Err(StoreError::Backend(message)) = migrate(&store.pool).await else {
            panic!("a newer schema must be refused");
        };
        assert!(message.contains("99"), "{message}");
    }
}
