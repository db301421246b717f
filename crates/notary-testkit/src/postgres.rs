//! Which SQL backend a test run uses, and fresh PostgreSQL databases for the tests that use it.
//!
//! `NOTARY_TEST_BACKEND=postgres` (default `sqlite`) switches the server and signer suites to
//! PostgreSQL; each test server then gets a [`TestDatabase`] of its own on the server at
//! `NOTARY_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, trust auth), created
//! through its `postgres` database and dropped `WITH (FORCE)` on drop, also after a failure.
//! Everything goes through the `psql` client, so the helpers stay synchronous and need no driver.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The SQL backend the suites run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh PostgreSQL database per test server.
    Postgres,
    /// SQLite (a file in the test's work dir, or in memory).
    Sqlite,
}

impl Backend {
    /// `NOTARY_TEST_BACKEND`: `postgres`, else `sqlite` (unset or `sqlite`); panics on anything
    /// else, so a typo cannot silently rerun the SQLite suite.
    pub fn from_env() -> Backend {
        match std::env::var("NOTARY_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("NOTARY_TEST_BACKEND={other}: expected sqlite or postgres"),
        }
    }

    /// Prints why a test does not run on this backend and returns `true` when it is PostgreSQL:
    /// for the few tests that are about SQLite itself (files, WAL, the `sqlite3` CLI).
    pub fn skip_sqlite_only(test: &str, reason: &str) -> bool {
        let skip = Backend::from_env() == Backend::Postgres;
        if skip {
            eprintln!("{test} not run on PostgreSQL: {reason}");
        }
        skip
    }
}

/// The PostgreSQL server's URL without a database: `$NOTARY_TEST_POSTGRES`, else
/// `postgres://postgres@127.0.0.1:5432`.
pub fn server_url() -> String {
    std::env::var("NOTARY_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

/// A database of its own on the test server, empty at first; dropped on drop.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `notary_<purpose>_<pid>_<n>_<nanos>` (`purpose`: lower-case letters and `_`).
    pub fn create(purpose: &str) -> TestDatabase {
        assert!(
            purpose.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "database purpose {purpose:?}: lower-case letters and _ only"
        );
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!(
            "notary_{purpose}_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        psql(
            &format!("{}/postgres", server_url()),
            &format!("CREATE DATABASE {name}"),
        );
        let url = format!("{}/{name}", server_url());
        TestDatabase { name, url }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL (`postgres://…/<name>`), the servers' `db_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `sql` in this database and returns psql's unaligned, tuples-only output: one line per
    /// row, columns separated by `|`.
    pub fn query(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }

    /// The raw bytes of `COPY (<select>) TO STDOUT (FORMAT binary)`: every value as the database
    /// holds it (`bytea` unencoded), for checks that some bytes are nowhere in a table.
    pub fn copy_binary(&self, select: &str) -> Vec<u8> {
        let output = Command::new("psql")
            .arg(&self.url)
            .args(["-v", "ON_ERROR_STOP=1", "-qXc"])
            .arg(format!("COPY ({select}) TO STDOUT (FORMAT binary)"))
            .stdin(Stdio::null())
            .output()
            .expect("psql (the PostgreSQL client) must be installed for the PostgreSQL tests");
        assert!(
            output.status.success(),
            "COPY ({select}): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let output = Command::new("psql")
            .arg(format!("{}/postgres", server_url()))
            .args(["-v", "ON_ERROR_STOP=1", "-qXc"])
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!(
                "warning: cannot drop test database {}: {}",
                self.name,
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(err) => eprintln!("warning: cannot drop test database {}: {err}", self.name),
        }
    }
}

/// `psql URL -At -c SQL`: stdout, after asserting success.
fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-qAtXc", sql])
        .stdin(Stdio::null())
        .output()
        .expect("psql (the PostgreSQL client) must be installed for the PostgreSQL tests");
    assert!(
        output.status.success(),
        "psql {sql}: {} (is PostgreSQL running at {}? set NOTARY_TEST_POSTGRES)",
        String::from_utf8_lossy(&output.stderr),
        server_url()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
