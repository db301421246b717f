//! Token auth end to end: our server (TLS, `auth.type: token`) trusting our issuer's root, our
//! issuer in-process, and the real clients — the Go `notary` CLI, ours, and the Docker CLI
//! logged in to a Debian `docker-registry` that the same issuer protects.
//!
//! Who may do what (the issuer's grants, [`grants`]): `alice` everything under the scenarios'
//! GUN prefixes, `bob` everything under the docker scenario's, `pusher` only `pull,push` under
//! `interop.test/`, anonymous `pull` everywhere (the Go CLI reads anonymously even with
//! `NOTARY_AUTH` set, and docker has no credentials for `registry.interop.test`).
//!
//! The scenarios inspect the server with plain `curl` (`GET /v2/` must be 200, metadata
//! fetched directly, 404 for unknown GUNs). With auth on, an anonymous request without a token
//! is a 401, so `curl` on the scenarios' `PATH` is a wrapper ([`CURL_WRAPPER`]) that does what
//! every registry client does: on a Bearer challenge, fetch a token from the realm (with the
//! `NOTARY_AUTH` credentials when set) and retry. Plain `curl` getting 401 is asserted
//! separately.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use base64::Engine as _;
use notary_server::config::TokenAuthConfig;
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use notary_testkit::registry::{Registry, TokenAuth};
use notary_token_issuer::config::IssuerConfig;
use notary_token_issuer::init::{self, InitOptions};
use serde_json::{Value, json};

use crate::support::{OurServer, ours};

const ISSUER: &str = "notary-token-issuer";
const NOTARY_SERVICE: &str = "notary-server";
const REGISTRY_SERVICE: &str = "docker-registry";
/// Users and passwords (bcrypt cost 4 in the htpasswd file, to keep logins fast).
const ALICE: (&str, &str) = ("alice", "alice-e2e-pw");
const BOB: (&str, &str) = ("bob", "bob-e2e-pw");
const PUSHER: (&str, &str) = ("pusher", "pusher-e2e-pw");
/// The notary CLI scenario's GUNs live under this prefix (`INTEROP_GUN_PREFIX`).
const CLI_PREFIX: &str = "interop.test";

/// The issuer's grants; `registry_host` is the docker scenario's registry (`host:port`), whose
/// name starts the GUNs docker signs.
fn grants(registry_host: Option<&str>) -> Value {
    let mut grants = vec![
        json!({"users": [ALICE.0], "prefix": format!("{CLI_PREFIX}/"), "actions": ["*"]}),
        json!({"users": [PUSHER.0], "prefix": format!("{CLI_PREFIX}/"), "actions": ["pull", "push"]}),
        // The scenario's `GET /v2/` (notary-server asks for registry:catalog:*).
        json!({"users": [ALICE.0], "type": "registry", "prefix": "catalog", "actions": ["*"]}),
        json!({"anonymous": true, "prefix": "*", "actions": ["pull"]}),
    ];
    if let Some(host) = registry_host {
        grants.extend([
            // docker trust GUNs (<registry host>/interop/…), and the registry's own names.
            json!({"users": [ALICE.0, BOB.0], "prefix": format!("{host}/"), "actions": ["*"]}),
            json!({"users": [ALICE.0, BOB.0], "prefix": "interop/", "actions": ["*"]}),
            // The notary CLI (as alice) signs GUNs on the non-loopback host the scenario uses.
            json!({"users": [ALICE.0], "prefix": "registry.interop.test/", "actions": ["*"]}),
        ]);
    }
    Value::Array(grants)
}

