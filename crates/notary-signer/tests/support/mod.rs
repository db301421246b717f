//! Our `notary-signer` binary as a child process (config file in a `WorkDir`, TLS from a fresh
//! `TestPki`, `--listen 127.0.0.1:0`, the bound address read from the first stdout line), gRPC
//! clients over mutual TLS, direct reads of the SQLite `private_keys` table, and independent
//! crypto checks (key IDs, signatures, the JWE of signer.md §6.3) that do not use the signer's own
//! code.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead as _, BufReader};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::key_wrap::{AES_128, AesKek, KeyWrap as _};
use aws_lc_rs::pbkdf2;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use notary_proto::health::HealthCheckRequest;
use notary_proto::health::health_check_response::ServingStatus;
use notary_proto::health::health_client::HealthClient;
use notary_proto::signer::key_management_client::KeyManagementClient;
use notary_proto::signer::signer_client::SignerClient;
use notary_proto::signer::{CreateKeyRequest, GetKeyInfoResponse, KeyId, PublicKey, Signature, SignatureRequest};
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use notary_testkit::postgres::TestDatabase;
use serde_json::{Value, json};
use sqlx::Row as _;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

/// The default alias of the SQL configurations.
pub const ALIAS: &str = "alias1";
/// Its passphrase variable.
pub const ALIAS_VAR: &str = "NOTARY_SIGNER_ALIAS1";
/// Its passphrase.
pub const PASSPHRASE: &str = "alias1 passphrase for the tests";
/// The GUN most tests create keys for.
pub const GUN: &str = "example.com/g";

/// DER prefix of a P-256 SubjectPublicKeyInfo (`id-ecPublicKey`, `prime256v1`, BIT STRING of 66
/// bytes), followed by the 65-byte uncompressed point.
pub const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// DER prefix of a 2048-bit RSA SubjectPublicKeyInfo (`rsaEncryption` with NULL parameters, BIT
/// STRING of 271 bytes), followed by the PKCS#1 `RSAPublicKey` (294 bytes in all).
pub const RSA2048_SPKI_PREFIX: [u8; 24] = [
    0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    0x03, 0x82, 0x01, 0x0f, 0x00,
];

/// Which key store the signer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `storage.backend: memory`.
    Memory,
    /// The run's SQL backend ([`SqlDb`]) with `default_alias: alias1`.
    Sql,
}

/// The SQL database of a test: a SQLite file in its work dir, or with
/// `NOTARY_TEST_BACKEND=postgres` a fresh PostgreSQL database (dropped on drop).
#[derive(Debug)]
pub enum SqlDb {
    /// `storage.backend: sqlite`, `db_url` the file.
    Sqlite(PathBuf),
    /// `storage.backend: postgres`, `db_url` the database's URL.
    Postgres(TestDatabase),
}

impl SqlDb {
    /// The `storage` section (without the alias) that opens this database.
    pub fn storage(&self) -> Value {
        match self {
            SqlDb::Sqlite(path) => json!({"backend": "sqlite", "db_url": path.to_str().unwrap()}),
            SqlDb::Postgres(database) => json!({"backend": "postgres", "db_url": database.url()}),
        }
    }

    /// Whether the signer laid out its table yet (the SQLite file, or PostgreSQL's `private_keys`).
    pub fn exists(&self) -> bool {
        match self {
            SqlDb::Sqlite(path) => path.exists(),
            SqlDb::Postgres(database) => has_private_keys(database),
        }
    }
}

/// A test's directory, PKI and SQL database; starts signers on them.
pub struct Env {
    pub work: WorkDir,
    pub pki: TestPki,
    /// The database of [`Backend::Sql`] configurations.
    pub db: SqlDb,
    configs: std::cell::Cell<u32>,
}

