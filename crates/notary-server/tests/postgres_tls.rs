//! notary-server on a PostgreSQL that only accepts TLS: a private cluster made by the test
//! (`initdb` in a temporary directory, `ssl = on`, `hostssl`-only `pg_hba.conf`) with a
//! certificate from a throw-away CA. `sslmode=verify-full` with `sslrootcert` connects and
//! serves; plain connections and a certificate from another CA are refused at start-up.

use std::path::{Path, PathBuf};
use std::process::Command;

use notary_testkit::http;
use notary_testkit::pki::TestPki;
use notary_testkit::server::ServerProcess;

use crate::support::{ServerRepo, SnapshotKey};

/// A PostgreSQL cluster of the test's own, stopped on drop.
struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl PrivateCluster {
    /// `initdb` + `pg_ctl start` in `dir`, serving TLS with `pki`'s server certificate on a free
    /// port of 127.0.0.1, refusing non-TLS connections.
    fn start(dir: &Path, pki: &TestPki) -> PrivateCluster {
        let bin = postgres_bin_dir();
        std::fs::create_dir_all(dir).unwrap();
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        std::fs::copy(&pki.server_cert, &cert).unwrap();
        std::fs::copy(&pki.server_key, &key).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        if running_as_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
            run(Command::new("chown").args(["-R", "postgres"]).arg(dir));
        }
        let data = dir.join("data");
        run(as_cluster_owner(&bin.join("initdb")).arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]));
        let hba = "hostssl all all 127.0.0.1/32 trust\nlocal all all trust\n";
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c fsync=off",
            dir.display(),
            cert.display(),
            key.display()
        );
        run(as_cluster_owner(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("postgres.log"))
            .args(["-w", "-o", &options, "start"]));
        PrivateCluster { bin, data, port }
    }

    fn url(&self, params: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres?{params}", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = as_cluster_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The directory of `initdb` and `pg_ctl`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn postgres_bin_dir() -> PathBuf {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    found.retain(|dir| dir.join("initdb").exists());
    found.sort();
    found
        .pop()
        .expect("the PostgreSQL server binaries (initdb, pg_ctl) are needed for the TLS test")
}

fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

fn as_cluster_owner(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn config(work: &notary_testkit::WorkDir, name: &str, db_url: &str) -> PathBuf {
    work.write(
        &format!("{name}.json"),
        serde_json::json!({
            "server": {"http_addr": "127.0.0.1:0"},
            "trust_service": {"type": "local"},
            "storage": {"backend": "postgres", "db_url": db_url},
        })
        .to_string()
        .as_bytes(),
    )
}

const SECRET: [(&str, &str); 1] = [(notary_server::server::PASSPHRASE_ENV, "tls-test-secret")];

#[test]
fn postgres_over_verified_tls() {
    let work = notary_testkit::WorkDir::new("postgres-tls");
    let pki = TestPki::generate(&work.path("pki"));
    let cluster = PrivateCluster::start(&work.path("cluster"), &pki);
    let binary = Path::new(env!("CARGO_BIN_EXE_notary-server"));

    let verified = cluster.url(&format!("sslmode=verify-full&sslrootcert={}", pki.ca_cert.display()));
    let server = ServerProcess::start_with(binary, &config(&work, "verified", &verified), &SECRET);
    let gun = "example.com/tls/db";
    let mut repo = ServerRepo::init_at(server.addr(), gun, SnapshotKey::Server);
    let targets = repo.add_target("v2", b"over tls");
    assert_eq!(http::upload(server.addr(), gun, &[("targets", &targets)]).status, 200);
    assert_eq!(
        http::get(server.addr(), &format!("/v2/{gun}/_trust/tuf/targets.json")).body,
        targets
    );
    drop(server);

    // Refused at start-up: plain text (no hostssl entry), and a certificate of another CA.
    let other = TestPki::generate(&work.path("other-pki"));
    for (name, url, expected) in [
        ("plain", cluster.url("sslmode=disable"), "pg_hba.conf"),
        (
            "other-ca",
            cluster.url(&format!("sslmode=verify-full&sslrootcert={}", other.ca_cert.display())),
            "cannot connect to PostgreSQL",
        ),
    ] {
        let output = Command::new(binary)
            .arg("-config")
            .arg(config(&work, name, &url))
            .args(["--listen", "127.0.0.1:0"])
            .envs(SECRET)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name}: started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    drop(cluster);
    work.done();
}