/// Our issuer on a loopback port (plain http: the realm), in a thread with its own runtime;
/// stopped when dropped.
struct RunningIssuer {
    realm: String,
    root_cert: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningIssuer {
    /// `notary-token-issuer init` into `work/issuer` (root CA, signing key and chain), then a
    /// configuration with the test users and `grants`.
    fn start(work: &WorkDir, grants: Value) -> RunningIssuer {
        let dir = work.path("issuer");
        let setup = init::init(&dir, &InitOptions::default()).unwrap();
        let htpasswd: String = [ALICE, BOB, PUSHER]
            .iter()
            .map(|(user, password)| format!("{user}:{}\n", init::hash_password(password.as_bytes(), 4).unwrap()))
            .collect();
        std::fs::write(dir.join("e2e.htpasswd"), htpasswd).unwrap();
        let config = json!({
            "server": {"http_addr": "127.0.0.1:0"},
            "logging": {"level": "info"},
            "token": {
                "issuer": ISSUER,
                "services": [NOTARY_SERVICE, REGISTRY_SERVICE],
                "expiration": 300,
                "key_file": "signing.key",
                "cert_file": "signing.crt"
            },
            "users": {"htpasswd_file": "e2e.htpasswd"},
            "grants": grants
        });
        let config_path = dir.join("e2e.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let config = IssuerConfig::load(&config_path).unwrap();
        let (realm_tx, realm_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let server = notary_token_issuer::server::Server::bind(&config, None).await.unwrap();
                realm_tx.send(server.realm()).unwrap();
                server
                    .run(async move {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let realm = realm_rx.recv().unwrap();
        RunningIssuer {
            realm,
            root_cert: setup.root_cert,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `host:port`.
    fn addr(&self) -> &str {
        self.realm
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// A token for `service` and `scope`, anonymous or with `user`'s Basic credentials.
    fn token(&self, service: &str, scope: &str, user: Option<(&str, &str)>) -> (String, Value) {
        // Names and scopes here need no escaping beyond what the issuer's form parser accepts.
        let query = format!("service={service}&scope={scope}");
        let basic = user.map(|(u, p)| format!("Basic {}", b64(&format!("{u}:{p}"))));
        let mut headers = Vec::new();
        if let Some(basic) = &basic {
            headers.push(("Authorization", basic.as_str()));
        }
        let response = notary_testkit::http::request(self.addr(), "GET", &format!("/token?{query}"), &headers, b"");
        assert_eq!(response.status, 200, "{}", response.text());
        let token = response.json()["token"].as_str().unwrap().to_owned();
        let claims = token.split('.').nth(1).unwrap();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap();
        (token, serde_json::from_slice(&claims).unwrap())
    }
}

impl Drop for RunningIssuer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `NOTARY_AUTH` of a user.
fn notary_auth((user, password): (&str, &str)) -> String {
    b64(&format!("{user}:{password}"))
}

/// The issuer, and our server over TLS with token auth trusting the issuer's root.
struct Setup {
    work: WorkDir,
    pki: TestPki,
    issuer: RunningIssuer,
    server: OurServer,
    /// Holds `curl` (the token-aware wrapper) and the other wrappers.
    bin: PathBuf,
}

impl Setup {
    fn start(name: &str, registry_host: Option<&str>) -> Setup {
        let work = WorkDir::new(name);
        let pki = TestPki::generate(&work.path("pki"));
        let issuer = RunningIssuer::start(&work, grants(registry_host));
        let auth = TokenAuthConfig {
            realm: issuer.realm.clone(),
            service: NOTARY_SERVICE.into(),
            issuer: ISSUER.into(),
            rootcertbundle: issuer.root_cert.clone(),
            autoredirect: false,
        };
        let server = OurServer::start_with(&work, Some(&pki), |config| config.auth = Some(auth));
        let bin = work.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        script(&bin.join("curl"), &CURL_WRAPPER.replace("@CURL@", &program("curl")));
        Setup {
            work,
            pki,
            issuer,
            server,
            bin,
        }
    }

    fn url(&self) -> &str {
        self.server.url()
    }

    /// `PATH` with the wrappers first.
    fn path_env(&self) -> String {
        format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default())
    }

    /// Status of `GET path` on our server with plain curl, with `token` as Bearer when given.
    fn status(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut command = Command::new(program("curl"));
        command
            .args(["-s", "-D", "-", "-o", "/dev/null", "--cacert"])
            .arg(&self.pki.ca_cert)
            .arg(format!("{}{path}", self.url()));
        if let Some(token) = token {
            command.arg("-H").arg(format!("Authorization: Bearer {token}"));
        }
        let output = command.output().unwrap();
        let head = String::from_utf8_lossy(&output.stdout).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, head)
    }

    /// Asserts nothing is stored for `gun`: anonymous curl gets a 401 challenge, and with a pull
    /// token the server answers 404.
    fn assert_nothing_stored(&self, gun: &str) {
        let path = format!("/v2/{gun}/_trust/tuf/root.json");
        let (status, head) = self.status(&path, None);
        assert_eq!(status, 401, "{head}");
        assert!(
            head.to_ascii_lowercase().contains(&format!(
                "www-authenticate: bearer realm=\"{}\",service=\"{NOTARY_SERVICE}\",scope=\"repository:{gun}:pull\"",
                self.issuer.realm
            )),
            "{head}"
        );
        let (token, claims) = self
            .issuer
            .token(NOTARY_SERVICE, &format!("repository:{gun}:pull"), None);
        assert_eq!(claims["access"][0]["actions"], json!(["pull"]), "{claims}");
        let (status, head) = self.status(&path, Some(&token));
        assert_eq!(status, 404, "{gun} has trust data on the server: {head}");
    }

    /// Runs `binary -s url --tlscacert ca -d trust args…` with the scenario passphrases, the
    /// given `NOTARY_AUTH` (none: unset) and no stdin.
    fn notary(&self, binary: &Path, trust: &str, auth: Option<(&str, &str)>, args: &[&str]) -> Output {
        let config = self.work.write("client-config.json", b"{}");
        let mut command = Command::new(binary);
        command
            .arg("-c")
            .arg(&config)
            .arg("-d")
            .arg(self.work.path(trust))
            .args(["-s", self.url(), "--tlscacert"])
            .arg(&self.pki.ca_cert)
            .args(args)
            .env("HOME", self.work.path("home"))
            .env_remove("NOTARY_AUTH")
            .current_dir(self.work.path(""))
            .stdin(Stdio::null());
        for (name, value) in crate::support::PASSPHRASES {
            command.env(name, value);
        }
        if let Some(user) = auth {
            command.env("NOTARY_AUTH", notary_auth(user));
        }
        command.output().unwrap()
    }

    fn done(self) {
        drop(self.server);
        drop(self.issuer);
        self.work.done();
    }
}

/// `curl` that answers a Bearer challenge as registry clients do: it probes the URL, and on a
/// `Www-Authenticate: Bearer` answer fetches a token for the challenge's service and scope from
/// its realm (Basic credentials from `NOTARY_AUTH` when set, else anonymous), then runs the real
/// curl with the original arguments and the token. Any other answer: the real curl, unchanged.
const CURL_WRAPPER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
REAL=@CURL@
url="" ca=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    --cacert) ca=(--cacert "${args[i + 1]}") ;;
    http://* | https://*) url=${args[i]} ;;
    esac
done
[ -n "$url" ] || exec "$REAL" "$@"
challenge=$("$REAL" -s -o /dev/null -D - "${ca[@]}" "$url" | tr -d '\r' | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: *Bearer //p' | head -n 1)
[ -n "$challenge" ] || exec "$REAL" "$@"
param() { sed -n "s/.*$1=\"\([^\"]*\)\".*/\1/p" <<<"$challenge"; }
credentials=()
if [ -n "${NOTARY_AUTH:-}" ]; then credentials=(-H "Authorization: Basic $NOTARY_AUTH"); fi
token=$("$REAL" -fsS -G "${credentials[@]}" --data-urlencode "service=$(param service)" \
    --data-urlencode "scope=$(param scope)" "$(param realm)" | jq -r .token)
exec "$REAL" -H "Authorization: Bearer $token" "$@"
"#;

/// Writes an executable script.
fn script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The absolute path of `name` on `PATH` (empty when it is not installed).
fn program(name: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a shared interop scenario against `setup`'s server with the wrappers first on `PATH`,
/// and returns its stdout, asserting the closing line is `expected`.
fn scenario(setup: &Setup, script: &str, env: &[(&str, &str)], expected: &str) -> String {
    let mut command = Command::new("bash");
    command
        .arg(notary_testkit::interop_script(script))
        .arg(setup.url())
        .env("INTEROP_CA_CERT", &setup.pki.ca_cert)
        .env("PATH", setup.path_env())
        .env_remove("NOTARY_AUTH")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary,
        expected,
        "{script} with token auth:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!(
        "{script} with token auth: {summary} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    stdout
}

/// Item 1: the notary CLI scenario, all 80 steps, with `binary` as `NOTARY_BIN` and alice's
/// credentials in `NOTARY_AUTH`.
fn cli_scenario(name: &str, binary: &Path) {
    let setup = Setup::start(name, None);
    // Auth is really on: the ping the scenario checks is a challenge without a token.
    let (status, head) = setup.status("/v2/", None);
    assert_eq!(status, 401, "{head}");
    assert!(head.contains("scope=\"registry:catalog:*\""), "{head}");

    let prefix = format!("{CLI_PREFIX}/{name}-{}", std::process::id());
    let binary = binary.display().to_string();
    let auth = notary_auth(ALICE);
    scenario(
        &setup,
        "notary-cli-scenario.sh",
        &[
            ("NOTARY_BIN", &binary),
            ("NOTARY_AUTH", &auth),
            ("INTEROP_GUN_PREFIX", &prefix),
        ],
        "80 passed, 0 failed",
    );
    setup.done();
}

#[test]
fn go_cli_passes_the_scenario_with_token_auth() {
    cli_scenario("auth-go-cli", Path::new("notary"));
}

#[test]
fn our_cli_passes_the_scenario_with_token_auth() {
    cli_scenario("auth-our-cli", &ours());
}

/// Item 2: no credentials (`NOTARY_AUTH` unset, no terminal) — publishing fails, with Go's
/// text for both CLIs and ours naming the class, and nothing is stored.
#[test]
fn publishing_without_credentials_fails_and_stores_nothing() {
    let setup = Setup::start("auth-no-credentials", None);
    for (binary, name) in [(PathBuf::from("notary"), "go"), (ours(), "ours")] {
        let gun = format!("{CLI_PREFIX}/no-credentials/{name}");
        let output = setup.notary(&binary, name, None, &["init", "-p", &gun]);
        let message = text(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert!(
            message.contains("you are not authorized to perform this operation: server returned 401."),
            "{name}: {message}"
        );
        if name == "ours" {
            assert!(
                message.contains("(authentication failed: no credentials, or the server refused them)"),
                "{message}"
            );
        }
        setup.assert_nothing_stored(&gun);
    }
    setup.done();
}

/// Item 4: anonymous readers list a published GUN from a fresh trust dir; a user granted only
/// `pull,push` publishes but may not rotate a key to the server (`*`), and ours says "not
/// allowed".
#[test]
fn anonymous_reads_and_push_only_users_cannot_rotate_server_keys() {
    let setup = Setup::start("auth-grants", None);
    let gun = format!("{CLI_PREFIX}/grants/app");
    let init = setup.notary(&ours(), "alice", Some(ALICE), &["init", "-p", &gun]);
    assert!(
        text(&init).contains("Successfully published changes"),
        "{}",
        text(&init)
    );
    let hello = setup.work.write("hello.txt", b"hello\n");
    let hello = hello.to_str().unwrap();
    for (binary, name) in [(PathBuf::from("notary"), "go"), (ours(), "ours")] {
        // pusher may push: publish a target named after the CLI.
        let add = setup.notary(&binary, "alice", Some(PUSHER), &["add", "-p", &gun, name, hello]);
        assert!(
            text(&add).contains("Successfully published changes"),
            "{name}: {}",
            text(&add)
        );
        let list = setup.notary(&binary, &format!("anonymous-{name}"), None, &["list", &gun]);
        assert!(list.status.success(), "{name}: {}", text(&list));
        assert!(
            String::from_utf8_lossy(&list.stdout)
                .lines()
                .any(|l| l.starts_with(&format!("{name} "))),
            "{name}: {}",
            text(&list)
        );
        let rotate = setup.notary(
            &binary,
            "alice",
            Some(PUSHER),
            &["key", "rotate", &gun, "snapshot", "-r"],
        );
        let message = text(&rotate);
        assert_eq!(rotate.status.code(), Some(1), "{name}: {message}");
        assert!(
            message.contains("you are not authorized to perform this operation: server returned 401."),
            "{name}: {message}"
        );
        if name == "ours" {
            assert!(message.contains("(not allowed: "), "{message}");
        }
    }
    // alice (`*`) may.
    let rotate = setup.notary(
        &ours(),
        "alice",
        Some(ALICE),
        &["key", "rotate", &gun, "snapshot", "-r"],
    );
    assert!(
        text(&rotate).contains("Successfully rotated snapshot key"),
        "{}",
        text(&rotate)
    );
    setup.done();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The registry with token auth from our issuer, as shared/interop/start-registry.sh starts it.
fn start_registry(setup: &Setup, host: &str) -> Registry {
    let auth = TokenAuth {
        realm: &setup.issuer.realm,
        service: REGISTRY_SERVICE,
        issuer: ISSUER,
        root_cert: &setup.issuer.root_cert,
    };
    Registry::start(&setup.work, host, auth)
}

/// `docker` that first logs in (`docker login --password-stdin`, client side: no daemon) to the
/// registry, once per `DOCKER_CONFIG`, as the user the config directory is named after (the
/// scenario's `alice` and `bob`) when the test gave that user a password file; then runs the
/// real docker with the original arguments.
const DOCKER_WRAPPER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
REAL=@DOCKER@
config=${DOCKER_CONFIG:-$HOME/.docker}
user=$(basename "$config")
if [ -f "@CREDS@/$user" ] && [ ! -e "$config/e2e-logged-in" ]; then
    mkdir -p "$config"
    if ! DOCKER_HOST=unix://@CREDS@/no-daemon.sock "$REAL" login --username "$user" --password-stdin @REGISTRY@ \
        <"@CREDS@/$user" >>"@CREDS@/login-$user.log" 2>&1; then
        echo "docker login as $user failed:" >&2
        cat "@CREDS@/login-$user.log" >&2
        exit 1
    fi
    touch "$config/e2e-logged-in"
fi
exec "$REAL" "$@"
"#;

/// `skopeo` that uses the docker config's credentials (those `docker login` stored) as its
/// auth file.
const SKOPEO_WRAPPER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
export REGISTRY_AUTH_FILE=${DOCKER_CONFIG:-$HOME/.docker}/config.json
exec @SKOPEO@ "$@"
"#;

/// Item 3: the docker trust scenario, all 41 steps, with credentials from `docker login` to the
/// token-protected registry; and without a login, docker cannot sign.
#[test]
fn docker_trust_scenario_with_docker_login_credentials() {
    for needed in ["docker", "docker-registry", "skopeo", "notary"] {
        if program(needed).is_empty() {
            println!(
                "SKIPPED docker_trust_scenario_with_docker_login_credentials: {needed} is not installed \
                 (shared/interop/install-peers.sh installs it)"
            );
            return;
        }
    }
    let registry_host = format!("127.0.0.1:{}", free_port());
    let setup = Setup::start("auth-docker", Some(&registry_host));
    let _registry = start_registry(&setup, &registry_host);

    let creds = setup.work.path("creds");
    std::fs::create_dir_all(&creds).unwrap();
    for (user, password) in [ALICE, BOB] {
        std::fs::write(creds.join(user), password).unwrap();
    }
    let creds = creds.display().to_string();
    script(
        &setup.bin.join("docker"),
        &DOCKER_WRAPPER
            .replace("@DOCKER@", &program("docker"))
            .replace("@CREDS@", &creds)
            .replace("@REGISTRY@", &registry_host),
    );
    script(
        &setup.bin.join("skopeo"),
        &SKOPEO_WRAPPER.replace("@SKOPEO@", &program("skopeo")),
    );

    // Without a login docker has no credentials: it cannot sign (initialise a repository), and
    // nothing is stored.
    let unsigned = format!("{registry_host}/interop/no-login");
    let docker = |config: &str, args: &[&str]| {
        Command::new(program("docker"))
            .args(args)
            .env("DOCKER_CONFIG", setup.work.path(config))
            .env("DOCKER_CONTENT_TRUST_SERVER", setup.url())
            .env("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "no-login-root")
            .env("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "no-login-repo")
            .env(
                "DOCKER_HOST",
                format!("unix://{}", setup.work.path("no-daemon.sock").display()),
            )
            .current_dir(setup.work.path(""))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let generate = docker("nologin", &["trust", "key", "generate", "nologin"]);
    assert!(generate.status.success(), "{}", text(&generate));
    let ca_dir = setup
        .work
        .path(&format!("nologin/tls/{}", setup.url().trim_start_matches("https://")));
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(&setup.pki.ca_cert, ca_dir.join("ca.crt")).unwrap();
    let pubkey = setup.work.path("nologin.pub").display().to_string();
    let add = docker(
        "nologin",
        &["trust", "signer", "add", "--key", &pubkey, "nologin", &unsigned],
    );
    assert!(!add.status.success(), "{}", text(&add));
    assert!(
        text(&add).contains("you are not authorized to perform this operation: server returned 401."),
        "{}",
        text(&add)
    );
    setup.assert_nothing_stored(&unsigned);

    let auth = notary_auth(ALICE);
    let bin = setup.bin.display().to_string();
    scenario(
        &setup,
        "docker-trust-scenario.sh",
        &[
            ("INTEROP_REGISTRY", &registry_host),
            ("DOCKER_BIN", &format!("{bin}/docker")),
            ("SKOPEO_BIN", &format!("{bin}/skopeo")),
            ("NOTARY_AUTH", &auth),
        ],
        "41 passed, 0 failed",
    );
    // Both people logged in for real.
    for (user, _) in [ALICE, BOB] {
        let log = std::fs::read_to_string(format!("{creds}/login-{user}.log")).unwrap();
        assert!(log.contains("Login Succeeded"), "{user}: {log}");
    }
    drop(_registry);
    setup.done();
}
