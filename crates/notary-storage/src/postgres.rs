//! The PostgreSQL backend of [`MetadataStore`] and [`KeyStore`] (cargo feature `postgres`).
//!
//! Tables, columns, types, constraints and indexes are Go notary 0.7's PostgreSQL schema
//! (`shared/spec/server-behaviour.md` §6.2, `shared/spec/signer.md` §6.2), so a database laid out
//! by Go's migrations is served as is, and Go's server and signer can use a database laid out by
//! ours. Semantics are those of [`SqliteStore`](crate::sqlite::SqliteStore), including its
//! deliberate deviations from Go (version check inside the write transaction, `tuf_files.deleted_at`
//! not consulted).
//!
//! # Migrations
//!
//! [`PostgresStore::connect`] applies `migrations/postgres/` and records them in
//! `notary_rs_migrations`. Not `schema_migrations`: golang-migrate, which Go deployments use to
//! create these tables, keeps its own `schema_migrations (version, dirty)` there. Every statement
//! of a migration is idempotent (`IF NOT EXISTS`, `ON CONFLICT DO NOTHING`). A migration whose
//! tables all exist already (a database laid out by Go) is not run but *adopted*: the name and
//! type of each of its columns is checked against Go's schema and the migration is recorded with
//! `adopted = true`. When only some of its tables exist (an older Go schema), it runs and adds the
//! missing ones. All of it happens in one transaction under an advisory lock, so processes
//! starting together apply each migration once.
//!
//! # Times
//!
//! Go's time columns are `timestamp` (without time zone) and hold UTC wall-clock time. They are
//! bound and read as [`PrimitiveDateTime`] (sqlx's `time` feature), never as `timestamptz`, so the
//! session's `TimeZone` plays no part. PostgreSQL keeps microseconds: the sub-microsecond part of
//! the clock is truncated. A NULL `created_at` (allowed by Go's schema, never written by Go or
//! this crate) reads as the Unix epoch.
//!
//! # Concurrency
//!
//! `update_many` and `delete` first take a transaction-scoped advisory lock on the GUN
//! (`pg_advisory_xact_lock(GUN_LOCK_SPACE, hashtext(gun))`), so writers to one GUN serialise and
//! the version check sees every committed row. A writer that does not take the lock (a Go server on
//! the same database) is still kept from storing a version twice by the unique constraint
//! `tuf_files_gun_role_version_key`: its violation (SQLSTATE 23505) is a
//! [`StoreError::VersionConflict`].
//!
//! # Change notifications
//!
//! Every write transaction (`update_many`, a `delete` that deletes something) calls
//! `pg_notify(`[`CHANGE_CHANNEL`]`, '<token> <gun>')`; PostgreSQL delivers it to every listening
//! session when, and only if, the transaction commits. `<token>` is `<store id>.<sequence>`,
//! unique per write. A [`ChangeListener`] hands each change to its handler and then acknowledges
//! it on [`ACK_CHANNEL`] (`pg_notify(ACK_CHANNEL, '<token>')` from its own connection).
//!
//! While a [`ChangeListener`] of this store is connected, a write counts the listener sessions on
//! the database (`pg_stat_activity`, by [`LISTENER_APPLICATION_NAME`]) inside its transaction and,
//! after the commit, waits until that many distinct listener sessions acknowledged its token, or
//! [`OWN_NOTIFICATION_WAIT`] passed. So when a write returns, every server that was listening has
//! already applied the change (evicted its cache), unless one of them took longer than the wait
//! (stalled, or its connection died without it noticing yet); a write that times out waiting
//! still succeeds. Acknowledgements cost one `NOTIFY` per listener per write.
//!
//! # Unreachable database
//!
//! Waiting for a pooled connection fails after [`ACQUIRE_TIMEOUT`]. A refused or lost connection,
//! that timeout, and the server-side errors of a connection being ended are
//! [`StoreError::Unreachable`], so callers can answer "unavailable" instead of "failed". A
//! network that silently drops packets is not detected before the OS gives up on the socket.
//!
//! # Limits
//!
//! `version` and the `id`s are Go's `integer` columns: storing a version outside the `i32` range
//! fails with [`StoreError::Backend`], as it does in Go.
//!
//! # TLS
//!
//! lib/pq's URL parameters choose it: `sslmode=require` encrypts without checking the server's
//! certificate, `verify-ca`/`verify-full` check it against `sslrootcert` (else the Mozilla roots),
//! `verify-full` also the host name; `sslcert`/`sslkey` present a client certificate. The default
//! `prefer` uses TLS when the server offers it. rustls on aws-lc-rs, as everywhere else.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Transaction};
use time::{OffsetDateTime, PrimitiveDateTime};
use tokio::sync::oneshot;

