//! Several server processes on one PostgreSQL database: a publish through one is served by the
//! others at once although each caches current metadata (LISTEN/NOTIFY invalidation), also after
//! a lost listener; a database outage (cut through a TCP proxy the test controls) answers writes
//! with 503 and reads from the last known unexpired state; concurrent lazy re-signs converge on
//! one timestamp; `-bootstrap` migrates and exits.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use notary_testkit::http;
use notary_testkit::postgres::TestDatabase;
use notary_testkit::server::ServerProcess;

use crate::support::{ServerRepo, SnapshotKey, assert_error};

#[test]
fn a_publish_through_one_server_is_served_by_the_other() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("shared-db");
    let config = work.write(
        "server.json",
        format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"}},"trust_service":{{"type":"local"}},
               "storage":{{"backend":"postgres","db_url":"{}"}},"logging":{{"level":"info"}}}}"#,
            db.url()
        )
        .as_bytes(),
    );
    // Both servers must open the same sealed keys: one shared passphrase.
    let env = [(notary_server::server::PASSPHRASE_ENV, "shared-test-secret")];
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_notary-server"));
    let one = ServerProcess::start_with(binary, &config, &env);
    let two = ServerProcess::start_with(binary, &config, &env);
    let gun = "example.com/shared/db";
    let mut repo = ServerRepo::init_at(one.addr(), gun, SnapshotKey::Server);
    let timestamp = format!("/v2/{gun}/_trust/tuf/timestamp.json");
    let targets_path = format!("/v2/{gun}/_trust/tuf/targets.json");
    // Warm server two's view, then publish through server one.
    assert_eq!(
        http::get(two.addr(), &timestamp).body,
        http::get(one.addr(), &timestamp).body
    );
    let targets = repo.add_target("v2", b"two");
    assert_eq!(http::upload(one.addr(), gun, &[("targets", &targets)]).status, 200);
    let served_by_one = http::get(one.addr(), &timestamp).body;
    assert_eq!(
        http::get(two.addr(), &timestamp).body,
        served_by_one,
        "server two served a stale timestamp"
    );
    assert_eq!(http::get(two.addr(), &targets_path).body, targets);
    // The other way round: server two signs with the server-held keys server one created.
    let targets = repo.add_target("v3", b"three");
    let response = http::upload(two.addr(), gun, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(http::get(one.addr(), &targets_path).body, targets);
    drop((one, two));
    work.done();
}

/// The shared passphrase of the local signing service: every server must open the same keys.
const SHARED_SECRET: [(&str, &str); 1] = [(notary_server::server::PASSPHRASE_ENV, "shared-test-secret")];

fn server_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_notary-server"))
}

/// A server config on `db_url` (local trust) written as `<name>.json` in `work`.
fn config(work: &notary_testkit::WorkDir, name: &str, db_url: &str) -> PathBuf {
    work.write(
        &format!("{name}.json"),
        format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"}},"trust_service":{{"type":"local"}},
               "storage":{{"backend":"postgres","db_url":"{db_url}"}},"logging":{{"level":"info"}}}}"#
        )
        .as_bytes(),
    )
}

/// `n` server processes on `db_url`, each with a config of its own (so each logs apart), once
/// their caches are coherent.
pub(crate) fn start_servers(work: &notary_testkit::WorkDir, db_url: &str, n: usize) -> Vec<ServerProcess> {
    let servers: Vec<ServerProcess> = (0..n)
        .map(|i| {
            ServerProcess::start_with(
                server_binary(),
                &config(work, &format!("server{i}"), db_url),
                &SHARED_SECRET,
            )
        })
        .collect();
    for server in &servers {
        wait_for(Duration::from_secs(10), "the cache to become coherent", || {
            metric(server, "notary_server_metadata_cache_coherent") == 1.0
        });
    }
    servers
}

