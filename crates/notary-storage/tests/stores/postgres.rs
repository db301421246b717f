//! The PostgreSQL stores under test, and what only PostgreSQL does: Go's schema adopted as is,
//! our fresh schema equal to Go's, migrations, integer limits, time zones.
//!
//! Each test creates its own database `notary_test_<pid>_<n>` on the server at
//! `$NOTARY_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, trust auth) through its
//! `postgres` database, and drops it (`WITH (FORCE)`) when done, also after a failure. An
//! unreachable server fails the test: these tests only run with the `postgres` feature, and CI
//! has the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use notary_storage::postgres::{ChangeListener, LISTENER_APPLICATION_NAME, OWN_NOTIFICATION_WAIT, PostgresStore};
use notary_storage::{ChangeCategory, KeyStore, MetadataStore, NewFile, SealedKey, StoreError};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use time::{Date, Month, OffsetDateTime, Time};

use crate::{GUN, all_changes, assert_conflict, backward, floor_micros, ids, new_file, sealed_key, sha256_hex};

/// A store on a database of its own, dropped after the store.
pub(crate) struct TestDb {
    pub(crate) store: PostgresStore,
    _db: Database,
}

impl TestDb {
    /// A fresh database laid out by our migrations.
    pub(crate) async fn create() -> TestDb {
        let db = Database::create().await;
        let store = db.connect().await;
        TestDb { store, _db: db }
    }

    /// A fresh database laid out by Go notary's server schema before the store connects.
    pub(crate) async fn with_go_server_schema() -> TestDb {
        let db = Database::create().await;
        db.execute(&go_server_schema()).await;
        let store = db.connect().await;
        TestDb { store, _db: db }
    }
}

