//! Interop with the real Go notary-server 0.7 (token auth, `rootcertbundle` = our root) and the
//! Go `notary` CLI (`NOTARY_AUTH` = base64 `user:password`): the same issuer that serves the
//! registry gates notary. Skipped, with the reason printed, only when `notary-server` or
//! `notary` is not installed.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use notary_testkit::WorkDir;
use serde_json::json;

use crate::support::{Alg, Pki, RunningIssuer, write_config};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn notary(work: &WorkDir, server: &str, credentials: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new("notary");
    command
        .args(["-s", server, "-d"])
        .arg(work.path("trust"))
        .args(args)
        .env("HOME", work.path("home"))
        .env("NOTARY_ROOT_PASSPHRASE", notary_testkit::ROOT_PASSPHRASE)
        .env("NOTARY_TARGETS_PASSPHRASE", notary_testkit::TARGETS_PASSPHRASE)
        .env("NOTARY_SNAPSHOT_PASSPHRASE", notary_testkit::SNAPSHOT_PASSPHRASE)
        .env_remove("NOTARY_AUTH")
        .stdin(Stdio::null());
    if let Some(credentials) = credentials {
        command.env(
            "NOTARY_AUTH",
            base64::engine::general_purpose::STANDARD.encode(credentials),
        );
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn start_go_server(work: &WorkDir, realm: &str) -> (Process, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = json!({
        "server": {"http_addr": format!("127.0.0.1:{port}")},
        "trust_service": {"type": "local"},
        "storage": {"backend": "memory"},
        "logging": {"level": "info"},
        "auth": {"type": "token", "options": {
            "realm": realm,
            "service": "notary",
            "issuer": "test-issuer",
            "rootcertbundle": work.path("root.crt"),
        }}
    });
    let config_path = work.write("notary-server.json", config.to_string().as_bytes());
    let log = std::fs::File::create(work.path("notary-server.log")).unwrap();
    let child = Command::new("notary-server")
        .arg("-config")
        .arg(&config_path)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = Process(child);
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "notary-server did not start: {}",
            std::fs::read_to_string(work.path("notary-server.log")).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (process, format!("http://{addr}"))
}

#[test]
fn go_notary_server_and_cli_accept_our_tokens() {
    for program in ["notary-server", "notary"] {
        if !installed(program) {
            println!(
                "SKIPPED go_notary_server_and_cli_accept_our_tokens: {program} is not installed (shared/interop/install-peers.sh installs it)"
            );
            return;
        }
    }
    let work = WorkDir::new("issuer-go-notary");
    std::fs::create_dir_all(work.path("home")).unwrap();
    let config = write_config(&work, &Pki::generate(Alg::Es256), &["notary"]);
    let issuer = RunningIssuer::start(&config);
    let (_server, server) = start_go_server(&work, &format!("http://{}/token", issuer.addr));
    assert!(Path::new(&work.path("root.crt")).is_file());

    // init + publish asks for repository:team/app:push,pull.
    let wrong = notary(&work, &server, Some("alice:wrong"), &["init", "team/app", "-p"]);
    assert!(!wrong.status.success(), "{}", text(&wrong));
    assert!(text(&wrong).contains("unauthorized"), "{}", text(&wrong));
    let reader = notary(&work, &server, Some("reader:reader-pw"), &["init", "team/other", "-p"]);
    assert!(!reader.status.success(), "pull-only user published: {}", text(&reader));
    let init = notary(&work, &server, Some("bob:bob-pw"), &["init", "team/app", "-p"]);
    assert!(
        text(&init).contains("Successfully published changes"),
        "{}",
        text(&init)
    );

    // list asks for pull: anonymous has no grant under team/, any user has.
    let anonymous = notary(&work, &server, None, &["list", "team/app"]);
    assert!(!anonymous.status.success(), "{}", text(&anonymous));
    let list = notary(&work, &server, Some("reader:reader-pw"), &["list", "team/app"]);
    assert!(list.status.success(), "{}", text(&list));

    // Server-managed key rotation asks for `*`: bob (pull, push) is refused, alice (`*`) is not.
    let bob = notary(
        &work,
        &server,
        Some("bob:bob-pw"),
        &["key", "rotate", "team/app", "snapshot", "-r"],
    );
    assert!(!bob.status.success(), "{}", text(&bob));
    assert!(text(&bob).contains("not authorized"), "{}", text(&bob));
    let alice = notary(
        &work,
        &server,
        Some("alice:alice-pw"),
        &["key", "rotate", "team/app", "snapshot", "-r"],
    );
    assert!(alice.status.success(), "{}", text(&alice));
    drop(issuer);
    work.done();
}