use crate::sql::{TIMESTAMP_ROLE, backend, distinct_role_versions, sha256_hex};
use crate::sqlite::ENCRYPTION_ALG;
use crate::{
    Change, ChangeCategory, ChangeQuery, CurrentFiles, KeyStore, MetadataStore, NewFile, PoolStats, SealedKey,
    StoreError, StoredFile,
};

/// The `LISTEN`/`NOTIFY` channel of metadata changes (module docs, "Change notifications").
pub const CHANGE_CHANNEL: &str = "notary_rs_metadata";
/// The channel on which listeners acknowledge the changes they applied.
pub const ACK_CHANNEL: &str = "notary_rs_metadata_ack";
/// The `application_name` of a [`ChangeListener`]'s connection (as `pg_stat_activity` shows it).
pub const LISTENER_APPLICATION_NAME: &str = "notary-rs-listener";
/// How long a write waits for every listener's acknowledgement of its change.
pub const OWN_NOTIFICATION_WAIT: Duration = Duration::from_millis(200);
/// How long an operation waits for a pooled connection before the database counts as unreachable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A PostgreSQL database holding TUF files, the changefeed and sealed keys.
///
/// Cloning is cheap: clones share one connection pool (and one writer identity).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// For the listener's own connection.
    options: Arc<PgConnectOptions>,
    acks: Arc<WriteAcks>,
}

/// This store's writes waiting for acknowledgements (module docs, "Change notifications").
#[derive(Debug)]
struct WriteAcks {
    /// Random per store: tells this store's tokens from other writers'.
    writer: u64,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Waiter>>,
    /// Connected [`ChangeListener`]s of this store: acknowledgements arrive through one, so
    /// writes only wait when there is one.
    listeners: AtomicUsize,
}

/// One write waiting for acknowledgements.
#[derive(Debug)]
struct Waiter {
    /// How many listener sessions were connected when the write counted them.
    expected: usize,
    /// The backend pids of the listener sessions that acknowledged so far.
    acknowledged: HashSet<u32>,
    done: Option<oneshot::Sender<()>>,
}

impl WriteAcks {
    fn new() -> Result<WriteAcks, StoreError> {
        let mut id = [0u8; 8];
        aws_lc_rs::rand::fill(&mut id).map_err(|_| StoreError::Backend("no randomness for the writer id".into()))?;
        Ok(WriteAcks {
            writer: u64::from_le_bytes(id),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            listeners: AtomicUsize::new(0),
        })
    }

    /// A new write's token (`<writer>.<sequence>`).
    fn expect(self: &Arc<Self>) -> PendingAck {
        PendingAck {
            acks: self.clone(),
            sequence: self.next.fetch_add(1, Ordering::Relaxed),
            done: None,
        }
    }

    /// The sequence number of `token` if it is one of this store's.
    fn own_sequence(&self, token: &str) -> Option<u64> {
        let (writer, sequence) = token.split_once('.')?;
        if u64::from_str_radix(writer, 16).ok()? != self.writer {
            return None;
        }
        sequence.parse().ok()
    }

    /// Records that the listener session `listener` (a backend pid) applied the change `token`.
    fn acknowledged(&self, token: &str, listener: u32) {
        let Some(sequence) = self.own_sequence(token) else {
            return;
        };
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(waiter) = waiting.get_mut(&sequence) {
            waiter.acknowledged.insert(listener);
            if waiter.acknowledged.len() >= waiter.expected
                && let Some(done) = waiter.done.take()
            {
                // The writer may have stopped waiting already.
                let _ = done.send(());
            }
        }
    }
}

