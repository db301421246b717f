//! Test support: our server in-process (a thread with its own runtime), and our `notary` binary
//! run the way the interop scripts run a client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
        OurServer::start_with(work, tls, |_| {})
    }

    /// [`OurServer::start`] with the parsed configuration adjusted by `configure` (e.g. `auth`).
    pub(crate) fn start_with(
        work: &WorkDir,
        tls: Option<&TestPki>,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> OurServer {
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
        let mut config = ServerConfig::from_json(json.as_bytes(), work.path("").as_path(), &|_| None).unwrap();
        configure(&mut config);
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
    run_env(binary, work, trust, server, args, &[])
}

/// [`run`] with extra environment variables (set after the test passphrases, so they override).
pub(crate) fn run_env(
    binary: &Path,
    work: &WorkDir,
    trust: &str,
    server: Option<(&str, Option<&Path>)>,
    args: &[&str],
    env: &[(&str, &str)],
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
    for (name, value) in PASSPHRASES.iter().chain(env) {
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

/// A failed run the Go way: exit status 1, and stdout ending with an empty line and
/// `* fatal: <message>` (one line). Returns the message and stderr.
pub(crate) fn fatal(output: Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected exit 1:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let message = stdout
        .rsplit_once("\n* fatal: ")
        .and_then(|(_, m)| m.strip_suffix('\n'))
        .filter(|m| !m.contains('\n'))
        .unwrap_or_else(|| panic!("no `* fatal:` line at the end of stdout:\n{stdout}\nstderr:\n{stderr}"));
    (message.to_owned(), stderr)
}

/// A loopback URL where nothing listens (a port just bound and released).
pub(crate) fn unreachable_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// What a [`Stub`] answers: status, extra headers, body.
pub(crate) type Reply = (u16, Vec<(String, String)>, Vec<u8>);

/// A plain HTTP/1.1 server on a loopback port, one connection at a time: each request's target
/// (path and query) goes to `respond` with the stub's base URL, and the connection is closed
/// after the answer. Stopped when dropped.
pub(crate) struct Stub {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stub {
    pub(crate) fn start(respond: impl Fn(&str, &str) -> Reply + Send + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (url, requests, stop) = (url.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    let Some(target) = read_request_target(&mut stream) else {
                        continue;
                    };
                    requests.lock().unwrap().push(target.clone());
                    let (status, headers, body) = respond(&target, &url);
                    let mut head = format!(
                        "HTTP/1.1 {status} Stub\r\nContent-Length: {}\r\nConnection: close\r\n",
                        body.len()
                    );
                    for (name, value) in headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&body);
                }
            })
        };
        Stub {
            url,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The request targets received so far, in order.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a request head (the client only sends bodiless GETs here) and returns its target.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    head.lines().next()?.split(' ').nth(1).map(str::to_owned)
}