/// The value of the sample `series` (exact name and labels) in `server`'s `/metrics`.
fn metric(server: &ServerProcess, series: &str) -> f64 {
    let text = http::get(server.addr(), "/metrics").text();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

fn cache_hits(server: &ServerProcess) -> f64 {
    metric(server, "notary_server_metadata_cache_reads_total{result=\"hit\"}")
}

fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tuf_path(gun: &str, file: &str) -> String {
    format!("/v2/{gun}/_trust/tuf/{file}")
}

#[test]
fn every_publish_is_served_at_once_by_every_server_while_reads_hit_the_cache() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("coherent-cache");
    let servers = start_servers(&work, db.url(), 3);
    let (writer, readers) = (&servers[0], &servers[1..]);
    let gun = "example.com/coherent/cache";
    let mut repo = ServerRepo::init_at(writer.addr(), gun, SnapshotKey::Server);
    let timestamp = tuf_path(gun, "timestamp.json");
    let targets_path = tuf_path(gun, "targets.json");
    for round in 0..50 {
        // Warm every reader's cache and prove it is used: a second read is a hit.
        for reader in readers {
            assert_eq!(http::get(reader.addr(), &timestamp).status, 200);
            let hits = cache_hits(reader);
            assert_eq!(http::get(reader.addr(), &timestamp).status, 200);
            assert_eq!(cache_hits(reader), hits + 1.0, "round {round}: no cache hit");
        }
        let targets = repo.add_target(&format!("t{round}"), format!("content {round}").as_bytes());
        let response = http::upload(writer.addr(), gun, &[("targets", &targets)]);
        assert_eq!(response.status, 200, "{}", response.text());
        let current = http::get(writer.addr(), &timestamp).body;
        for reader in readers {
            assert_eq!(
                http::get(reader.addr(), &timestamp).body,
                current,
                "round {round}: a reader served a stale timestamp"
            );
            assert_eq!(http::get(reader.addr(), &targets_path).body, targets, "round {round}");
        }
    }
    // The other way round: a reader publishes with the keys the writer's server created.
    let targets = repo.add_target("last", b"last");
    let response = http::upload(servers[2].addr(), gun, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(http::get(writer.addr(), &targets_path).body, targets);
    assert_eq!(http::get(servers[1].addr(), &targets_path).body, targets);
    drop(servers);
    work.done();
}

/// The server-side pids of `server`'s change listener connections.
fn listener_backends(db: &TestDatabase, server: &ServerProcess) -> Vec<String> {
    // The client ports `server` holds towards PostgreSQL, from `ss`.
    let output = Command::new("ss")
        .args(["-tnpH", "state", "established"])
        .output()
        .unwrap();
    let ports: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(&format!("pid={},", server.pid())))
        .filter_map(|line| {
            let mut columns = line.split_whitespace();
            let local = columns.nth(2)?;
            let peer = columns.next()?;
            peer.ends_with(":5432")
                .then(|| local.rsplit(':').next().unwrap_or_default().to_owned())
        })
        .collect();
    assert!(
        !ports.is_empty(),
        "no connections of server {} in ss output",
        server.pid()
    );
    let backends = db.query(&format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{}' AND application_name = '{}' AND client_port IN ({})",
        db.name(),
        notary_storage::postgres::LISTENER_APPLICATION_NAME,
        ports.join(",")
    ));
    backends.lines().map(str::to_owned).collect()
}

