//! `notary-signer -bootstrap`: applies the PostgreSQL migrations of the configured database and
//! exits 0; exits 1 with the reason when the database cannot be reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn base_url() -> String {
    std::env::var("NOTARY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Runs `sql` in database `db`; returns the unaligned, tuples-only output.
fn psql(db: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .arg(format!("{}/{db}", base_url()))
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql (PostgreSQL client) must be installed for the PostgreSQL tests");
    assert!(
        output.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A fresh database, dropped on drop.
struct TestDatabase(String);

impl Drop for TestDatabase {
    fn drop(&mut self) {
        psql("postgres", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
    }
}

/// `notary-signer -config <config for db_url> -bootstrap` (TLS files exist but are never loaded).
fn bootstrap(work: &notary_testkit::WorkDir, name: &str, db_url: &str) -> Output {
    let cert = work.write("signer.crt", b"unused by -bootstrap");
    let key = work.write("signer.key", b"unused by -bootstrap");
    let config: PathBuf = work.write(
        &format!("{name}.json"),
        serde_json::json!({
            "server": {"grpc_addr": "127.0.0.1:0", "tls_cert_file": cert, "tls_key_file": key},
            "storage": {"backend": "postgres", "db_url": db_url, "default_alias": "alias"},
        })
        .to_string()
        .as_bytes(),
    );
    Command::new(Path::new(env!("CARGO_BIN_EXE_notary-signer")))
        .args(["-config".as_ref(), config.as_os_str(), "-bootstrap".as_ref()])
        // The configuration is checked as for serving: the default alias needs its passphrase.
        .env("NOTARY_SIGNER_ALIAS", "bootstrap-test-passphrase")
        .output()
        .unwrap()
}

#[test]
fn bootstrap_migrates_and_exits() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let db = TestDatabase(format!("notary_signer_bootstrap_{}_{nanos}", std::process::id()));
    psql("postgres", &format!("CREATE DATABASE {}", db.0));
    let work = notary_testkit::WorkDir::new("signer-bootstrap");

    let output = bootstrap(&work, "signer", &format!("{}/{}", base_url(), db.0));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        psql(&db.0, "SELECT version FROM notary_rs_migrations ORDER BY version"),
        "1\n2\n"
    );
    assert_eq!(psql(&db.0, "SELECT to_regclass('private_keys') IS NOT NULL"), "t\n");

    let output = bootstrap(&work, "unreachable", "postgres://postgres@127.0.0.1:1/none");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot migrate the database") && stderr.contains("cannot connect to PostgreSQL"),
        "{stderr}"
    );
    work.done();
}
