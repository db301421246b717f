//! Crossings with Go Notary 0.7 (signer.md §11 items 37–38): Go's `notary-server` against our
//! signer, our `notary-server` against Go's signer, each passing the whole Go CLI scenario
//! (`shared/interop/notary-cli-scenario.sh`), our server + our signer with RSA server-managed keys
//! (beyond Go) under the same scenario, and our server + our signer through a signer outage
//! (reads keep working, signing answers 503, the server recovers when the signer comes back).
//!
//! Our server runs in-process (a dev-dependency), our signer as its binary, Go's binaries from
//! `PATH` (`shared/interop/install-peers.sh`). Every port is picked free at run time.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use notary_server::config::ServerConfig;
use notary_server::server::Server;
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;

/// Ports the interop conventions reserve (`shared/interop/README.md`): never ours to take.
const RESERVED_PORTS: [u16; 4] = [14098, 14099, 14443, 17899];

/// A port the OS says is free right now.
fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !RESERVED_PORTS.contains(&port) {
            return port;
        }
    }
}

/// Our `notary-signer` binary: SQLite storage with a default alias whose passphrase comes from the
/// environment, mutual TLS from `pki`. Killed on drop.
struct OurSigner {
    child: Child,
    addr: String,
    log: PathBuf,
}

const SIGNER_ALIAS: &str = "crossing";
const SIGNER_PASSPHRASE: &str = "crossing-signer-passphrase";