/// One write's token and its wait for acknowledgements; forgets the wait when dropped.
struct PendingAck {
    acks: Arc<WriteAcks>,
    sequence: u64,
    done: Option<oneshot::Receiver<()>>,
}

impl PendingAck {
    /// The `NOTIFY` payload for a change of `gun`.
    fn payload(&self, gun: &str) -> String {
        format!("{:016x}.{} {gun}", self.acks.writer, self.sequence)
    }

    /// Inside the write's transaction, before the commit: when this store has a listener (which
    /// receives the acknowledgements), counts the listener sessions to wait for.
    async fn count_listeners(&mut self, tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        if self.acks.listeners.load(Ordering::SeqCst) == 0 {
            return Ok(());
        }
        let listeners: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        )
        .bind(LISTENER_APPLICATION_NAME)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend("cannot count the change listeners"))?;
        let expected = usize::try_from(listeners).unwrap_or(0);
        if expected == 0 {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        self.acks.waiting.lock().unwrap_or_else(PoisonError::into_inner).insert(
            self.sequence,
            Waiter {
                expected,
                acknowledged: HashSet::new(),
                done: Some(tx),
            },
        );
        self.done = Some(rx);
        Ok(())
    }

    /// After the commit: waits (at most [`OWN_NOTIFICATION_WAIT`]) for the acknowledgements.
    async fn wait(mut self) {
        if let Some(done) = self.done.take() {
            // A late (or lost) acknowledgement only costs this bounded wait: the write committed.
            let _ = tokio::time::timeout(OWN_NOTIFICATION_WAIT, done).await;
        }
    }
}

impl Drop for PendingAck {
    fn drop(&mut self) {
        self.acks
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.sequence);
    }
}

/// A dedicated connection `LISTEN`ing on [`CHANGE_CHANNEL`] (module docs, "Change notifications").
///
/// After [`ChangeListener::next`] fails the connection is gone and notifications may have been
/// missed: drop it and [`PostgresStore::listen`] again.
pub struct ChangeListener {
    listener: PgListener,
    acks: Arc<WriteAcks>,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener").finish_non_exhaustive()
    }
}

impl ChangeListener {
    /// Waits for the next notification. A change of a GUN is handed to `changed(gun)` and then
    /// acknowledged; an acknowledgement of one of this store's writes releases that write once
    /// every listener counted has acknowledged. Fails when the connection is lost.
    pub async fn next(&mut self, changed: impl FnOnce(&str)) -> Result<(), StoreError> {
        let notification = match self.listener.try_recv().await {
            Ok(Some(notification)) => notification,
            Ok(None) => {
                return Err(StoreError::Unreachable(
                    "the change listener's connection was lost".into(),
                ));
            }
            Err(err) => return Err(backend("the change listener failed")(err)),
        };
        let payload = notification.payload();
        if notification.channel() == ACK_CHANNEL {
            self.acks.acknowledged(payload, notification.process_id());
            return Ok(());
        }
        let (token, gun) = payload.split_once(' ').unwrap_or(("", payload));
        changed(gun);
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(ACK_CHANNEL)
            .bind(token)
            .execute(&mut self.listener)
            .await
            .map_err(backend("cannot acknowledge a change"))?;
        Ok(())
    }
}

