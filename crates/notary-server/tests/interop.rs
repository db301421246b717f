//! The real Go `notary` CLI and the real Docker CLI against our server binary: the shared interop
//! scenarios (`shared/interop/*-scenario.sh`) must pass completely, over HTTPS and plain HTTP, on
//! the run's backend (`NOTARY_TEST_BACKEND`), and against two of our servers on one PostgreSQL
//! database with every connection of the scenario going to the other server than the last.

use std::path::Path;
use std::process::Command;

use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use notary_testkit::postgres::{Backend, TestDatabase};
use notary_testkit::server::ServerProcess;

/// Our server with TLS when `tls` is given, on the run's backend (`NOTARY_TEST_BACKEND`): a SQLite
/// file in `work`, or a fresh PostgreSQL database (returned, to be dropped after the server).
fn our_server(work: &WorkDir, tls: Option<&TestPki>) -> (ServerProcess, Option<TestDatabase>) {
    match Backend::from_env() {
        Backend::Sqlite => {
            let storage = format!(
                r#"{{"backend":"sqlite","db_url":"{}"}}"#,
                work.path("db.sqlite").display()
            );
            (start_server(work, "server", tls, &storage), None)
        }
        Backend::Postgres => {
            let db = TestDatabase::create("interop");
            (start_server(work, "server", tls, &postgres_storage(&db)), Some(db))
        }
    }
}

/// The `storage` section for `db`.
fn postgres_storage(db: &TestDatabase) -> String {
    format!(r#"{{"backend":"postgres","db_url":"{}"}}"#, db.url())
}

/// Starts our server binary with config `<name>.json` in `work`: `storage` as given, local trust,
/// TLS when `tls` is given, and the shared passphrase that servers on one PostgreSQL database need.
fn start_server(work: &WorkDir, name: &str, tls: Option<&TestPki>, storage: &str) -> ServerProcess {
    let tls = tls.map_or(String::new(), |pki| {
        format!(
            r#","tls_cert_file":"{}","tls_key_file":"{}""#,
            pki.server_cert.display(),
            pki.server_key.display()
        )
    });
    let config = work.write(
        &format!("{name}.json"),
        format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"{tls}}},"trust_service":{{"type":"local"}},
               "storage":{storage},"logging":{{"level":"info"}}}}"#
        )
        .as_bytes(),
    );
    ServerProcess::start_with(
        Path::new(env!("CARGO_BIN_EXE_notary-server")),
        &config,
        &[(notary_server::server::PASSPHRASE_ENV, "interop-test-secret")],
    )
}

/// Runs a scenario script and asserts its closing `N passed, 0 failed` line.
fn scenario(script: &str, url: &str, env: &[(&str, &str)], expect_passed: usize) {
    let mut command = Command::new("bash");
    command.arg(notary_testkit::interop_script(script)).arg(url);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary,
        format!("{expect_passed} passed, 0 failed"),
        "{script} against {url}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{script} against {url}: {summary}");
}

#[test]
fn go_cli_scenario_over_https() {
    let work = WorkDir::new("interop-https");
    let pki = TestPki::generate(&work.path("tls"));
    let (server, _db) = our_server(&work, Some(&pki));
    assert!(server.url().starts_with("https://"));
    let ca = pki.ca_cert.display().to_string();
    scenario("notary-cli-scenario.sh", server.url(), &[("INTEROP_CA_CERT", &ca)], 80);
    drop(server);
    work.done();
}

#[test]
fn go_cli_scenario_over_http() {
    let work = WorkDir::new("interop-http");
    let (server, _db) = our_server(&work, None);
    scenario("notary-cli-scenario.sh", server.url(), &[], 80);
    drop(server);
    work.done();
}

#[test]
fn docker_trust_scenario_with_registry() {
    let work = WorkDir::new("interop-docker");
    let pki = TestPki::generate(&work.path("tls"));
    let (server, _db) = our_server(&work, Some(&pki));
    let registry_dir = work.path("registry");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Command::new("bash")
        .arg(notary_testkit::interop_script("start-registry.sh"))
        .arg(&registry_dir)
        .arg(port.to_string())
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let registry = format!("127.0.0.1:{port}");
    let ca = pki.ca_cert.display().to_string();
    let result = std::panic::catch_unwind(|| {
        scenario(
            "docker-trust-scenario.sh",
            server.url(),
            &[("INTEROP_CA_CERT", &ca), ("INTEROP_REGISTRY", &registry)],
            41,
        )
    });
    let _ = Command::new("bash")
        .arg(notary_testkit::interop_script("stop-reference-server.sh"))
        .arg(&registry_dir)
        .output();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    drop(server);
    work.done();
}

/// Two of our servers on one PostgreSQL database behind a round-robin TCP proxy (TLS passes
/// through; both servers have the same certificate): the Go CLI opens a connection per command,
/// so the scenario alternates between the servers and must still pass completely.
#[cfg(feature = "postgres")]
#[test]
fn go_cli_scenario_alternating_between_two_servers_on_one_database() {
    let work = WorkDir::new("interop-two-servers");
    let pki = TestPki::generate(&work.path("tls"));
    let db = TestDatabase::create("interop_two");
    let storage = postgres_storage(&db);
    let one = start_server(&work, "one", Some(&pki), &storage);
    let two = start_server(&work, "two", Some(&pki), &storage);
    let proxy = RoundRobinProxy::start(&[one.addr(), two.addr()]);
    let url = format!("https://{}", proxy.addr);
    let ca = pki.ca_cert.display().to_string();
    scenario("notary-cli-scenario.sh", &url, &[("INTEROP_CA_CERT", &ca)], 80);
    let connections = proxy.connections();
    println!("connections per server: {connections:?}");
    assert!(
        connections.iter().all(|&n| n > 0),
        "a server got no connections: {connections:?}"
    );
    drop((proxy, one, two, db));
    work.done();
}

/// A TCP proxy on `127.0.0.1:0` sending each accepted connection to the next backend in turn,
/// bytes copied both ways unchanged; stops accepting on drop.
#[cfg(feature = "postgres")]
struct RoundRobinProxy {
    addr: std::net::SocketAddr,
    accepted: std::sync::Arc<Vec<std::sync::atomic::AtomicUsize>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[cfg(feature = "postgres")]
impl RoundRobinProxy {
    fn start(backends: &[&str]) -> RoundRobinProxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let backends: Vec<String> = backends.iter().map(|b| (*b).to_owned()).collect();
        let accepted: Arc<Vec<AtomicUsize>> = Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let (counts, stopped) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for (n, client) in listener.incoming().enumerate() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let backend = n % backends.len();
                counts[backend].fetch_add(1, Ordering::SeqCst);
                let Ok(server) = std::net::TcpStream::connect(&backends[backend]) else {
                    continue;
                };
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        RoundRobinProxy {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    /// Connections accepted per backend so far.
    fn connections(&self) -> Vec<usize> {
        self.accepted
            .iter()
            .map(|n| n.load(std::sync::atomic::Ordering::SeqCst))
            .collect()
    }
}

#[cfg(feature = "postgres")]
impl Drop for RoundRobinProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Copies `from` to `to` on a thread of its own until EOF, then half-closes `to`.
#[cfg(feature = "postgres")]
fn pipe(from: &std::net::TcpStream, to: &std::net::TcpStream) {
    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}
