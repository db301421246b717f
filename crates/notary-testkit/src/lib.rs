//! Test helpers shared by the crates' interop tests: the real Go notary 0.7 binaries as peers
//! (`shared/interop/`), and scratch directories that are kept when a test fails.
//!
//! Test code only (`publish = false`, a dev-dependency): helpers panic with the full output of
//! the Go command that failed, which is what a failing test should print.
//!
//! ```no_run
//! let server = notary_testkit::GoServer::acquire();
//! let work = notary_testkit::WorkDir::new("example");
//! let gun = work.gun_under("example.com/doc");
//! server.notary(&work.path("trust"), &["init", &gun, "-p"]).ok();
//! work.done();
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers: fail loudly

pub mod http;
pub mod pki;
pub mod postgres;
pub mod registry;
pub mod server;
#[allow(missing_docs)]
pub mod tuf;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Passphrases the Go CLI gets from the environment (the vectors' passphrases).
pub const ROOT_PASSPHRASE: &str = "rootpassphrase1";
/// Targets keys.
pub const TARGETS_PASSPHRASE: &str = "targetspass1";
/// Snapshot keys.
pub const SNAPSHOT_PASSPHRASE: &str = "snapshotpass1";
/// Delegation keys (and every non-base role).
pub const DELEGATION_PASSPHRASE: &str = "delegpass1";

/// `shared/`: `$NOTARY_SHARED_DIR`, else the folder beside the repository clone.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("NOTARY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// `shared/interop/<script>`.
pub fn interop_script(script: &str) -> PathBuf {
    let path = shared_dir().join("interop").join(script);
    assert!(path.is_file(), "interop script missing: {}", path.display());
    path
}

/// The real Go notary-server (local trust service, in-memory storage, TLS on a free port),
/// shared by the tests of one binary: the first [`acquire`](GoServer::acquire) starts it, the
/// last lease dropped stops it. Tests keep apart by using their own GUNs.
pub struct GoServer {
    dir: PathBuf,
    url: String,
    ca: PathBuf,
}

/// One test's share of the [`GoServer`].
pub struct GoServerLease(Arc<GoServer>);

static SERVER: Mutex<(usize, Option<Arc<GoServer>>)> = Mutex::new((0, None));

impl GoServer {
    /// A lease on the shared server, starting it if needed.
    pub fn acquire() -> GoServerLease {
        let mut guard = SERVER.lock().unwrap_or_else(|e| e.into_inner());
        let server = match &guard.1 {
            Some(server) => Arc::clone(server),
            None => {
                let server = Arc::new(GoServer::start());
                guard.1 = Some(Arc::clone(&server));
                server
            }
        };
        guard.0 += 1;
        GoServerLease(server)
    }

    fn start() -> GoServer {
        let dir = unique_temp_dir("go-server");
        // A port the OS says is free right now (other sessions use the 14xxx conventions).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let output = Command::new("bash")
            .arg(interop_script("start-reference-server.sh"))
            .arg(&dir)
            .arg(port.to_string())
            // The local trust service: no notary-signer, so no fixed signer port to clash on.
            .env("NOTARY_TRUST_SERVICE", "local")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let log = fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "start-reference-server.sh failed:\n{}{}\nserver.log:\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = fs::read_to_string(dir.join("env")).unwrap();
        let var = |name: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("{name} missing in {env}"))
                .to_owned()
        };
        GoServer {
            url: var("INTEROP_SERVER_URL"),
            ca: PathBuf::from(var("INTEROP_CA_CERT")),
            dir,
        }
    }

    fn stop(&self) {
        let _ = Command::new("bash")
            .arg(interop_script("stop-reference-server.sh"))
            .arg(&self.dir)
            .output();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl GoServerLease {
    /// The server's base URL (`https://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The CA certificate its TLS certificate chains to.
    pub fn ca(&self) -> &Path {
        &self.0.ca
    }

    /// `notary -s URL --tlscacert CA -d TRUST args…`.
    pub fn notary(&self, trust: &Path, args: &[&str]) -> GoRun {
        GoRun::run(trust, Some(self), args)
    }

    /// `curl` against the server with its CA: the status code and the body.
    pub fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(self.ca())
            .args(["-o", "/dev/stdout", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.trim().parse().unwrap(), body.to_owned())
    }
}

impl Drop for GoServerLease {
    fn drop(&mut self) {
        let mut guard = SERVER.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 -= 1;
        if guard.0 == 0
            && let Some(server) = guard.1.take()
        {
            server.stop();
        }
    }
}

/// `notary -d TRUST args…` without a server (key and changelist commands are local).
pub fn notary_offline(trust: &Path, args: &[&str]) -> GoRun {
    GoRun::run(trust, None, args)
}

/// The output of one Go `notary` command.
pub struct GoRun {
    description: String,
    output: Output,
}

impl GoRun {
    /// Runs `$NOTARY_BIN` (default `notary`) with the test passphrases in its environment, a
    /// private `HOME` (no machine config is read), no standard input, and the trust dir's parent
    /// (the test's work dir) as working directory, so relative file arguments resolve there.
    fn run(trust: &Path, server: Option<&GoServerLease>, args: &[&str]) -> GoRun {
        let mut command = Command::new(std::env::var("NOTARY_BIN").unwrap_or_else(|_| "notary".to_owned()));
        if let Some(server) = server {
            command.arg("-s").arg(server.url()).arg("--tlscacert").arg(server.ca());
        }
        command.arg("-d").arg(trust).args(args);
        let work = trust.parent().unwrap_or(trust);
        let home = work.join("home");
        fs::create_dir_all(&home).unwrap();
        command
            .current_dir(work)
            .env("HOME", &home)
            .env("NOTARY_ROOT_PASSPHRASE", ROOT_PASSPHRASE)
            .env("NOTARY_TARGETS_PASSPHRASE", TARGETS_PASSPHRASE)
            .env("NOTARY_SNAPSHOT_PASSPHRASE", SNAPSHOT_PASSPHRASE)
            .env("NOTARY_DELEGATION_PASSPHRASE", DELEGATION_PASSPHRASE)
            .stdin(Stdio::null());
        let description = format!("{command:?}");
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
        GoRun { description, output }
    }

    /// Asserts success and returns stdout followed by stderr.
    pub fn ok(self) -> String {
        let text = self.text();
        assert!(
            self.output.status.success(),
            "Go command failed ({}):\n$ {}\n{text}",
            self.output.status,
            self.description
        );
        text
    }

    /// Standard output only, after asserting success.
    pub fn stdout(self) -> String {
        let stdout = String::from_utf8_lossy(&self.output.stdout).into_owned();
        self.ok();
        stdout
    }

    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

/// A test's scratch directory: removed by [`WorkDir::done`], kept (and printed) when the test
/// panics, so the Go tools' state can be inspected.
pub struct WorkDir {
    dir: PathBuf,
}

impl WorkDir {
    /// A fresh, unique directory whose name starts with `name`.
    pub fn new(name: &str) -> WorkDir {
        WorkDir {
            dir: unique_temp_dir(name),
        }
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes a file (mode 0600, as key files need) and returns its path.
    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// A GUN under `prefix` that no other test or run uses (servers are shared).
    pub fn gun_under(&self, prefix: &str) -> String {
        format!("{prefix}/{}", self.dir.file_name().unwrap().to_str().unwrap())
    }

    /// Removes the directory (call at the end of a passing test).
    pub fn done(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept work dir {}", self.dir.display());
        }
    }
}

fn unique_temp_dir(name: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("notary-rs-{name}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}