impl Drop for ChangeListener {
    fn drop(&mut self) {
        self.acks.listeners.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PostgresStore {
    /// Connects to the database at `db_url` (`postgres://user[:password]@host[:port]/database`,
    /// lib/pq-style parameters such as `sslmode` allowed) and applies any pending migrations.
    ///
    /// The first connection is made once, without retrying, so an unreachable server or a refused
    /// login fails at once (as Go's server does at start-up); it runs the migrations and is closed.
    /// The pool then opens up to 16 connections as needed; waiting for one fails after
    /// [`ACQUIRE_TIMEOUT`].
    pub async fn connect(db_url: &str) -> Result<PostgresStore, StoreError> {
        let options: PgConnectOptions = db_url.parse().map_err(backend("invalid PostgreSQL URL"))?;
        let mut conn = PgConnection::connect_with(&options)
            .await
            .map_err(backend("cannot connect to PostgreSQL"))?;
        let migrated = migrate(&mut conn).await;
        // The connection has done its job either way; an error closing it changes nothing.
        let _ = conn.close().await;
        migrated?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options.clone());
        Ok(PostgresStore {
            pool,
            options: Arc::new(options),
            acks: Arc::new(WriteAcks::new()?),
        })
    }

    /// Opens a [`ChangeListener`]: a connection of its own (application name
    /// [`LISTENER_APPLICATION_NAME`]) listening on [`CHANGE_CHANNEL`]. From its return on, every
    /// committed change is delivered to it, and this store's writes wait for acknowledgements.
    pub async fn listen(&self) -> Result<ChangeListener, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with((*self.options).clone().application_name(LISTENER_APPLICATION_NAME));
        let mut listener = PgListener::connect_with(&pool)
            .await
            .map_err(backend("cannot connect the change listener"))?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        listener
            .listen_all([CHANGE_CHANNEL, ACK_CHANNEL])
            .await
            .map_err(backend("cannot listen for changes"))?;
        self.acks.listeners.fetch_add(1, Ordering::SeqCst);
        Ok(ChangeListener {
            listener,
            acks: self.acks.clone(),
        })
    }

    /// Closes every connection; waits for running operations to finish. Later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl MetadataStore for PostgresStore {
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
        let versions = files
            .iter()
            .map(|file| column_version(file.version))
            .collect::<Result<Vec<_>, _>>()?;

        let now = now_utc();
        let mut tx = self.pool.begin().await.map_err(backend("cannot begin an update"))?;
        lock_gun(&mut tx, gun).await?;
        let newest: HashMap<String, i32> =
            sqlx::query_as("SELECT role, MAX(version) FROM tuf_files WHERE gun = $1 GROUP BY role")
                .bind(gun)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend("cannot read stored versions"))?
                .into_iter()
                .collect();
        if files
            .iter()
            .zip(&versions)
            .any(|(file, &version)| newest.get(&file.role).is_some_and(|&stored| stored >= version))
        {
            return Err(StoreError::VersionConflict);
        }

        for (file, version) in files.iter().zip(versions) {
            let sha256 = sha256_hex(&file.data);
            sqlx::query(
                "INSERT INTO tuf_files (created_at, updated_at, gun, role, version, data, sha256) \
                 VALUES ($1, $1, $2, $3, $4, $5, $6)",
            )
            .bind(now)
            .bind(gun)
            .bind(&file.role)
            .bind(version)
            .bind(file.data.as_slice())
            .bind(&sha256)
            .execute(&mut *tx)
            .await
            .map_err(|err| match err.as_database_error() {
                Some(db) if db.is_unique_violation() => StoreError::VersionConflict,
                _ => backend("cannot store a file")(err),
            })?;
            if file.role == TIMESTAMP_ROLE {
                append_change(&mut tx, now, gun, version, &sha256, ChangeCategory::Update).await?;
            }
        }
        let mut ack = self.acks.expect();
        ack.count_listeners(&mut tx).await?;
        notify(&mut tx, &ack.payload(gun)).await?;
        tx.commit().await.map_err(|err| match err.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::VersionConflict,
            _ => backend("cannot commit an update")(err),
        })?;
        ack.wait().await;
        Ok(())
    }

    async fn current(&self, gun: &str) -> Result<CurrentFiles, StoreError> {
        let rows: Vec<FileRow> = sqlx::query_as(
            "SELECT DISTINCT ON (role) role, version, data, sha256, created_at FROM tuf_files \
             WHERE gun = $1 ORDER BY role, version DESC",
        )
        .bind(gun)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("cannot read current files"))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let file = stored_file(row);
                (file.role.clone(), file)
            })
            .collect())
    }

    async fn by_checksum(&self, gun: &str, role: &str, sha256_hex: &str) -> Result<Option<StoredFile>, StoreError> {
        // Cast to the column's type so `tuf_files_sha256_idx` serves the lookup.
        let row: Option<FileRow> = sqlx::query_as(
            "SELECT role, version, data, sha256, created_at FROM tuf_files \
             WHERE sha256 = $1::bpchar AND gun = $2 AND role = $3 ORDER BY version DESC LIMIT 1",
        )
        .bind(sha256_hex)
        .bind(gun)
        .bind(role)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read a file by checksum"))?;
        Ok(row.map(stored_file))
    }

    async fn by_version(&self, gun: &str, role: &str, version: i64) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<FileRow> = sqlx::query_as(
            "SELECT role, version, data, sha256, created_at FROM tuf_files \
             WHERE gun = $1 AND role = $2 AND version = $3",
        )
        .bind(gun)
        .bind(role)
        .bind(version)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend("cannot read a file by version"))?;
        Ok(row.map(stored_file))
    }

    async fn delete(&self, gun: &str) -> Result<bool, StoreError> {
        let now = now_utc();
        let mut tx = self.pool.begin().await.map_err(backend("cannot begin a delete"))?;
        lock_gun(&mut tx, gun).await?;
        let deleted = sqlx::query("DELETE FROM tuf_files WHERE gun = $1")
            .bind(gun)
            .execute(&mut *tx)
            .await
            .map_err(backend("cannot delete files"))?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        append_change(&mut tx, now, gun, 0, "", ChangeCategory::Deletion).await?;
        let mut ack = self.acks.expect();
        ack.count_listeners(&mut tx).await?;
        notify(&mut tx, &ack.payload(gun)).await?;
        tx.commit().await.map_err(backend("cannot commit a delete"))?;
        ack.wait().await;
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
                 WHERE id > $1 ORDER BY id ASC LIMIT $2"
            }
            (false, true) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id > $1 AND gun = $3 ORDER BY id ASC LIMIT $2"
            }
            (true, false) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id < $1 ORDER BY id DESC LIMIT $2"
            }
            (true, true) => {
                "SELECT id, created_at, gun, version, sha256, category FROM changefeed \
                 WHERE id < $1 AND gun = $3 ORDER BY id DESC LIMIT $2"
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

    fn pool_stats(&self) -> Option<PoolStats> {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX).min(open);
        Some(PoolStats {
            in_use: open - idle,
            idle,
            max: POOL_SIZE,
        })
    }
}

