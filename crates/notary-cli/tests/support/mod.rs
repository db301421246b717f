//! Test support: our server in-process (a thread with its own runtime), and our `notary` binary
//! run the way the interop scripts run a client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use notary_server::config::ServerConfig;
use notary_server::server::Server;
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;

/// Passphrases every test client uses.
pub(crate) const PASSPHRASES: [(&str, &str); 4] = [
    ("NOTARY_ROOT_PASSPHRASE", "test-root-pass"),
    ("NOTARY_TARGETS_PASSPHRASE", "test-targets-pass"),
    ("NOTARY_SNAPSHOT_PASSPHRASE", "test-snapshot-pass"),
    ("NOTARY_DELEGATION_PASSPHRASE", "test-delegation-pass"),
];

/// Our notary-server on a free loopback port, SQLite in the work dir, optionally TLS; stopped
/// when dropped.
pub(crate) struct OurServer {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OurServer {
    pub(crate) fn start(work: &WorkDir, tls: Option<&TestPki>) -> OurServer {
        let tls_json = tls.map_or(String::new(), |pki| {
            format!(
                r#","tls_cert_file":"{}","tls_key_file":"{}""#,
                pki.server_cert.display(),
                pki.server_key.display()
            )
        });
        let db = work.path(&format!("server-{}.sqlite", std::process::id()));
        let json = format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"{tls_json}}},"trust_service":{{"type":"local"}},
               "storage":{{"backend":"sqlite","db_url":"{}"}}}}"#,
            db.display()
        );
        let config = ServerConfig::from_json(json.as_bytes(), work.path("").as_path(), &|_| None).unwrap();
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let clock = Arc::new(time::OffsetDateTime::now_utc);
                let server = Server::bind(&config, None, clock).await.unwrap();
                url_tx.send(server.url()).unwrap();
                server
                    .run(async move {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let url = url_rx.recv().unwrap();
        OurServer {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Our `notary` binary.
pub(crate) fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_notary"))
}

/// Runs `binary -c <empty config> -d trust [-s url] [--tlscacert ca] args…` with the test
/// passphrases, a private HOME and no stdin.
pub(crate) fn run(
    binary: &Path,
    work: &WorkDir,
    trust: &str,
    server: Option<(&str, Option<&Path>)>,
    args: &[&str],
) -> Output {
    let config = work.write("client-config.json", b"{}");
    let mut command = Command::new(binary);
    command.arg("-c").arg(&config).arg("-d").arg(work.path(trust));
    if let Some((url, ca)) = server {
        command.arg("-s").arg(url);
        if let Some(ca) = ca {
            command.arg("--tlscacert").arg(ca);
        }
    }
    command.args(args);
    for (name, value) in PASSPHRASES {
        command.env(name, value);
    }
    command
        .env("HOME", work.path("home"))
        .current_dir(work.path(""))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Stdout of a successful run (panics with both streams otherwise).
pub(crate) fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "command failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Stdout + stderr of a failed run (panics if it succeeded), and checks exit status 1.
pub(crate) fn fails(output: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "expected exit 1:\n{text}");
    text
}