impl Env {
    /// A fresh work dir named after the test, with a PKI in `pki/`.
    pub fn new(name: &str) -> Env {
        let work = WorkDir::new(&format!("signer-{name}"));
        let pki = TestPki::generate(&work.path("pki"));
        let db = match notary_testkit::postgres::Backend::from_env() {
            notary_testkit::postgres::Backend::Sqlite => SqlDb::Sqlite(work.path("signer.db")),
            notary_testkit::postgres::Backend::Postgres => SqlDb::Postgres(TestDatabase::create("signer_test")),
        };
        Env {
            work,
            pki,
            db,
            configs: std::cell::Cell::new(0),
        }
    }

    /// The checklist's setup (signer.md §11): TLS with `client_ca_file`, log level `debug`, and the
    /// backend's storage section.
    pub fn config(&self, backend: Backend) -> Value {
        let storage = match backend {
            Backend::Memory => json!({"backend": "memory"}),
            Backend::Sql => {
                let mut storage = self.db.storage();
                storage["default_alias"] = json!(ALIAS);
                storage
            }
        };
        json!({
            "server": {
                "grpc_addr": "127.0.0.1:0",
                "tls_cert_file": self.pki.server_cert.to_str().unwrap(),
                "tls_key_file": self.pki.server_key.to_str().unwrap(),
                "client_ca_file": self.pki.ca_cert.to_str().unwrap(),
            },
            "logging": {"level": "debug"},
            "storage": storage,
        })
    }

    /// The passphrase environment a backend needs.
    pub fn default_env(backend: Backend) -> Vec<(&'static str, &'static str)> {
        match backend {
            Backend::Memory => Vec::new(),
            Backend::Sql => vec![(ALIAS_VAR, PASSPHRASE)],
        }
    }

    /// Writes `config` to a new file in the work dir.
    pub fn write_config(&self, config: &Value) -> PathBuf {
        let n = self.configs.get() + 1;
        self.configs.set(n);
        self.work.write(
            &format!("signer-{n}.json"),
            serde_json::to_string_pretty(config).unwrap().as_bytes(),
        )
    }

    /// Starts the signer with `config` and exactly the `NOTARY_SIGNER_*` variables in `env`;
    /// panics (with its log) if it does not start.
    pub fn start(&self, config: &Value, env: &[(&str, &str)]) -> SignerProcess {
        match SignerProcess::spawn(&self.write_config(config), env) {
            Ok(process) => process,
            Err((status, log)) => panic!("notary-signer did not start ({status}):\n{log}"),
        }
    }

    /// Starts the signer, expecting it to fail at start-up: its exit status and stderr.
    pub fn start_failure(&self, config: &Value, env: &[(&str, &str)]) -> (ExitStatus, String) {
        match SignerProcess::spawn(&self.write_config(config), env) {
            Ok(process) => panic!(
                "notary-signer started on {} although it should not have:\n{}",
                process.addr,
                process.stderr()
            ),
            Err(failure) => failure,
        }
    }

    /// The checklist's signer for `backend`, running, and a client with a certificate from the CA.
    pub async fn start_default(&self, backend: Backend) -> (SignerProcess, Client) {
        let process = self.start(&self.config(backend), &Env::default_env(backend));
        let client = self.client(&process).await;
        (process, client)
    }

    /// A client trusting the PKI's CA and presenting its client certificate.
    pub async fn client(&self, process: &SignerProcess) -> Client {
        Client::new(self.channel(process, Some(&self.pki)).await.unwrap())
    }

    /// A channel trusting this PKI's CA, presenting the client certificate of `identity` if any.
    pub async fn channel(
        &self,
        process: &SignerProcess,
        identity: Option<&TestPki>,
    ) -> Result<Channel, tonic::transport::Error> {
        connect(&process.addr, &self.pki.ca_cert, identity).await
    }

    /// Removes the work dir (end of a passing test).
    pub fn done(self) {
        self.work.done();
    }
}

/// A TLS channel to `addr` (server name `localhost`) trusting `ca`, presenting `identity`'s client
/// certificate if any.
pub async fn connect(addr: &str, ca: &Path, identity: Option<&TestPki>) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).unwrap()))
        .domain_name("localhost");
    if let Some(pki) = identity {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(&pki.client_cert).unwrap(),
            std::fs::read(&pki.client_key).unwrap(),
        ));
    }
    Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .tls_config(tls)?
        .connect()
        .await
}

