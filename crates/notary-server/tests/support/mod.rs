//! An in-process server on `127.0.0.1:0` with a clock the test can move, and repositories
//! published through the API the way the Go client does (client-held root and targets keys,
//! server-held timestamp key, snapshot key held by either side).

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use notary_server::config::{ServerConfig, StorageConfig};
use notary_server::server::Server;
use notary_testkit::http::{self, HttpResponse};
use notary_testkit::postgres::{Backend, TestDatabase};
use notary_testkit::tuf::{TestKey, sign, targets_body};
use notary_tuf::PublicKey;
use notary_tuf::metadata::{FileMeta, RoleKeys, Root, Snapshot, Targets};
use time::{Duration, OffsetDateTime};

/// A server running on its own runtime thread; stopped on drop.
pub struct TestServer {
    /// `127.0.0.1:<port>`.
    pub addr: String,
    offset_seconds: Arc<AtomicI64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: notary_testkit::WorkDir,
    /// The server's PostgreSQL database when the run uses that backend.
    _database: Option<TestDatabase>,
}

impl TestServer {
    /// The run's storage (see [`TestServer::start_with`]), local trust, default options.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// As [`TestServer::start`], with the config adjusted by `edit`. Storage defaults to SQLite in
    /// memory, or with `NOTARY_TEST_BACKEND=postgres` to a fresh PostgreSQL database of this
    /// server's own (the local trust service then seals its keys with the passphrase in
    /// `NOTARY_SERVER_LOCAL_TRUST_PASSPHRASE`, which the run must set); `edit` may override it.
    pub fn start_with(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = notary_testkit::WorkDir::new("server");
        let mut config = ServerConfig::default_embedded(&dir.path("data"));
        let database = match Backend::from_env() {
            Backend::Sqlite => {
                config.storage = StorageConfig::Memory;
                None
            }
            Backend::Postgres => {
                assert!(
                    std::env::var(notary_server::server::PASSPHRASE_ENV).is_ok_and(|p| !p.is_empty()),
                    "NOTARY_TEST_BACKEND=postgres needs {} set (servers on PostgreSQL seal keys with a shared passphrase)",
                    notary_server::server::PASSPHRASE_ENV
                );
                let database = TestDatabase::create("server_test");
                config.storage = StorageConfig::Postgres {
                    db_url: database.url().to_owned(),
                };
                Some(database)
            }
        };
        edit(&mut config);
        let offset_seconds = Arc::new(AtomicI64::new(0));
        let clock_offset = offset_seconds.clone();
        let clock: notary_server::service::Clock =
            Arc::new(move || OffsetDateTime::now_utc() + Duration::seconds(clock_offset.load(Ordering::SeqCst)));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let server = Server::bind(&config, Some("127.0.0.1:0"), clock).await.unwrap();
                addr_tx.send(server.local_addr().to_string()).unwrap();
                server
                    .run(async {
                        let _ = shutdown_rx.await;
                    })
                    .await;
            });
        });
        let addr = addr_rx.recv().unwrap();
        TestServer {
            addr,
            offset_seconds,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            _dir: dir,
            _database: database,
        }
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds.fetch_add(by.whole_seconds(), Ordering::SeqCst);
    }

    /// The server's current time.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> HttpResponse {
        http::get(&self.addr, path)
    }

    /// Any request.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        http::request(&self.addr, method, path, headers, body)
    }

    /// A multipart upload of `(file name, bytes)` parts to `gun`.
    pub fn upload(&self, gun: &str, parts: &[(&str, &[u8])]) -> HttpResponse {
        http::upload(&self.addr, gun, parts)
    }

    /// The server's public key for `gun`/`role` (`GET {role}.key`).
    pub fn server_key(&self, gun: &str, role: &str) -> PublicKey {
        server_key_at(&self.addr, gun, role)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Who holds the snapshot key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotKey {
    /// The server (what the Docker CLI and `notary init -p` with `--server-managed` do).
    Server,
    /// The client.
    Client,
}

/// A repository whose client side this test holds.
pub struct ServerRepo {
    pub gun: String,
    pub root_key: TestKey,
    pub targets_key: TestKey,
    /// `Some` when the client holds the snapshot key.
    pub snapshot_key: Option<TestKey>,
    pub root: Root,
    pub targets: Targets,
}

impl ServerRepo {
    /// Root and targets (version 1) for `gun`, listing the server's timestamp key (and snapshot key
    /// when `snapshot` is `Server`). Nothing is uploaded yet.
    pub fn new(server: &TestServer, gun: &str, snapshot: SnapshotKey) -> ServerRepo {
        ServerRepo::new_at(&server.addr, gun, snapshot)
    }

    /// As [`ServerRepo::new`], for a server at `addr` (`host:port`), e.g. a server process.
    pub fn new_at(addr: &str, gun: &str, snapshot: SnapshotKey) -> ServerRepo {
        let root_key = TestKey::root(gun);
        let targets_key = TestKey::ecdsa();
        let timestamp = server_key_at(addr, gun, "timestamp");
        let (snapshot_key, snapshot_public) = match snapshot {
            SnapshotKey::Server => (None, server_key_at(addr, gun, "snapshot")),
            SnapshotKey::Client => {
                let key = TestKey::ecdsa();
                let public = key.public.clone();
                (Some(key), public)
            }
        };
        let mut root = Root {
            type_name: "Root".into(),
            consistent_snapshot: false,
            expires: notary_tuf::Expires::after(OffsetDateTime::now_utc(), Duration::days(3650)),
            keys: Default::default(),
            roles: Default::default(),
            version: 1,
            extra: Default::default(),
        };
        for (role, key) in [
            ("root", root_key.public.clone()),
            ("targets", targets_key.public.clone()),
            ("snapshot", snapshot_public),
            ("timestamp", timestamp),
        ] {
            let id = key.key_id();
            root.keys.insert(id.clone(), key);
            root.roles.insert(
                role.into(),
                RoleKeys {
                    keyids: vec![id],
                    threshold: 1,
                },
            );
        }
        let mut targets = targets_body(&[("v1", b"one")], 1);
        targets.expires = notary_tuf::Expires::after(OffsetDateTime::now_utc(), Duration::days(1095));
        ServerRepo {
            gun: gun.into(),
            root_key,
            targets_key,
            snapshot_key,
            root,
            targets,
        }
    }

    /// Makes and publishes version 1 (root + targets, + snapshot when client-held); asserts 200.
    pub fn init(server: &TestServer, gun: &str, snapshot: SnapshotKey) -> ServerRepo {
        ServerRepo::init_at(&server.addr, gun, snapshot)
    }

    /// As [`ServerRepo::init`], for a server at `addr` (`host:port`), e.g. a server process.
    pub fn init_at(addr: &str, gun: &str, snapshot: SnapshotKey) -> ServerRepo {
        let repo = ServerRepo::new_at(addr, gun, snapshot);
        let root = repo.root_file();
        let targets = repo.targets_file();
        let mut parts: Vec<(&str, Vec<u8>)> = vec![("root", root.clone()), ("targets", targets.clone())];
        if repo.snapshot_key.is_some() {
            parts.push((
                "snapshot",
                repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1),
            ));
        }
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let response = http::upload(addr, gun, &parts);
        assert_eq!(response.status, 200, "init of {gun}: {}", response.text());
        repo
    }

    /// The signed root file.
    pub fn root_file(&self) -> Vec<u8> {
        sign(self.root.clone(), &[&self.root_key]).raw().to_vec()
    }

    /// The signed targets file.
    pub fn targets_file(&self) -> Vec<u8> {
        self.sign_targets(self.targets.clone())
    }

    /// `body` signed with this repository's targets key (e.g. a body read back from a server).
    pub fn sign_targets(&self, body: Targets) -> Vec<u8> {
        sign(body, &[&self.targets_key]).raw().to_vec()
    }

    /// A client snapshot over `files` (panics when the server holds the snapshot key).
    pub fn snapshot_file(&self, files: &[(&str, &[u8])], version: i64) -> Vec<u8> {
        let key = self.snapshot_key.as_ref().expect("client-held snapshot key");
        let body = Snapshot {
            type_name: "Snapshot".into(),
            expires: notary_tuf::Expires::after(OffsetDateTime::now_utc(), Duration::days(1095)),
            meta: files
                .iter()
                .map(|(r, raw)| (r.to_string(), FileMeta::of_bytes(raw)))
                .collect(),
            version,
            extra: Default::default(),
        };
        sign(body, &[key]).raw().to_vec()
    }

    /// Adds a target and bumps the targets version; returns the new signed file.
    pub fn add_target(&mut self, name: &str, content: &[u8]) -> Vec<u8> {
        self.targets.targets.insert(name.into(), FileMeta::of_bytes(content));
        self.targets.version += 1;
        self.targets_file()
    }
}

/// The public key of the server at `addr` for `gun`/`role` (`GET {role}.key`); asserts 200.
pub fn server_key_at(addr: &str, gun: &str, role: &str) -> PublicKey {
    let response = http::get(addr, &format!("/v2/{gun}/_trust/tuf/{role}.key"));
    assert_eq!(response.status, 200, "{}", response.text());
    serde_json::from_slice(&response.body).unwrap()
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

/// Asserts an error envelope: status, `code`, Go's message, a trailing `\n`, JSON content type.
pub fn assert_error(response: &HttpResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"));
    assert!(
        response.body.ends_with(b"}\n") && !response.body.ends_with(b"\n\n"),
        "{}",
        response.text()
    );
    let error = &response.json()["errors"][0];
    assert_eq!(error["code"], code, "{}", response.text());
}