impl KeyStore for PostgresStore {
    /// Writes a `private_keys` row with `encryption_alg` = [`ENCRYPTION_ALG`] and the key's
    /// `keywrap_alg` (the sealing is opaque here); `last_used` is set to now when `key.used`.
    /// A key ID that is already stored (even soft-deleted) fails with [`StoreError::Backend`].
    async fn put_key(&self, key: &SealedKey) -> Result<(), StoreError> {
        let now = now_utc();
        sqlx::query(
            "INSERT INTO private_keys (created_at, updated_at, key_id, encryption_alg, keywrap_alg, algorithm, \
             passphrase_alias, gun, role, public, private, last_used) \
             VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(now)
        .bind(&key.key_id)
        .bind(ENCRYPTION_ALG)
        .bind(&key.keywrap_alg)
        .bind(&key.algorithm)
        .bind(&key.passphrase_alias)
        .bind(&key.gun)
        .bind(&key.role)
        .bind(key.public.as_slice())
        .bind(key.sealed_private.as_slice())
        .bind(key.used.then_some(now))
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
             FROM private_keys WHERE key_id = $1 AND deleted_at IS NULL",
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
             WHERE gun = $1 AND role = $2 AND algorithm = $3 AND last_used IS NULL AND deleted_at IS NULL \
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
        sqlx::query(
            "UPDATE private_keys SET deleted_at = $1, updated_at = $1 WHERE key_id = $2 AND deleted_at IS NULL",
        )
        .bind(now_utc())
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
        sqlx::query(
            "UPDATE private_keys SET private = $1, passphrase_alias = $2, updated_at = $3 \
             WHERE key_id = $4 AND deleted_at IS NULL",
        )
        .bind(sealed_private)
        .bind(passphrase_alias)
        .bind(now_utc())
        .bind(key_id)
        .execute(&self.pool)
        .await
        .map_err(backend("cannot re-seal a key"))?;
        Ok(())
    }

    /// Sets `last_used` (and `updated_at`) to now; an unknown key ID changes nothing.
    async fn mark_used(&self, key_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE private_keys SET last_used = $1, updated_at = $1 WHERE key_id = $2 AND deleted_at IS NULL")
            .bind(now_utc())
            .bind(key_id)
            .execute(&self.pool)
            .await
            .map_err(backend("cannot mark a key used"))?;
        Ok(())
    }
}

/// `tuf_files` columns: role, version, data, sha256, created_at (NULL-able as in Go's schema).
type FileRow = (String, i32, Vec<u8>, Option<String>, Option<PrimitiveDateTime>);

/// `changefeed` columns: id, created_at, gun, version, sha256, category.
type ChangeRow = (i32, Option<PrimitiveDateTime>, String, i32, Option<String>, String);

/// `private_keys` columns: key_id, gun, role, algorithm, public, private, passphrase_alias, used,
/// keywrap_alg.
type KeyRow = (String, String, String, String, Vec<u8>, Vec<u8>, String, bool, String);

/// Applies every migration not yet recorded in `notary_rs_migrations`, adopting tables Go's
/// migrations created (module docs, "Migrations"), all in one transaction.
async fn migrate(conn: &mut PgConnection) -> Result<(), StoreError> {
    let mut tx = conn.begin().await.map_err(backend("cannot begin the migrations"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(backend("cannot lock the schema for migrations"))?;
    // Checked before creating: CREATE … IF NOT EXISTS needs the CREATE privilege even when the
    // table exists.
    if !table_exists(&mut tx, "notary_rs_migrations").await? {
        sqlx::raw_sql(
            "CREATE TABLE notary_rs_migrations (\
             version integer PRIMARY KEY, name varchar(255) NOT NULL, applied_at timestamp NOT NULL, \
             adopted boolean NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend("cannot create notary_rs_migrations"))?;
    }
    let newest: Option<i32> = sqlx::query_scalar("SELECT MAX(version) FROM notary_rs_migrations")
        .fetch_one(&mut *tx)
        .await
        .map_err(backend("cannot read notary_rs_migrations"))?;
    let newest = newest.unwrap_or(0);
    if newest > LATEST_MIGRATION {
        return Err(StoreError::Backend(format!(
            "the database schema (version {newest}) is newer than this program's ({LATEST_MIGRATION})"
        )));
    }

    for migration in MIGRATIONS.iter().filter(|migration| migration.version > newest) {
        // Tables that exist already must have Go's layout before anything is added to them.
        let mut missing = Vec::new();
        for table in migration.tables {
            if table_exists(&mut tx, table.name).await? {
                check_columns(&mut tx, table).await?;
            } else {
                missing.push(table);
            }
        }
        let present = migration.tables.len() - missing.len();
        if !missing.is_empty() {
            sqlx::raw_sql(migration.sql)
                .execute(&mut *tx)
                .await
                .map_err(backend(&format!(
                    "migration {} ({}) failed",
                    migration.version, migration.name
                )))?;
            for table in missing {
                check_columns(&mut tx, table).await?;
            }
        }
        sqlx::query("INSERT INTO notary_rs_migrations (version, name, applied_at, adopted) VALUES ($1, $2, $3, $4)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(now_utc())
            .bind(present > 0)
            .execute(&mut *tx)
            .await
            .map_err(backend("cannot record a migration"))?;
    }
    tx.commit().await.map_err(backend("cannot commit the migrations"))
}

/// Whether `name` resolves to a table through the session's `search_path`.
async fn table_exists(tx: &mut Transaction<'_, Postgres>, name: &str) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend(&format!("cannot look up table {name}")))
}

/// Fails unless `table` has each of its expected columns with the expected type (length
/// modifiers aside); further columns are allowed.
async fn check_columns(tx: &mut Transaction<'_, Postgres>, table: &Table) -> Result<(), StoreError> {
    let found: HashMap<String, String> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, NULL) FROM pg_attribute AS a \
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table.name)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend(&format!("cannot read the columns of {}", table.name)))?
    .into_iter()
    .collect();
    let problems: BTreeSet<String> = table
        .columns
        .iter()
        .filter_map(|&(column, expected)| match found.get(column) {
            None => Some(format!("column {column} is missing")),
            Some(actual) if actual != expected => Some(format!("column {column} is {actual}, not {expected}")),
            Some(_) => None,
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "table {} does not have Go notary's layout: {}",
        table.name,
        problems.into_iter().collect::<Vec<_>>().join("; ")
    )))
}

/// Serialises writers to `gun` until `tx` ends (module docs, "Concurrency").
async fn lock_gun(tx: &mut Transaction<'_, Postgres>, gun: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(GUN_LOCK_SPACE)
        .bind(gun)
        .execute(&mut **tx)
        .await
        .map_err(backend("cannot lock the GUN"))?;
    Ok(())
}

/// Queues the change notification of `payload` in `tx`: sent to every listener at commit.
async fn notify(tx: &mut Transaction<'_, Postgres>, payload: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGE_CHANNEL)
        .bind(payload)
        .execute(&mut **tx)
        .await
        .map_err(backend("cannot notify the change"))?;
    Ok(())
}

/// Appends one changefeed record (server-behaviour.md §6.3) inside `tx`.
async fn append_change(
    tx: &mut Transaction<'_, Postgres>,
    now: PrimitiveDateTime,
    gun: &str,
    version: i32,
    sha256: &str,
    category: ChangeCategory,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO changefeed (created_at, gun, version, sha256, category) VALUES ($1, $2, $3, $4, $5)")
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

/// A version as Go's `integer` column holds it.
fn column_version(version: i64) -> Result<i32, StoreError> {
    i32::try_from(version)
        .map_err(|_| StoreError::Backend(format!("version {version} does not fit PostgreSQL's integer column")))
}

fn stored_file((role, version, data, sha256, created_at): FileRow) -> StoredFile {
    // Go's schema allows a NULL checksum; Go never writes one, but it is derivable anyway.
    let sha256 = match sha256.as_deref().map(str::trim_end) {
        Some(sha256) if !sha256.is_empty() => sha256.to_owned(),
        _ => sha256_hex(&data),
    };
    StoredFile {
        role,
        version: version.into(),
        data: data.into(),
        sha256,
        created_at: from_column(created_at),
    }
}

fn change((id, created_at, gun, version, sha256, category): ChangeRow) -> Result<Change, StoreError> {
    let category = ChangeCategory::parse(&category)
        .ok_or_else(|| StoreError::Backend(format!("changefeed record {id} has unknown category {category:?}")))?;
    Ok(Change {
        id: id.into(),
        created_at: from_column(created_at),
        gun,
        version: version.into(),
        // CHAR(64) pads a deletion's empty checksum with spaces.
        sha256: sha256.map(|sha256| sha256.trim_end().to_owned()).unwrap_or_default(),
        category,
    })
}

fn sealed_key(
    (key_id, gun, role, algorithm, public, sealed_private, passphrase_alias, used, keywrap_alg): KeyRow,
) -> SealedKey {
    SealedKey {
        key_id,
        gun,
        role,
        algorithm,
        public,
        sealed_private,
        passphrase_alias,
        keywrap_alg,
        used,
    }
}

/// The current UTC wall-clock time, for a `timestamp` column.
fn now_utc() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    PrimitiveDateTime::new(now.date(), now.time())
}

/// A `timestamp` column's UTC wall-clock time; NULL is the Unix epoch.
fn from_column(time: Option<PrimitiveDateTime>) -> OffsetDateTime {
    time.map_or(OffsetDateTime::UNIX_EPOCH, PrimitiveDateTime::assume_utc)
}

/// One schema migration, embedded from `migrations/postgres/`.
struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
    /// The tables it creates, as Go's schema has them.
    tables: &'static [Table],
}