impl OurSigner {
    /// Starts the signer on `listen` (`127.0.0.1:0` for any port) with the database in `work`.
    fn start(work: &WorkDir, pki: &TestPki, listen: &str) -> OurSigner {
        let config = work.write(
            "signer.json",
            serde_json::json!({
                "server": {
                    "grpc_addr": "127.0.0.1:0",
                    "tls_cert_file": pki.server_cert,
                    "tls_key_file": pki.server_key,
                    "client_ca_file": pki.ca_cert,
                },
                "storage": {
                    "backend": "sqlite3",
                    "db_url": work.path("signer.db"),
                    "default_alias": SIGNER_ALIAS,
                },
                "logging": { "level": "info" },
            })
            .to_string()
            .as_bytes(),
        );
        let log = work.path("signer.log");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_notary-signer"))
            .arg("-config")
            .arg(&config)
            .args(["--listen", listen])
            .env("NOTARY_SIGNER_CROSSING", SIGNER_PASSPHRASE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().to_owned();
        assert!(
            addr.parse::<std::net::SocketAddr>().is_ok(),
            "our notary-signer did not start ({addr:?}):\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        OurSigner { child, addr, log }
    }

    fn port(&self) -> u16 {
        self.addr.rsplit_once(':').unwrap().1.parse().unwrap()
    }

    /// SIGKILL: no graceful shutdown.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for OurSigner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our notary-server in-process, on a runtime thread of its own; stopped on drop.
struct OurServer {
    url: String,
    addr: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OurServer {
    /// Binds `127.0.0.1:0` with the configuration `json` (Go's file format; no environment).
    fn start(json: &serde_json::Value, dir: &Path) -> OurServer {
        let config = ServerConfig::from_json(json.to_string().as_bytes(), dir, &|_| None).unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let clock = notary_server::service::system_clock();
                let server = Server::bind(&config, Some("127.0.0.1:0"), clock).await.unwrap();
                ready_tx.send((server.url(), server.local_addr().to_string())).unwrap();
                server
                    .run(async {
                        let _ = shutdown_rx.await;
                    })
                    .await;
            });
        });
        let (url, addr) = ready_rx.recv().unwrap();
        OurServer {
            url,
            addr,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The `trust_service` section for a remote signer at `127.0.0.1:port`.
fn remote_trust(port: u16, ca: &Path, client_cert: &Path, client_key: &Path) -> serde_json::Value {
    serde_json::json!({
        "type": "remote",
        "hostname": "127.0.0.1",
        "port": port.to_string(),
        "key_algorithm": "ecdsa",
        "tls_ca_file": ca,
        "tls_client_cert": client_cert,
        "tls_client_key": client_key,
    })
}

/// A child process killed on drop (Go's notary-server).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stop-reference-server.sh DIR` on drop, so a failing test leaves nothing running.
struct ReferenceServer(PathBuf);

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(notary_testkit::interop_script("stop-reference-server.sh"))
            .arg(&self.0)
            .stdin(Stdio::null())
            .output();
    }
}

/// `curl -sS [--cacert CA] URL`: the status code and the body (`0` when nothing answered).
fn curl(ca: Option<&Path>, url: &str) -> (u16, String) {
    let mut command = Command::new("curl");
    command.args(["-sS", "--max-time", "30", "-o", "/dev/stdout", "-w", "\n%{http_code}"]);
    if let Some(ca) = ca {
        command.arg("--cacert").arg(ca);
    }
    let out = command.arg(url).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// Polls `check` every 200 ms until it returns `Some`, for at most `limit`.
fn poll<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `notary-cli-scenario.sh URL` with `INTEROP_CA_CERT=ca` and asserts `80 passed, 0 failed`.
fn go_cli_scenario(url: &str, ca: &Path, logs: &dyn Fn() -> String) {
    let output = Command::new("bash")
        .arg(notary_testkit::interop_script("notary-cli-scenario.sh"))
        .arg(url)
        .env("INTEROP_CA_CERT", ca)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary,
        "80 passed, 0 failed",
        "notary-cli-scenario.sh against {url}:\n{stdout}\n{}\n--- logs ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        logs()
    );
    println!("notary-cli-scenario.sh against {url}: {summary}");
}

/// The Go `notary` CLI with the test passphrases, a private `HOME` and trust dir in `work`.
fn notary(work: &WorkDir, url: &str, args: &[&str]) -> (bool, String) {
    let home = work.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let output: Output = Command::new(std::env::var("NOTARY_BIN").unwrap_or_else(|_| "notary".to_owned()))
        .arg("-s")
        .arg(url)
        .arg("-d")
        .arg(work.path("trust"))
        .args(args)
        .current_dir(work.path(""))
        .env("HOME", &home)
        .env("NOTARY_ROOT_PASSPHRASE", notary_testkit::ROOT_PASSPHRASE)
        .env("NOTARY_TARGETS_PASSPHRASE", notary_testkit::TARGETS_PASSPHRASE)
        .env("NOTARY_SNAPSHOT_PASSPHRASE", notary_testkit::SNAPSHOT_PASSPHRASE)
        .env("NOTARY_DELEGATION_PASSPHRASE", notary_testkit::DELEGATION_PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "$ notary {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Item 37: Go's notary-server with `trust_service.type: remote` against our signer (SQLite store)
/// passes the whole Go CLI scenario, and its health stays `{}` once its checks have run.
#[test]
fn go_server_with_our_signer_passes_the_go_cli_scenario() {
    let work = WorkDir::new("crossing-go-server");
    let pki = TestPki::generate(&work.path("tls"));
    let signer = OurSigner::start(&work, &pki, "127.0.0.1:0");
    let port = free_port();
    let config = work.write(
        "server.json",
        serde_json::json!({
            "server": {
                "http_addr": format!("127.0.0.1:{port}"),
                "tls_cert_file": pki.server_cert,
                "tls_key_file": pki.server_key,
            },
            "trust_service": remote_trust(signer.port(), &pki.ca_cert, &pki.client_cert, &pki.client_key),
            "logging": { "level": "info" },
            "storage": { "backend": "memory" },
        })
        .to_string()
        .as_bytes(),
    );
    let server_log = work.path("go-server.log");
    let started = Instant::now();
    let go_server = Killed(
        Command::new(std::env::var("NOTARY_SERVER_BIN").unwrap_or_else(|_| "notary-server".to_owned()))
            .arg("-config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&server_log).unwrap())
            .stderr(std::fs::File::create(work.path("go-server.stderr")).unwrap())
            .spawn()
            .unwrap(),
    );
    let logs = || {
        format!(
            "Go notary-server:\n{}{}\nour notary-signer:\n{}",
            std::fs::read_to_string(&server_log).unwrap_or_default(),
            std::fs::read_to_string(work.path("go-server.stderr")).unwrap_or_default(),
            signer.log()
        )
    };
    let url = format!("https://127.0.0.1:{port}");
    let health = format!("{url}/_notary_server/health");
    let healthy = poll(Duration::from_secs(30), || {
        (curl(Some(&pki.ca_cert), &health).0 == 200).then_some(())
    });
    assert!(healthy.is_some(), "Go notary-server never became healthy:\n{}", logs());

    go_cli_scenario(&url, &pki.ca_cert, &logs);

    // Go checks the trust service periodically: after 10 s it must still report nothing failing.
    if let Some(rest) = Duration::from_secs(11).checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    let (status, body) = curl(Some(&pki.ca_cert), &health);
    assert_eq!((status, body.trim()), (200, "{}"), "health after 10 s:\n{}", logs());
    assert!(!logs().contains("Trust not fully operational"), "{}", logs());
    // The server-managed keys were made by our signer.
    assert!(signer.log().contains("CreateKey: Created KeyID"), "{}", logs());

    drop(go_server);
    signer.kill();
    work.done();
}

/// Item 38: our notary-server with `trust_service.type: remote` against Go's notary-signer
/// (memory store, the reference script's PKI) passes the whole Go CLI scenario.
#[test]
fn our_server_with_go_signer_passes_the_go_cli_scenario() {
    let work = WorkDir::new("crossing-go-signer");
    let dir = work.path("ref");
    let signer_port = free_port();
    let go_server_port = free_port();
    let reference = ReferenceServer(dir.clone());
    let output = Command::new("bash")
        .arg(notary_testkit::interop_script("start-reference-server.sh"))
        .arg(&dir)
        .arg(go_server_port.to_string())
        .env("NOTARY_TRUST_SERVICE", "remote")
        .env("NOTARY_SIGNER_PORT", signer_port.to_string())
        .env("NOTARY_KEY_ALGORITHM", "ecdsa")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "start-reference-server.sh failed:\n{}{}\nsigner.log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(dir.join("signer.log")).unwrap_or_default()
    );
    // Only Go's signer is wanted: stop the Go server the script started beside it.
    let pids = std::fs::read_to_string(dir.join("pids")).unwrap();
    let go_server_pid = pids
        .lines()
        .find_map(|l| l.strip_suffix(" notary-server"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(pids.contains(" notary-signer"), "no notary-signer in {pids}");
    let _ = Command::new("kill").args(["-TERM", &go_server_pid]).status();

    let tls = dir.join("tls");
    let server = OurServer::start(
        &serde_json::json!({
            "server": {
                "http_addr": "127.0.0.1:0",
                "tls_cert_file": tls.join("server.crt"),
                "tls_key_file": tls.join("server.key"),
            },
            "trust_service": remote_trust(
                signer_port,
                &tls.join("ca.crt"),
                &tls.join("client.crt"),
                &tls.join("client.key"),
            ),
            "logging": { "level": "info" },
            "storage": { "backend": "memory" },
        }),
        &work.path(""),
    );
    assert!(server.url.starts_with("https://"));
    let started = Instant::now();
    let logs = || {
        format!(
            "Go notary-signer:\n{}",
            std::fs::read_to_string(dir.join("signer.log")).unwrap_or_default()
        )
    };
    go_cli_scenario(&server.url, &tls.join("ca.crt"), &logs);
    assert!(logs().contains("CreateKey: Created KeyID"), "{}", logs());

    // Our periodic `Trust operational` check (every 10 s) is satisfied by Go's health service.
    if let Some(rest) = Duration::from_secs(11).checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    let (status, body) = curl(
        Some(&tls.join("ca.crt")),
        &format!("{}/_notary_server/health", server.url),
    );
    assert_eq!((status, body.trim()), (200, "{}"), "health after 10 s:\n{}", logs());

    drop(server);
    drop(reference);
    work.done();
}

/// Beyond Go: our server with `trust_service.key_algorithm: rsa` against our signer, which (unlike
/// Go's, signer.md §7) creates RSA keys. The whole Go CLI scenario passes — so the Go client takes
/// the `rsa` timestamp and snapshot keys in root.json and their `rsapss` signatures — and so does
/// `init -p` + `add -p` + `list` from a fresh trust dir on a repository we then inspect.
#[test]
fn our_server_with_our_signer_and_rsa_keys_passes_the_go_cli_scenario() {
    let work = WorkDir::new("crossing-rsa");
    let pki = TestPki::generate(&work.path("tls"));
    let signer = OurSigner::start(&work, &pki, "127.0.0.1:0");
    let mut trust = remote_trust(signer.port(), &pki.ca_cert, &pki.client_cert, &pki.client_key);
    trust["key_algorithm"] = "rsa".into();
    let server = OurServer::start(
        &serde_json::json!({
            "server": {
                "http_addr": "127.0.0.1:0",
                "tls_cert_file": pki.server_cert,
                "tls_key_file": pki.server_key,
            },
            "trust_service": trust,
            "logging": { "level": "info" },
            "storage": { "backend": "memory" },
        }),
        &work.path(""),
    );
    let url = server.url.clone();
    assert!(url.starts_with("https://"));
    let logs = || format!("our notary-signer:\n{}", signer.log());
    go_cli_scenario(&url, &pki.ca_cert, &logs);

    let gun = work.gun_under("example.com/crossings/rsa");
    work.write("payload.txt", b"rsa crossing payload\n");
    let ca = pki.ca_cert.to_str().unwrap();
    let fresh = work.path("fresh-trust");
    let fresh = fresh.to_str().unwrap();
    for args in [
        &["--tlscacert", ca, "init", "-p", &gun][..],
        &["--tlscacert", ca, "add", "-p", &gun, "v1", "payload.txt"],
        // A later `-d` wins: a client that never saw the repository.
        &["-d", fresh, "--tlscacert", ca, "list", &gun],
    ] {
        let (ok, out) = notary(&work, &url, args);
        assert!(ok, "{out}\n{}", logs());
        if args.contains(&"list") {
            assert!(out.contains("v1"), "{out}");
        }
    }
    assert!(
        work.path("fresh-trust/tuf").is_dir(),
        "list did not use the fresh trust dir"
    );

    // root.json lists an `rsa` timestamp key, and timestamp.json carries its `rsapss` signature.
    let fetch = |role: &str| {
        let (status, body) = curl(Some(&pki.ca_cert), &format!("{url}/v2/{gun}/_trust/tuf/{role}.json"));
        assert_eq!(status, 200, "{role}.json: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let root = fetch("root");
    let timestamp_ids = root["signed"]["roles"]["timestamp"]["keyids"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(timestamp_ids.len(), 1, "{root}");
    let timestamp_id = timestamp_ids[0].as_str().unwrap();
    assert_eq!(root["signed"]["keys"][timestamp_id]["keytype"], "rsa", "{root}");
    let timestamp = fetch("timestamp");
    let signatures = timestamp["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1, "{timestamp}");
    assert_eq!(signatures[0]["keyid"], timestamp_id);
    assert_eq!(signatures[0]["method"], "rsapss");

    // Every key our signer holds is RSA: timestamp keys, and the snapshot keys the scenario's
    // `key rotate snapshot -r` handed to the server.
    let rows = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(crate::support::key_rows(&crate::support::SqlDb::Sqlite(
            work.path("signer.db"),
        )));
    assert!(rows.iter().all(|row| row.algorithm == "rsa"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|row| row.role == "timestamp" && row.last_used.is_some())
    );
    assert!(rows.iter().any(|row| row.role == "snapshot" && row.last_used.is_some()));
    assert!(rows.iter().any(|row| row.key_id == timestamp_id));

    drop(server);
    signer.kill();
    work.done();
}

/// Our server (remote trust) + our signer: SIGKILL the signer after a publish; reads keep
/// working, whatever needs a signature answers 503 (never 500), health turns `Trust operational`;
/// the signer restarted on the same port and database brings everything back without a server
/// restart.
#[test]
fn our_server_with_our_signer_survives_signer_outage() {
    let work = WorkDir::new("crossing-outage");
    let pki = TestPki::generate(&work.path("tls"));
    let signer = OurSigner::start(&work, &pki, "127.0.0.1:0");
    let signer_addr = signer.addr.clone();
    // Plain HTTP for the server (the signer link is still mutual TLS), so raw requests are simple.
    let server = OurServer::start(
        &serde_json::json!({
            "server": { "http_addr": "127.0.0.1:0" },
            "trust_service": remote_trust(signer.port(), &pki.ca_cert, &pki.client_cert, &pki.client_key),
            "storage": { "backend": "memory" },
        }),
        &work.path(""),
    );
    let url = server.url.clone();
    let addr = server.addr.clone();
    let gun = work.gun_under("example.com/crossings/outage");
    work.write("payload.txt", b"crossing payload\n");

    let (ok, out) = notary(&work, &url, &["init", "-p", &gun]);
    assert!(ok, "init -p with the signer up:\n{out}\n{}", signer.log());
    let (ok, out) = notary(&work, &url, &["add", &gun, "v1", "payload.txt"]);
    assert!(ok, "{out}");
    let (ok, out) = notary(&work, &url, &["publish", &gun]);
    assert!(ok, "publish with the signer up:\n{out}");

    signer.kill();
    let outage = Instant::now();

    // Reads need no signature.
    let timestamp = notary_testkit::http::get(&addr, &format!("/v2/{gun}/_trust/tuf/timestamp.json"));
    assert_eq!(
        timestamp.status,
        200,
        "timestamp.json while the signer is down: {}",
        timestamp.text()
    );
    let (ok, out) = notary(&work, &url, &["list", &gun]);
    assert!(ok && out.contains("v1"), "list while the signer is down:\n{out}");

    // A new key needs the signer: 503 with Go's JSON error envelope.
    let new_gun = format!("{gun}-new");
    let key = notary_testkit::http::get(&addr, &format!("/v2/{new_gun}/_trust/tuf/timestamp.key"));
    assert_eq!(
        key.status,
        503,
        "timestamp.key while the signer is down: {}",
        key.text()
    );
    let body = key.json();
    assert_eq!(body["errors"][0]["code"], "UNAVAILABLE", "{body}");

    // A publish needs a new timestamp: the CLI fails, and what it saw was 503, not 500.
    let (ok, out) = notary(&work, &url, &["add", &gun, "v2", "payload.txt"]);
    assert!(ok, "{out}");
    let (ok, out) = notary(&work, &url, &["publish", &gun]);
    assert!(!ok, "publish succeeded with the signer down:\n{out}");
    // Go's client reports any other status as "unable to reach trust server at this time: <code>."
    assert!(
        out.contains("at this time: 503."),
        "publish did not fail with 503:\n{out}"
    );
    assert!(!out.contains("at this time: 500."), "the server answered 500:\n{out}");

    // The periodic check (every 10 s) notices.
    let down = poll(Duration::from_secs(25), || {
        let health = notary_testkit::http::get(&addr, "/_notary_server/health");
        (health.status == 503).then(|| health.json())
    });
    let down = down.unwrap_or_else(|| panic!("health never turned 503 with the signer down"));
    assert!(down.get("Trust operational").is_some(), "health: {down}");
    println!(
        "health reported {down} {:.1} s after the signer died",
        outage.elapsed().as_secs_f64()
    );

    // Same port, same database: the keys made before the outage are there again.
    let signer = OurSigner::start(&work, &pki, &signer_addr);
    assert_eq!(signer.addr, signer_addr);
    let restarted = Instant::now();
    let key = notary_testkit::http::get(&addr, &format!("/v2/{new_gun}/_trust/tuf/timestamp.key"));
    assert_eq!(
        key.status,
        200,
        "timestamp.key after the signer came back: {}\n{}",
        key.text(),
        signer.log()
    );
    let (ok, out) = notary(&work, &url, &["publish", &gun]);
    assert!(ok, "publish after the signer came back:\n{out}\n{}", signer.log());
    let (ok, out) = notary(&work, &url, &["list", &gun]);
    assert!(
        ok && out.contains("v1") && out.contains("v2"),
        "list after recovery:\n{out}"
    );

    let up = poll(Duration::from_secs(25), || {
        let health = notary_testkit::http::get(&addr, "/_notary_server/health");
        (health.status == 200).then(|| health.text())
    });
    assert_eq!(
        up.as_deref().map(str::trim),
        Some("{}"),
        "health never recovered after the signer came back"
    );
    println!(
        "health recovered {:.1} s after the signer restarted",
        restarted.elapsed().as_secs_f64()
    );

    drop(server);
    signer.kill();
    work.done();
}