/// A running `notary-signer`, killed on drop.
#[derive(Debug)]
pub struct SignerProcess {
    child: Child,
    /// `127.0.0.1:<port>`, as printed on the first stdout line.
    pub addr: String,
    stderr_log: PathBuf,
}

impl SignerProcess {
    /// Starts `notary-signer -config <config> --listen 127.0.0.1:0` with exactly the
    /// `NOTARY_SIGNER_*` variables in `env` (none inherited); stderr goes to `<config>.stderr`.
    /// A process that exits before printing its address is the error: status and stderr.
    pub fn spawn(config: &Path, env: &[(&str, &str)]) -> Result<SignerProcess, (ExitStatus, String)> {
        let stderr_log = config.with_extension("stderr");
        let mut command = Command::new(env!("CARGO_BIN_EXE_notary-signer"));
        command
            .arg("-config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("NOTARY_SIGNER_") {
                command.env_remove(name);
            }
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let addr = line.trim().to_owned();
        if addr.is_empty() {
            let status = match wait_timeout(&mut child, Duration::from_secs(30)) {
                Some(status) => status,
                None => {
                    let _ = child.kill();
                    child.wait().unwrap()
                }
            };
            return Err((status, std::fs::read_to_string(&stderr_log).unwrap_or_default()));
        }
        Ok(SignerProcess {
            child,
            addr,
            stderr_log,
        })
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        wait_timeout(&mut self.child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("notary-signer did not exit after SIGTERM:\n{}", self.stderr()))
    }
}

impl Drop for SignerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The three generated clients on one channel.
#[derive(Clone)]
pub struct Client {
    pub keys: KeyManagementClient<Channel>,
    pub signer: SignerClient<Channel>,
    pub health: HealthClient<Channel>,
}

impl Client {
    /// Clients over `channel`.
    pub fn new(channel: Channel) -> Client {
        Client {
            keys: KeyManagementClient::new(channel.clone()),
            signer: SignerClient::new(channel.clone()),
            health: HealthClient::new(channel),
        }
    }