/// A database of its own on the test server; dropped on drop.
pub(crate) struct Database {
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Database {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "notary_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = admin().await.unwrap_or_else(|err| {
            panic!(
                "cannot reach the PostgreSQL test server at {}: {err} (the `postgres` feature's tests need one; \
                 set NOTARY_TEST_POSTGRES to its URL without a database)",
                server_url()
            )
        });
        // A database left over by a crashed run of a process with the same ID.
        drop_database(&mut admin, &name).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|err| panic!("cannot create test database {name}: {err}"));
        admin.close().await.unwrap();
        let url = format!("{}/{name}", server_url());
        Database { name, url }
    }

    async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(&self.url).await.unwrap()
    }

    /// A connection of its own, for SQL the stores do not offer.
    async fn connection(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    async fn execute(&self, sql: &str) {
        let mut conn = self.connection().await;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }

    /// `notary_rs_migrations` rows: version, name, adopted.
    async fn migrations(&self) -> Vec<(i32, String, bool)> {
        let mut conn = self.connection().await;
        let rows = sqlx::query_as("SELECT version, name, adopted FROM notary_rs_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows
    }
}

impl Drop for Database {
    /// Drops the database from a thread of its own: `drop` cannot await, and the test's runtime
    /// may be shutting down.
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let mut admin = admin().await.map_err(|err| err.to_string())?;
                drop_database(&mut admin, &name).await.map_err(|err| err.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: cannot drop test database {}: {err}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

/// The test server's URL without a database.
fn server_url() -> String {
    std::env::var("NOTARY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

async fn admin() -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect(&format!("{}/postgres", server_url())).await
}

async fn drop_database(admin: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(admin)
        .await?;
    Ok(())
}

/// Go notary's server schema for PostgreSQL, from `shared/perf/` beside the repository or under
/// `$NOTARY_SHARED_DIR`.
fn go_server_schema() -> String {
    const FILE: &str = "perf/server-schema.postgres.sql";
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(FILE);
    let from_env = std::env::var_os("NOTARY_SHARED_DIR").map(|dir| PathBuf::from(dir).join(FILE));
    for path in std::iter::once(beside.clone()).chain(from_env) {
        if let Ok(sql) = std::fs::read_to_string(&path) {
            return sql;
        }
    }
    panic!(
        "Go notary's PostgreSQL schema is neither at {} nor under $NOTARY_SHARED_DIR",
        beside.display()
    );
}

/// Go notary 0.7's `migrations/signer/postgresql/0001_initial.up.sql`, verbatim.
const GO_SIGNER_SCHEMA: &str = r#"
CREATE TABLE "private_keys" (
  "id" serial PRIMARY KEY,
  "created_at" timestamp NULL DEFAULT NULL,
  "updated_at" timestamp NULL DEFAULT NULL,
  "deleted_at" timestamp NULL DEFAULT NULL,
  "key_id" varchar(255) NOT NULL,
  "encryption_alg" varchar(255) NOT NULL,
  "keywrap_alg" varchar(255) NOT NULL,
  "algorithm" varchar(50) NOT NULL,
  "passphrase_alias" varchar(50) NOT NULL,
  "public" bytea NOT NULL,
  "private" bytea NOT NULL,
  "gun" varchar(255) NOT NULL,
  "role" varchar(255) NOT NULL,
  "last_used" timestamp NULL DEFAULT NULL,
  CONSTRAINT "key_id" UNIQUE ("key_id"),
  CONSTRAINT "key_id_2" UNIQUE ("key_id","algorithm")
);
"#;

/// The time in Go's rows below.
fn go_time() -> OffsetDateTime {
    Date::from_calendar_date(2026, Month::November, 22)
        .unwrap()
        .with_time(Time::from_hms_micro(3, 42, 16, 589_819).unwrap())
        .assume_utc()
}

/// golang-migrate's bookkeeping, as a Go deployment's database has it.
const GOLANG_MIGRATE_TABLE: &str = "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, \
                                    dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, false);";

/// The layout of Go's tables: columns (type, NOT NULL, default), constraints and indexes.
async fn layout(db: &Database) -> Vec<String> {
    const TABLES: &str = "('tuf_files', 'change_category', 'changefeed', 'private_keys')";
    let mut conn = db.connection().await;
    let columns: Vec<(String, String, String, bool, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         coalesce(pg_get_expr(d.adbin, d.adrelid), '') \
         FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid \
         LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relname IN {TABLES} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let constraints: Vec<(String, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid::regclass::text IN {TABLES} ORDER BY 1, 2"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let indexes: Vec<(String, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes WHERE tablename IN {TABLES} ORDER BY 1, 2"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let seeds: Vec<String> = sqlx::query_scalar("SELECT category::text FROM change_category ORDER BY 1")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    columns
        .into_iter()
        .map(|column| format!("column {column:?}"))
        .chain(
            constraints
                .into_iter()
                .map(|constraint| format!("constraint {constraint:?}")),
        )
        .chain(indexes.into_iter().map(|index| format!("index {index:?}")))
        .chain(seeds.into_iter().map(|seed| format!("change_category row {seed}")))
        .collect()
}

#[tokio::test]
async fn fresh_schema_is_gos() {
    let ours = Database::create().await;
    ours.connect().await.close().await;
    let go = Database::create().await;
    go.execute(&go_server_schema()).await;
    go.execute(GO_SIGNER_SCHEMA).await;

    let layout_ours = layout(&ours).await;
    assert_eq!(layout_ours, layout(&go).await);
    // The names the spec pins down are there (and so equal on both sides).
    for name in [
        "tuf_files_gun_role_version_key",
        "tuf_files_sha256_idx",
        "idx_changefeed_gun",
        "changefeed_category_fkey",
        "\"key_id\"",
        "key_id_2",
    ] {
        assert!(
            layout_ours.iter().any(|line| line.contains(name)),
            "{name}: {layout_ours:#?}"
        );
    }
    assert_eq!(
        ours.migrations().await,
        [(1, "metadata".to_owned(), false), (2, "private_keys".to_owned(), false)]
    );
}

#[tokio::test]
async fn go_database_is_adopted_as_is() {
    let db = Database::create().await;
    db.execute(&go_server_schema()).await;
    db.execute(GO_SIGNER_SCHEMA).await;
    db.execute(GOLANG_MIGRATE_TABLE).await;
    let layout_before = layout(&db).await;

    // Rows as Go's server and signer write them (GORM: explicit times, CHAR-padded empty checksum).
    let root = new_file("root", 1);
    let timestamp = new_file("timestamp", 1);
    let mut conn = db.connection().await;
    for file in [&root, &timestamp] {
        sqlx::query(
            "INSERT INTO tuf_files (created_at, updated_at, gun, role, version, data, sha256) \
             VALUES ('2026-11-22 03:42:16.589819', '2026-11-22 03:42:16.589819', $1, $2, $3, $4, $5)",
        )
        .bind(GUN)
        .bind(&file.role)
        .bind(i32::try_from(file.version).unwrap())
        .bind(file.data.as_slice())
        .bind(sha256_hex(&file.data))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::raw_sql(AssertSqlSafe(format!(
        "INSERT INTO changefeed (created_at, gun, version, sha256, category) \
         VALUES ('2026-11-22 03:42:16.589819', '{GUN}', 1, '{}', 'update'); \
         INSERT INTO changefeed (created_at, gun, version, sha256, category) \
         VALUES ('2026-11-22 03:42:17', 'example.com/gone', 0, '', 'deletion'); \
         INSERT INTO private_keys (created_at, updated_at, key_id, encryption_alg, keywrap_alg, algorithm, \
         passphrase_alias, public, private, gun, role) \
         VALUES ('2026-11-22 03:42:16', '2026-11-22 03:42:16', 'gokey', 'A256GCM', 'PBES2-HS256+A128KW', 'ecdsa', \
         'alias1', 'PUB', 'JWE', '{GUN}', 'timestamp')",
        sha256_hex(&timestamp.data)
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let store = db.connect().await;
    assert_eq!(
        db.migrations().await,
        [(1, "metadata".to_owned(), true), (2, "private_keys".to_owned(), true)]
    );
    // Nothing of Go's changed, golang-migrate's table included.
    assert_eq!(layout(&db).await, layout_before);
    let mut conn = db.connection().await;
    let golang_migrate: (i64, bool) = sqlx::query_as("SELECT version, dirty FROM schema_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(golang_migrate, (2, false));
    conn.close().await.unwrap();

    // Go's rows read back.
    let current = store.current(GUN).await.unwrap();
    assert_eq!(current.keys().collect::<Vec<_>>(), ["root", "timestamp"]);
    assert_eq!(&*current["root"].data, root.data.as_slice());
    assert_eq!(current["root"].sha256, sha256_hex(&root.data));
    assert_eq!(current["root"].created_at, go_time());
    let by_checksum = store.by_checksum(GUN, "root", &sha256_hex(&root.data)).await.unwrap();
    assert_eq!(by_checksum.as_ref(), Some(&current["root"]));
    let changes = all_changes(&store).await;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].sha256, sha256_hex(&timestamp.data));
    assert_eq!(changes[0].created_at, go_time());
    assert_eq!(
        (changes[1].version, changes[1].sha256.as_str(), changes[1].category),
        (0, "", ChangeCategory::Deletion)
    );
    let key = store.key("gokey").await.unwrap().unwrap();
    assert_eq!(
        (key.public.as_slice(), key.sealed_private.as_slice(), key.used),
        (&b"PUB"[..], &b"JWE"[..], false)
    );
    assert_eq!(
        store.unused_key(GUN, "timestamp", "ecdsa").await.unwrap(),
        Some(key.clone())
    );

    // And the store goes on from them.
    assert_conflict(store.update_many(GUN, &[new_file("timestamp", 1)]).await);
    store
        .update_many(GUN, &[new_file("root", 2), new_file("timestamp", 2)])
        .await
        .unwrap();
    assert_eq!(ids(&store, backward(-1, 1)).await, [3]);
    store.mark_used("gokey").await.unwrap();
    assert!(store.key("gokey").await.unwrap().unwrap().used);
    assert!(store.delete(GUN).await.unwrap());
    store.close().await;

    // Connecting again applies nothing again.
    db.connect().await.close().await;
    assert_eq!(db.migrations().await.len(), 2);
}

#[tokio::test]
async fn older_go_schema_is_completed() {
    // Only Go's `tuf_files` (as before its changefeed migration).
    let schema = go_server_schema();
    let end = schema.find("CREATE TABLE \"change_category\"").unwrap();
    let db = Database::create().await;
    db.execute(&schema[..end]).await;

    let store = db.connect().await;
    assert_eq!(
        db.migrations().await,
        [(1, "metadata".to_owned(), true), (2, "private_keys".to_owned(), false)]
    );
    store.update_many(GUN, &[new_file("timestamp", 1)]).await.unwrap();
    assert_eq!(all_changes(&store).await.len(), 1);
    store.close().await;
}

#[tokio::test]
async fn foreign_table_layout_is_refused() {
    let db = Database::create().await;
    db.execute("CREATE TABLE tuf_files (id bigserial PRIMARY KEY, gun text, role text, version bigint, data bytea)")
        .await;

    let Err(StoreError::Backend(message)) = PostgresStore::connect(&db.url).await else {
        panic!("a tuf_files table of another layout must be refused");
    };
    for expected in [
        "table tuf_files",
        "column version is bigint, not integer",
        "column sha256 is missing",
        "column gun is text, not character varying",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // The failed migration left nothing behind.
    let mut conn = db.connection().await;
    let leftovers: bool = sqlx::query_scalar(
        "SELECT to_regclass('notary_rs_migrations') IS NOT NULL OR to_regclass('changefeed') IS NOT NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!leftovers);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let db = Database::create().await;
    db.connect().await.close().await;
    db.execute("INSERT INTO notary_rs_migrations VALUES (99, 'future', now(), false)")
        .await;
    let Err(StoreError::Backend(message)) = PostgresStore::connect(&db.url).await else {
        panic!("a newer schema must be refused");
    };
    assert!(message.contains("99"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connects_migrate_once() {
    let db = Database::create().await;
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for connect in connects {
        connect.await.unwrap().unwrap().close().await;
    }
    assert_eq!(db.migrations().await.len(), 2);
}

#[tokio::test]
async fn reconnect_keeps_data() {
    let db = Database::create().await;
    let files = [new_file("root", 1), new_file("targets", 1), new_file("timestamp", 1)];
    let key = sealed_key("kkkk", "timestamp", "ecdsa");

    let store = db.connect().await;
    store.update_many(GUN, &files).await.unwrap();
    store
        .update_many("example.com/gone", &[new_file("timestamp", 1)])
        .await
        .unwrap();
    assert!(store.delete("example.com/gone").await.unwrap());
    store.put_key(&key).await.unwrap();
    let current = store.current(GUN).await.unwrap();
    let changes = all_changes(&store).await;
    store.close().await;

    let store = db.connect().await;
    assert_eq!(store.current(GUN).await.unwrap(), current);
    assert_eq!(all_changes(&store).await, changes);
    assert_eq!(store.key("kkkk").await.unwrap(), Some(key));
    assert_conflict(store.update_many(GUN, &[new_file("targets", 1)]).await);
    store.update_many(GUN, &[new_file("timestamp", 2)]).await.unwrap();
    assert_eq!(ids(&store, backward(-1, 1)).await, [4]);
    store.check_health().await.unwrap();
    store.close().await;
}

/// Go's columns are `integer`: a version beyond `i32` is refused and nothing is stored.
#[tokio::test]
async fn versions_beyond_integer_are_refused() {
    let db = TestDb::create().await;
    let huge = i64::from(i32::MAX) + 1;
    let result = db
        .store
        .update_many(GUN, &[new_file("root", 1), new_file("targets", huge)])
        .await;
    let Err(StoreError::Backend(message)) = result else {
        panic!("expected a backend error, got {result:?}");
    };
    assert!(message.contains(&huge.to_string()), "{message}");
    assert!(db.store.current(GUN).await.unwrap().is_empty());
    assert_eq!(db.store.by_version(GUN, "targets", huge).await.unwrap(), None);
    let max = NewFile {
        version: i32::MAX.into(),
        ..new_file("targets", 1)
    };
    db.store.update_many(GUN, &[max]).await.unwrap();
    assert!(
        db.store
            .by_version(GUN, "targets", i32::MAX.into())
            .await
            .unwrap()
            .is_some()
    );
    db.store.close().await;
}

/// Times are UTC in the columns and in the API whatever the session's time zone.
#[tokio::test]
async fn times_ignore_the_session_time_zone() {
    let db = Database::create().await;
    let store = PostgresStore::connect(&format!("{}?options=-c%20TimeZone%3DPacific%2FKiritimati", db.url))
        .await
        .unwrap();
    let before = floor_micros(OffsetDateTime::now_utc());
    store.update_many(GUN, &[new_file("timestamp", 1)]).await.unwrap();
    store
        .put_key(&SealedKey {
            used: true,
            ..sealed_key("kkkk", "timestamp", "ecdsa")
        })
        .await
        .unwrap();
    let after = OffsetDateTime::now_utc();

    let stored = store.current(GUN).await.unwrap()["timestamp"].created_at;
    let change = all_changes(&store).await[0].created_at;
    for time in [stored, change] {
        assert!(before <= time && time <= after, "{time} not in {before}..{after}");
    }
    // The columns hold UTC wall-clock time (read in a UTC session).
    let mut conn = db.connection().await;
    let in_utc: bool = sqlx::query_scalar(
        "SELECT bool_and(t BETWEEN (now() AT TIME ZONE 'utc') - interval '1 minute' AND now() AT TIME ZONE 'utc') \
         FROM (SELECT created_at FROM tuf_files UNION ALL SELECT created_at FROM changefeed \
         UNION ALL SELECT last_used FROM private_keys) AS times (t)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(in_utc);
    conn.close().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn unreachable_server_is_unreachable() {
    let result = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres").await;
    let Err(StoreError::Unreachable(message)) = result else {
        panic!("connecting to a closed port must fail as unreachable");
    };
    assert!(message.starts_with("cannot connect to PostgreSQL"), "{message}");
}

/// The next change a listener receives within `wait`, if any (acknowledgements are skipped).
async fn next_change(listener: &mut ChangeListener, wait: Duration) -> Option<String> {
    let receive = async {
        loop {
            let mut gun = None;
            listener.next(|changed| gun = Some(changed.to_owned())).await.unwrap();
            if gun.is_some() {
                return gun;
            }
        }
    };
    tokio::time::timeout(wait, receive).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committed_changes_are_notified_to_every_listener() {
    let db = TestDb::create().await;
    let other = db._db.connect().await;
    let mut listener = other.listen().await.unwrap();
    let quiet = Duration::from_millis(300);

    db.store.update_many(GUN, &[new_file("root", 1)]).await.unwrap();
    assert_eq!(
        next_change(&mut listener, Duration::from_secs(5)).await.as_deref(),
        Some(GUN)
    );
    // A refused update commits nothing and notifies nothing.
    assert_conflict(db.store.update_many(GUN, &[new_file("root", 1)]).await);
    assert_eq!(next_change(&mut listener, quiet).await, None);
    // A delete notifies; deleting nothing does not.
    assert!(db.store.delete(GUN).await.unwrap());
    assert_eq!(
        next_change(&mut listener, Duration::from_secs(5)).await.as_deref(),
        Some(GUN)
    );
    assert!(!db.store.delete(GUN).await.unwrap());
    assert_eq!(next_change(&mut listener, quiet).await, None);
    // GUNs with spaces arrive whole.
    db.store.update_many("a b/c d", &[new_file("root", 1)]).await.unwrap();
    assert_eq!(
        next_change(&mut listener, Duration::from_secs(5)).await.as_deref(),
        Some("a b/c d")
    );
    drop(listener);
    other.close().await;
    db.store.close().await;
}

/// Runs `listener` until the task is aborted, calling `handle` for every change.
fn follow(mut listener: ChangeListener, handle: impl Fn(&str) + Send + Sync + 'static) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if listener.next(&handle).await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_returns_after_every_listener_applied_it() {
    let db = TestDb::create().await;
    let other = db._db.connect().await;
    let own = follow(db.store.listen().await.unwrap(), |_| {});
    // The other "server" applies changes slowly: the write must wait for it.
    let applied = Arc::new(AtomicU32::new(0));
    let counter = applied.clone();
    let slow = follow(other.listen().await.unwrap(), move |_| {
        std::thread::sleep(Duration::from_millis(60));
        counter.fetch_add(1, Ordering::SeqCst);
    });
    for version in 1..=3 {
        db.store.update_many(GUN, &[new_file("root", version)]).await.unwrap();
        assert_eq!(
            applied.load(Ordering::SeqCst),
            u32::try_from(version).unwrap(),
            "the write returned before the other listener applied it"
        );
    }
    assert!(db.store.delete(GUN).await.unwrap());
    assert_eq!(applied.load(Ordering::SeqCst), 4);

    // A listener that stops acknowledging costs each write the bounded wait, no more.
    slow.abort();
    let _ = slow.await;
    let stalled = other.listen().await.unwrap();
    let started = Instant::now();
    db.store.update_many(GUN, &[new_file("root", 1)]).await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= OWN_NOTIFICATION_WAIT, "{waited:?}");
    assert!(waited < OWN_NOTIFICATION_WAIT + Duration::from_secs(2), "{waited:?}");
    drop(stalled);
    // Without a listener of its own a write does not wait.
    own.abort();
    let _ = own.await;
    let started = Instant::now();
    db.store.update_many(GUN, &[new_file("root", 2)]).await.unwrap();
    assert!(started.elapsed() < OWN_NOTIFICATION_WAIT, "{:?}", started.elapsed());
    other.close().await;
    db.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_terminated_listener_connection_fails_next() {
    let db = TestDb::create().await;
    let mut listener = db.store.listen().await.unwrap();
    let mut conn = db._db.connection().await;
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(terminated, [true]);
    let result = tokio::time::timeout(Duration::from_secs(5), listener.next(|_| {})).await;
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
    conn.close().await.unwrap();
    db.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_use_and_lost_database() {
    let db = TestDb::create().await;
    db.store.update_many(GUN, &[new_file("root", 1)]).await.unwrap();
    // Connections go back to the pool in the background: wait for it.
    let mut stats = db.store.pool_stats().unwrap();
    for _ in 0..50 {
        if stats.in_use == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stats = db.store.pool_stats().unwrap();
    }
    assert_eq!((stats.max, stats.in_use), (16, 0), "{stats:?}");
    assert!(stats.idle >= 1, "{stats:?}");
    // The database goes away under the pool: an unreachable database, not a failed query.
    let mut admin = admin().await.unwrap();
    drop_database(&mut admin, &db._db.name).await.unwrap();
    admin.close().await.unwrap();
    let result = db.store.current(GUN).await;
    assert!(matches!(result, Err(StoreError::Unreachable(_))), "{result:?}");
    let result = db.store.update_many(GUN, &[new_file("root", 2)]).await;
    assert!(matches!(result, Err(StoreError::Unreachable(_))), "{result:?}");
    db.store.close().await;
}