/// A table of Go's schema: its name and the `format_type` of each column.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, &'static str)],
}

/// Every migration, in order; versions increase by one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "metadata",
        sql: include_str!("../migrations/postgres/0001_metadata.sql"),
        tables: &[
            Table {
                name: "tuf_files",
                columns: &[
                    ("id", INTEGER),
                    ("created_at", TIMESTAMP),
                    ("updated_at", TIMESTAMP),
                    ("deleted_at", TIMESTAMP),
                    ("gun", VARCHAR),
                    ("role", VARCHAR),
                    ("version", INTEGER),
                    ("data", BYTEA),
                    ("sha256", CHAR),
                ],
            },
            Table {
                name: "change_category",
                columns: &[("category", VARCHAR)],
            },
            Table {
                name: "changefeed",
                columns: &[
                    ("id", INTEGER),
                    ("created_at", TIMESTAMP),
                    ("gun", VARCHAR),
                    ("version", INTEGER),
                    ("sha256", CHAR),
                    ("category", VARCHAR),
                ],
            },
        ],
    },
    Migration {
        version: 2,
        name: "private_keys",
        sql: include_str!("../migrations/postgres/0002_private_keys.sql"),
        tables: &[Table {
            name: "private_keys",
            columns: &[
                ("id", INTEGER),
                ("created_at", TIMESTAMP),
                ("updated_at", TIMESTAMP),
                ("deleted_at", TIMESTAMP),
                ("key_id", VARCHAR),
                ("encryption_alg", VARCHAR),
                ("keywrap_alg", VARCHAR),
                ("algorithm", VARCHAR),
                ("passphrase_alias", VARCHAR),
                ("public", BYTEA),
                ("private", BYTEA),
                ("gun", VARCHAR),
                ("role", VARCHAR),
                ("last_used", TIMESTAMP),
            ],
        }],
    },
];