    /// `CreateKey`.
    pub async fn create(&mut self, algorithm: &str, gun: &str, role: &str) -> Result<PublicKey, Status> {
        self.keys
            .create_key(CreateKeyRequest {
                algorithm: algorithm.to_owned(),
                gun: gun.to_owned(),
                role: role.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// `CreateKey` that must succeed; returns the key ID and the public key bytes.
    pub async fn create_ok(&mut self, algorithm: &str, gun: &str, role: &str) -> (String, Vec<u8>) {
        let key = self
            .create(algorithm, gun, role)
            .await
            .unwrap_or_else(|s| panic!("CreateKey {algorithm} {gun} {role} failed: {s:?}"));
        (key_id_of(&key), key.public_key)
    }

    /// `GetKeyInfo`.
    pub async fn info(&mut self, id: &str) -> Result<GetKeyInfoResponse, Status> {
        self.keys
            .get_key_info(KeyId { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
    }

    /// `Sign`; `id: None` sends a request without `keyID`.
    pub async fn sign(&mut self, id: Option<&str>, content: &[u8]) -> Result<Signature, Status> {
        self.signer
            .sign(SignatureRequest {
                key_id: id.map(|id| KeyId { id: id.to_owned() }),
                content: content.to_vec(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// `DeleteKey`.
    pub async fn delete(&mut self, id: &str) -> Result<(), Status> {
        self.keys.delete_key(KeyId { id: id.to_owned() }).await.map(|_| ())
    }

    /// `Health.Check{service}`: the serving status.
    pub async fn health(&mut self, service: &str) -> Result<ServingStatus, Status> {
        let response = self
            .health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await?
            .into_inner();
        Ok(ServingStatus::try_from(response.status).unwrap())
    }
}

/// `keyInfo.keyID.ID` of a `PublicKey`.
pub fn key_id_of(key: &PublicKey) -> String {
    key.key_info
        .as_ref()
        .and_then(|info| info.key_id.as_ref())
        .map(|id| id.id.clone())
        .unwrap_or_default()
}

/// `keyInfo.algorithm.algorithm` of a `PublicKey`, `GetKeyInfoResponse` or `Signature`.
pub fn algorithm_of(info: Option<&notary_proto::signer::KeyInfo>) -> String {
    info.and_then(|info| info.algorithm.as_ref())
        .map(|a| a.algorithm.clone())
        .unwrap_or_default()
}

/// Asserts a gRPC status code and message.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, message: &str) {
    match result {
        Ok(value) => panic!("expected status {code:?} {message:?}, got OK {value:?}"),
        Err(status) => {
            assert_eq!(
                (status.code(), status.message()),
                (code, message),
                "unexpected status {status:?}"
            );
        }
    }
}

/// The TUF key ID (signer.md §7), computed independently: hex SHA-256 of the canonical JSON
/// `{"keytype":…,"keyval":{"private":null,"public":"<base64>"}}`.
pub fn tuf_key_id(keytype: &str, public: &[u8]) -> String {
    let canonical = format!(
        r#"{{"keytype":"{keytype}","keyval":{{"private":null,"public":"{}"}}}}"#,
        STANDARD.encode(public)
    );
    hex::encode(digest(&SHA256, canonical.as_bytes()))
}

/// The uncompressed point of a P-256 SubjectPublicKeyInfo; panics if `spki` is not one.
pub fn p256_point(spki: &[u8]) -> &[u8] {
    assert_eq!(spki.len(), 91, "not a 91-byte P-256 SPKI: {}", hex::encode(spki));
    assert_eq!(spki[..26], P256_SPKI_PREFIX, "not a P-256 SPKI: {}", hex::encode(spki));
    assert_eq!(spki[26], 0x04, "not an uncompressed point");
    &spki[26..]
}

/// Verifies a raw `r‖s` ECDSA P-256/SHA-256 signature with a SPKI public key.
pub fn verify_ecdsa(spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, p256_point(spki))
        .verify(message, signature)
        .is_ok()
}

/// Verifies a pure Ed25519 signature.
pub fn verify_ed25519(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public)
        .verify(message, signature)
        .is_ok()
}

/// Verifies an RSASSA-PSS signature (SHA-256, MGF1-SHA-256, salt length 32 = the digest length,
/// keys.md §3 `rsapss`) with a DER SubjectPublicKeyInfo RSA key of 2048 to 8192 bits.
pub fn verify_rsa_pss(spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, spki)
        .verify(message, signature)
        .is_ok()
}

const PYTHON_RSA_PSS: &str = r#"
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
spki, message, signature = (bytes.fromhex(a) for a in sys.argv[1:4])
key = serialization.load_der_public_key(spki)
key.verify(signature, message, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
print(key.key_size)
"#;

/// The same check by an independent implementation (OpenSSL through Python's `cryptography`), with
/// an explicit salt length of 32: the key's modulus size in bits when the signature verifies,
/// Python's error output when it does not, `None` when Python's `cryptography` is not installed.
pub fn verify_rsa_pss_python(spki: &[u8], message: &[u8], signature: &[u8]) -> Option<Result<usize, String>> {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography.hazmat.primitives.asymmetric.padding"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|status| status.success()) {
        eprintln!("skipped: python3 with the cryptography package is not available");
        return None;
    }
    let output = Command::new("python3")
        .args(["-c", PYTHON_RSA_PSS])
        .args([hex::encode(spki), hex::encode(message), hex::encode(signature)])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if !output.status.success() {
        return Some(Err(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Some(Ok(String::from_utf8_lossy(&output.stdout).trim().parse().unwrap()))
}

/// A `private_keys` row, every column.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    pub key_id: String,
    pub encryption_alg: String,
    pub keywrap_alg: String,
    pub algorithm: String,
    pub passphrase_alias: String,
    pub gun: String,
    pub role: String,
    pub public: Vec<u8>,
    pub private: Vec<u8>,
    pub last_used: Option<String>,
}

/// Every row of `private_keys` (soft-deleted ones included), in `id` order, read directly from
/// the database (which the signer may have open). Times read back as RFC 3339 text.
pub async fn key_rows(db: &SqlDb) -> Vec<KeyRow> {
    match db {
        SqlDb::Sqlite(path) => sqlite_key_rows(path).await,
        SqlDb::Postgres(database) => postgres_key_rows(database),
    }
}

async fn sqlite_key_rows(db: &Path) -> Vec<KeyRow> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .busy_timeout(Duration::from_secs(10));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT id, created_at, updated_at, deleted_at, key_id, encryption_alg, keywrap_alg, algorithm, \
         passphrase_alias, gun, role, public, private, last_used FROM private_keys ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter()
        .map(|row| KeyRow {
            id: row.get("id"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            deleted_at: row.get("deleted_at"),
            key_id: row.get("key_id"),
            encryption_alg: row.get("encryption_alg"),
            keywrap_alg: row.get("keywrap_alg"),
            algorithm: row.get("algorithm"),
            passphrase_alias: row.get("passphrase_alias"),
            gun: row.get("gun"),
            role: row.get("role"),
            public: row.get("public"),
            private: row.get("private"),
            last_used: row.get("last_used"),
        })
        .collect()
}

/// [`key_rows`] through `psql`: byte columns as hex, times as RFC 3339 with microseconds (the
/// columns are `timestamp` holding UTC), NULL as an empty field.
fn postgres_key_rows(database: &TestDatabase) -> Vec<KeyRow> {
    if !has_private_keys(database) {
        return Vec::new();
    }
    let time = |column: &str| format!(r#"to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#);
    let sql = format!(
        "SELECT id, {}, {}, {}, key_id, encryption_alg, keywrap_alg, algorithm, passphrase_alias, gun, role, \
         encode(public, 'hex'), encode(private, 'hex'), {} FROM private_keys ORDER BY id",
        time("created_at"),
        time("updated_at"),
        time("deleted_at"),
        time("last_used"),
    );
    let optional = |field: &str| (!field.is_empty()).then(|| field.to_owned());
    database
        .query(&sql)
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            assert_eq!(f.len(), 14, "private_keys row {line:?}");
            KeyRow {
                id: f[0].parse().unwrap(),
                created_at: optional(f[1]),
                updated_at: optional(f[2]),
                deleted_at: optional(f[3]),
                key_id: f[4].to_owned(),
                encryption_alg: f[5].to_owned(),
                keywrap_alg: f[6].to_owned(),
                algorithm: f[7].to_owned(),
                passphrase_alias: f[8].to_owned(),
                gun: f[9].to_owned(),
                role: f[10].to_owned(),
                public: hex::decode(f[11]).unwrap(),
                private: hex::decode(f[12]).unwrap(),
                last_used: optional(f[13]),
            }
        })
        .collect()
}

fn has_private_keys(database: &TestDatabase) -> bool {
    database.query("SELECT to_regclass('private_keys') IS NOT NULL").trim() == "t"
}

/// The row of `key_id` (panics unless exactly one).
pub async fn key_row(db: &SqlDb, key_id: &str) -> KeyRow {
    let rows: Vec<KeyRow> = key_rows(db).await.into_iter().filter(|r| r.key_id == key_id).collect();
    assert_eq!(rows.len(), 1, "rows for {key_id}: {rows:?}");
    rows.into_iter().next().unwrap()
}

/// Parses a stored timestamp (RFC 3339).
pub fn parse_time(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("not an RFC 3339 time: {text:?}: {e}"))
}

/// A JWE compact serialization opened independently of `notary_signer::keys` (signer.md §6.3):
/// the protected header as text, and the plaintext.
pub struct OpenedJwe {
    pub header: String,
    pub plaintext: Vec<u8>,
}

/// PBES2-HS256+A128KW (PBKDF2-HMAC-SHA-256 with salt `alg ‖ 0x00 ‖ p2s`, `p2c` rounds, 16-byte
/// key-encryption key, AES key wrap of the content key) + A256GCM with the header segment as AAD.
pub fn open_jwe(jwe: &str, passphrase: &str) -> OpenedJwe {
    let segments: Vec<&str> = jwe.split('.').collect();
    let [header_b64, wrapped_b64, iv_b64, ciphertext_b64, tag_b64] = segments[..] else {
        panic!("not five JWE segments: {jwe}");
    };
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .unwrap_or_else(|e| panic!("bad base64url {s:?}: {e}"))
    };
    let header = String::from_utf8(decode(header_b64)).unwrap();
    let members: Value = serde_json::from_str(&header).unwrap();
    assert_eq!(members["alg"], "PBES2-HS256+A128KW");
    assert_eq!(members["enc"], "A256GCM");
    let p2c = u32::try_from(members["p2c"].as_u64().unwrap()).unwrap();
    let p2s = decode(members["p2s"].as_str().unwrap());

    let mut salt = b"PBES2-HS256+A128KW\0".to_vec();
    salt.extend_from_slice(&p2s);
    let mut kek = [0u8; 16];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(p2c).unwrap(),
        &salt,
        passphrase.as_bytes(),
        &mut kek,
    );
    let wrapped = decode(wrapped_b64);
    let mut cek = [0u8; 32];
    let unwrapped = AesKek::new(&AES_128, &kek)
        .unwrap()
        .unwrap(&wrapped, &mut cek)
        .expect("AES key unwrap failed (wrong passphrase?)");
    assert_eq!(unwrapped.len(), 32);

    let mut buffer = decode(ciphertext_b64);
    buffer.extend_from_slice(&decode(tag_b64));
    let nonce = Nonce::try_assume_unique_for_key(&decode(iv_b64)).expect("IV is not 12 bytes");
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).unwrap());
    let plaintext = key
        .open_in_place(nonce, Aad::from(header_b64.as_bytes()), &mut buffer)
        .expect("AES-256-GCM authentication failed")
        .to_vec();
    OpenedJwe { header, plaintext }
}

/// Whether `openssl` can be run.
pub fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `openssl s_client -connect addr -servername localhost` with the CA and the client
/// certificate, no input, and `args`: success and stdout+stderr.
pub fn s_client(addr: &str, pki: &TestPki, args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl")
        .arg("s_client")
        .args(["-connect", addr, "-servername", "localhost", "-CAfile"])
        .arg(&pki.ca_cert)
        .arg("-cert")
        .arg(&pki.client_cert)
        .arg("-key")
        .arg(&pki.client_key)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Asserts a start-up failure: exit status 1 and a `fatal` JSON log line whose message contains
/// `needle`.
#[track_caller]
pub fn assert_fatal(failure: &(ExitStatus, String), needle: &str) {
    let (status, log) = failure;
    assert_eq!(status.code(), Some(1), "exit status {status}, log:\n{log}");
    let fatal = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["level"] == "fatal")
        .unwrap_or_else(|| panic!("no fatal log line in:\n{log}"));
    let message = fatal["msg"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "fatal message {message:?} lacks {needle:?}");
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the database holds, as raw bytes: the SQLite file with its `-wal`/`-shm`/`-journal` files
/// as far as they exist, or PostgreSQL's `private_keys` rows as a binary `COPY` (values unencoded).
pub fn db_bytes(db: &SqlDb) -> Vec<u8> {
    let path = match db {
        SqlDb::Sqlite(path) => path,
        SqlDb::Postgres(database) => return database.copy_binary("SELECT * FROM private_keys"),
    };
    let mut bytes = std::fs::read(path).unwrap();
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(more) = std::fs::read(PathBuf::from(name)) {
            bytes.extend_from_slice(&more);
        }
    }
    bytes
}