#[test]
fn a_lost_listener_never_lets_a_server_serve_stale_metadata() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("lost-listener");
    let servers = start_servers(&work, db.url(), 2);
    let (writer, reader) = (&servers[0], &servers[1]);
    let gun = "example.com/lost/listener";
    let mut repo = ServerRepo::init_at(writer.addr(), gun, SnapshotKey::Server);
    let targets_path = tuf_path(gun, "targets.json");
    for round in 0..3 {
        // The reader's cache holds the GUN.
        let before = http::get(reader.addr(), &targets_path).body;
        let hits = cache_hits(reader);
        assert_eq!(http::get(reader.addr(), &targets_path).body, before);
        assert_eq!(
            cache_hits(reader),
            hits + 1.0,
            "round {round}: the reader's cache was not used"
        );

        // Kill only the reader's listener, then change the GUN through the writer at once: the
        // reader misses that notification (it reconnects only after a delay).
        let backends = listener_backends(&db, reader);
        assert_eq!(backends.len(), 1, "round {round}: {backends:?}");
        db.query(&format!("SELECT pg_terminate_backend({})", backends[0]));
        if round % 2 == 0 {
            let targets = repo.add_target(&format!("t{round}"), b"new");
            assert_eq!(http::upload(writer.addr(), gun, &[("targets", &targets)]).status, 200);
            assert_eq!(
                http::get(reader.addr(), &targets_path).body,
                targets,
                "round {round}: stale"
            );
        } else {
            assert_eq!(
                http::request(writer.addr(), "DELETE", &tuf_path(gun, ""), &[], b"").status,
                200
            );
            assert_eq!(
                http::get(reader.addr(), &targets_path).status,
                404,
                "round {round}: stale"
            );
            repo = ServerRepo::init_at(writer.addr(), gun, SnapshotKey::Server);
        }
        // Reconnected: the cache serves again, and is current.
        wait_for(Duration::from_secs(10), "the listener to reconnect", || {
            metric(reader, "notary_server_metadata_cache_coherent") == 1.0
        });
        assert_eq!(
            http::get(reader.addr(), &targets_path).body,
            http::get(writer.addr(), &targets_path).body
        );
    }
    drop(servers);
    work.done();
}

/// A TCP proxy to PostgreSQL that the test can cut (every connection closed, new ones closed at
/// once), take down (connections refused: nothing listens on its port) and restore.
struct CuttableProxy {
    port: u16,
    /// 0: forwarding, 1: cut, 2: down.
    state: Arc<AtomicU8>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

const FORWARDING: u8 = 0;
const CUT: u8 = 1;
const DOWN: u8 = 2;

impl CuttableProxy {
    fn start() -> CuttableProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(AtomicU8::new(FORWARDING));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (state_flag, open_list) = (state.clone(), open.clone());
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            loop {
                if state_flag.load(Ordering::SeqCst) == DOWN {
                    listener = None;
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                let Some(bound) = &listener else {
                    // Back up: listen on the same port again.
                    listener = TcpListener::bind(("127.0.0.1", port)).ok();
                    if let Some(bound) = &listener {
                        bound.set_nonblocking(true).unwrap();
                    }
                    continue;
                };
                bound.set_nonblocking(true).unwrap();
                let client = match bound.accept() {
                    Ok((client, _)) => client,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                if state_flag.load(Ordering::SeqCst) != FORWARDING {
                    drop(client);
                    continue;
                }
                client.set_nonblocking(false).unwrap();
                let Ok(upstream) = TcpStream::connect(upstream_addr()) else {
                    continue;
                };
                let mut open = open_list.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(upstream.try_clone().unwrap());
                drop(open);
                pump(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                pump(upstream, client);
            }
        });
        CuttableProxy { port, state, open }
    }