const LATEST_MIGRATION: i32 = 2;

const INTEGER: &str = "integer";
const TIMESTAMP: &str = "timestamp without time zone";
const VARCHAR: &str = "character varying";
const CHAR: &str = "character";
const BYTEA: &str = "bytea";

/// Key of the advisory lock held while migrating (the one-key space, apart from GUN locks).
const MIGRATION_LOCK: i64 = 0x6e6f_7461_7279_0001;
/// First key of the advisory locks on GUNs (the two-key space); the second is `hashtext(gun)`.
const GUN_LOCK_SPACE: i32 = 0x6e6f_7461;
const POOL_SIZE: u32 = 16;

#[cfg(test)]
mod tests {
    use time::{Date, Month, Time};

    use super::*;

    #[test]
    fn versions_must_fit_an_integer_column() {
        assert_eq!(column_version(7).unwrap(), 7);
        assert_eq!(column_version(i32::MAX.into()).unwrap(), i32::MAX);
        for version in [i64::from(i32::MAX) + 1, i64::from(i32::MIN) - 1, i64::MAX] {
            let Err(StoreError::Backend(message)) = column_version(version) else {
                panic!("{version} must not fit");
            };
            assert!(message.contains(&version.to_string()), "{message}");
        }
    }

    #[test]
    fn go_nulls_and_padding_are_read() {
        let created = PrimitiveDateTime::new(
            Date::from_calendar_date(2026, Month::November, 22).unwrap(),
            Time::from_hms_micro(3, 42, 16, 589_819).unwrap(),
        );
        let file = stored_file(("root".into(), 3, b"{}".to_vec(), None, None));
        assert_eq!((file.version, file.sha256.as_str()), (3, sha256_hex(b"{}").as_str()));
        assert_eq!(file.created_at, OffsetDateTime::UNIX_EPOCH);
        let padded = format!("{}  ", sha256_hex(b"{}"));
        let file = stored_file(("root".into(), 3, b"{}".to_vec(), Some(padded), Some(created)));
        assert_eq!(file.sha256, sha256_hex(b"{}"));
        assert_eq!(file.created_at, created.assume_utc());

        let deletion = change((9, Some(created), "g".into(), 0, Some(" ".repeat(64)), "deletion".into())).unwrap();
        assert_eq!((deletion.id, deletion.sha256.as_str()), (9, ""));
        assert_eq!(deletion.category, ChangeCategory::Deletion);
        assert!(change((9, None, "g".into(), 0, None, "other".into())).is_err());
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        assert_eq!(LATEST_MIGRATION, i32::try_from(MIGRATIONS.len()).unwrap());
        assert!(
            MIGRATIONS
                .iter()
                .zip(1..)
                .all(|(migration, version)| migration.version == version)
        );
    }
}