    /// `postgres://…@127.0.0.1:<proxy port>/<database>`.
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn close_connections(&self) {
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn cut(&self) {
        self.state.store(CUT, Ordering::SeqCst);
        self.close_connections();
    }

    fn take_down(&self) {
        self.state.store(DOWN, Ordering::SeqCst);
        self.close_connections();
        // Until the accept thread let go of the port.
        wait_for(Duration::from_secs(5), "the proxy port to close", || {
            TcpStream::connect(("127.0.0.1", self.port)).is_err()
        });
    }

    fn restore(&self) {
        self.state.store(FORWARDING, Ordering::SeqCst);
    }
}

/// The PostgreSQL server's `host:port` from the test URL.
fn upstream_addr() -> String {
    let url = notary_testkit::postgres::server_url();
    let host = url.rsplit('@').next().unwrap_or(&url);
    host.trim_start_matches("postgres://").trim_end_matches('/').to_owned()
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[test]
fn a_database_outage_fails_writes_and_reads_fall_back_to_the_unexpired_cache() {
    let db = TestDatabase::create("shared_db");
    let proxy = CuttableProxy::start();
    let work = notary_testkit::WorkDir::new("db-outage");
    let servers = start_servers(&work, &proxy.url(db.name()), 1);
    let server = &servers[0];
    let gun = "example.com/outage/cached";
    let cold_gun = "example.com/outage/cold";
    let mut repo = ServerRepo::init_at(server.addr(), gun, SnapshotKey::Server);
    ServerRepo::init_at(server.addr(), cold_gun, SnapshotKey::Server);
    let files = ["root.json", "targets.json", "snapshot.json", "timestamp.json"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|file| {
            let response = http::get(server.addr(), &tuf_path(gun, file));
            assert_eq!(response.status, 200);
            response.body
        })
        .collect();
    assert_eq!(http::get(server.addr(), "/_notary_server/health").status, 200);

    proxy.cut();
    // Writes: 503 UNAVAILABLE, quickly.
    let targets = repo.add_target("during", b"outage");
    let started = Instant::now();
    let response = http::upload(server.addr(), gun, &[("targets", &targets)]);
    assert_error(&response, 503, "UNAVAILABLE");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_error(
        &http::request(server.addr(), "DELETE", &tuf_path(gun, ""), &[], b""),
        503,
        "UNAVAILABLE",
    );
    // Reads of the cached GUN: the same bytes, by name, checksum and version.
    for (file, bytes) in files.iter().zip(&before) {
        let response = http::get(server.addr(), &tuf_path(gun, file));
        assert_eq!(response.status, 200, "{file}: {}", response.text());
        assert_eq!(&response.body, bytes, "{file}");
    }
    let checksum = format!("targets.{}.json", crate::support::sha256_hex(&before[1]));
    assert_eq!(http::get(server.addr(), &tuf_path(gun, &checksum)).body, before[1]);
    assert_eq!(http::get(server.addr(), &tuf_path(gun, "1.root.json")).body, before[0]);
    assert!(
        metric(
            server,
            "notary_server_metadata_cache_reads_total{result=\"last_known\"}"
        ) >= 4.0
    );
    // A GUN never read through this server is not cached: 503.
    assert_error(
        &http::get(server.addr(), &tuf_path(cold_gun, "timestamp.json")),
        503,
        "UNAVAILABLE",
    );
    wait_for(Duration::from_secs(10), "health to report the database", || {
        let response = http::get(server.addr(), "/_notary_server/health");
        response.status == 503 && response.text().contains("DB operational")
    });

    proxy.restore();
    wait_for(Duration::from_secs(10), "health to recover", || {
        http::get(server.addr(), "/_notary_server/health").status == 200
    });
    let response = http::upload(server.addr(), gun, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(http::get(server.addr(), &tuf_path(gun, "targets.json")).body, targets);
    assert_eq!(
        http::get(server.addr(), &tuf_path(cold_gun, "timestamp.json")).status,
        200
    );

    // The database down (connections refused, which the pool retries until its acquire
    // timeout): reads are still answered from memory, all but the first at once; writes 503.
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|file| http::get(server.addr(), &tuf_path(gun, file)).body)
        .collect();
    wait_for(Duration::from_secs(10), "the cache to become coherent", || {
        metric(server, "notary_server_metadata_cache_coherent") == 1.0
    });
    proxy.take_down();
    let started = Instant::now();
    assert_eq!(
        http::get(server.addr(), &tuf_path(gun, "timestamp.json")).body,
        before[3]
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    for _ in 0..3 {
        for (file, bytes) in files.iter().zip(&before) {
            let started = Instant::now();
            let response = http::get(server.addr(), &tuf_path(gun, file));
            assert_eq!((response.status, &response.body), (200, bytes), "{file}");
            assert!(
                // Well under the 3 s pool acquire timeout a read would wait out without the
                // outage short-cut; generous because CI machines are loaded.
                started.elapsed() < Duration::from_secs(2),
                "{file}: {:?}",
                started.elapsed()
            );
        }
    }
    let started = Instant::now();
    let targets = repo.add_target("while down", b"down");
    assert_error(
        &http::upload(server.addr(), gun, &[("targets", &targets)]),
        503,
        "UNAVAILABLE",
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    proxy.restore();
    wait_for(Duration::from_secs(10), "health to recover", || {
        http::get(server.addr(), "/_notary_server/health").status == 200
    });
    wait_for(Duration::from_secs(10), "a write to succeed again", || {
        http::upload(server.addr(), gun, &[("targets", &targets)]).status == 200
    });
    assert_eq!(http::get(server.addr(), &tuf_path(gun, "targets.json")).body, targets);
    drop(servers);
    proxy.cut();
    work.done();
}

#[test]
fn servers_re_signing_an_expired_timestamp_at_once_converge_on_one() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("resign-race");
    // The re-signing servers' clocks run 15 days ahead: the 14-day timestamp the publisher
    // makes is expired for them.
    let publisher = ServerProcess::start_with(server_binary(), &config(&work, "publisher", db.url()), &SHARED_SECRET);
    let future = [SHARED_SECRET[0], ("NOTARY_TEST_CLOCK_OFFSET_SECONDS", "1296000")];
    let servers: Vec<ServerProcess> = (0..3)
        .map(|i| {
            ServerProcess::start_with(
                server_binary(),
                &config(&work, &format!("server{i}"), db.url()),
                &future,
            )
        })
        .collect();
    for round in 0..5 {
        let gun = format!("example.com/resign/race{round}");
        ServerRepo::init_at(publisher.addr(), &gun, SnapshotKey::Server);
        let timestamp = tuf_path(&gun, "timestamp.json");
        let barrier = Arc::new(Barrier::new(servers.len()));
        let served: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let reads: Vec<_> = servers
                .iter()
                .map(|server| {
                    let (barrier, timestamp) = (barrier.clone(), timestamp.clone());
                    scope.spawn(move || {
                        barrier.wait();
                        let response = http::get(server.addr(), &timestamp);
                        assert_eq!(response.status, 200, "{}", response.text());
                        response.body
                    })
                })
                .collect();
            reads.into_iter().map(|read| read.join().unwrap()).collect()
        });
        let versions = db.query(&format!(
            "SELECT version FROM tuf_files WHERE gun = '{gun}' AND role = 'timestamp' ORDER BY version"
        ));
        assert_eq!(versions, "1\n2\n", "round {round}: exactly one re-signed timestamp");
        let stored = db.query(&format!(
            "SELECT encode(data, 'hex') FROM tuf_files WHERE gun = '{gun}' AND role = 'timestamp' AND version = 2"
        ));
        let stored = hex::decode(stored.trim()).unwrap();
        for (i, body) in served.iter().enumerate() {
            assert_eq!(
                body, &stored,
                "round {round}: server {i} served a timestamp that was not stored"
            );
        }
        for server in &servers {
            assert_eq!(http::get(server.addr(), &timestamp).body, stored, "round {round}");
        }
    }
    drop((publisher, servers));
    work.done();
}

#[test]
fn bootstrap_migrates_and_exits() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("bootstrap");
    let config = config(&work, "server", db.url());
    let output = Command::new(server_binary())
        .args(["-config".as_ref(), config.as_os_str(), "-bootstrap".as_ref()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        db.query("SELECT version FROM notary_rs_migrations ORDER BY version"),
        "1\n2\n"
    );
    assert_eq!(db.query("SELECT to_regclass('tuf_files') IS NOT NULL"), "t\n");

    let unreachable = work.write(
        "unreachable.json",
        br#"{"server":{"http_addr":"127.0.0.1:0"},"trust_service":{"type":"local"},
            "storage":{"backend":"postgres","db_url":"postgres://postgres@127.0.0.1:1/none"}}"#,
    );
    let output = Command::new(server_binary())
        .args(["-config".as_ref(), unreachable.as_os_str(), "-bootstrap".as_ref()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bootstrap failed") && stderr.contains("cannot connect to PostgreSQL"),
        "{stderr}"
    );
    work.done();
}
