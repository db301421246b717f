//! `init` writes a setup that loads and issues tokens; `hash-password` output is accepted; the
//! configuration refuses what it cannot use.

use std::path::Path;
use std::process::{Command, Stdio};

use notary_service_kit::config_doc::Document;
use notary_testkit::WorkDir;
use notary_token_issuer::config::{ConfigError, IssuerConfig};
use notary_token_issuer::grant::Principal;
use notary_token_issuer::init::{InitError, InitOptions, init};
use notary_token_issuer::scope::Scope;
use notary_token_issuer::server::load_issuer;

use crate::support::decode_verified;

#[test]
fn init_writes_a_working_setup() {
    let work = WorkDir::new("issuer-init");
    let dir = work.path("setup");
    let output = init(&dir, &InitOptions::default()).unwrap();
    let config = IssuerConfig::load(&output.config).unwrap();
    assert!(config.tls.is_some());
    assert_eq!(config.services, ["notary-server", "docker-registry"]);
    let issuer = load_issuer(&config, time::OffsetDateTime::now_utc()).unwrap();
    assert!(issuer.users().verify("admin", output.admin_password.as_bytes()));
    assert!(!issuer.users().verify("admin", b"guess"));
    let scopes = Scope::parse_list("repository:any/thing:pull,push,* registry:catalog:*").unwrap();
    let token = issuer
        .issue(
            Principal::User("admin"),
            "notary-server",
            &scopes,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let (_, claims) = decode_verified(&token.token);
    assert_eq!(claims["access"].as_array().unwrap().len(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for secret in ["root-ca.key", "signing.key", "tls.key", "users.htpasswd"] {
            let mode = std::fs::metadata(dir.join(secret)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{secret} is readable by others");
        }
    }
    assert!(matches!(init(&dir, &InitOptions::default()), Err(InitError::Exists(_))));
    work.done();
}

#[test]
fn init_and_hash_password_through_the_binary() {
    let work = WorkDir::new("issuer-init-bin");
    let bin = Path::new(env!("CARGO_BIN_EXE_notary-token-issuer"));
    let out = Command::new(bin)
        .args([
            "init",
            work.path("s").to_str().unwrap(),
            "--user",
            "root",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("User root, password (shown only now): "))
        .unwrap()
        .to_owned();
    assert!(stdout.contains("rootcertbundle"));

    let mut child = Command::new(bin)
        .args(["hash-password", "--user", "dave", "--cost", "4"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"dave's pw\n").unwrap();
    let hashed = child.wait_with_output().unwrap();
    assert!(hashed.status.success());
    let line = String::from_utf8(hashed.stdout).unwrap();
    assert!(line.starts_with("dave:$2b$04$"), "{line}");
    let mut htpasswd = std::fs::read_to_string(work.path("s/users.htpasswd")).unwrap();
    htpasswd.push_str(&line);
    std::fs::write(work.path("s/users.htpasswd"), htpasswd).unwrap();

    let config = IssuerConfig::load(&work.path("s/config.json")).unwrap();
    let issuer = load_issuer(&config, time::OffsetDateTime::now_utc()).unwrap();
    assert!(issuer.users().verify("root", password.as_bytes()));
    assert!(issuer.users().verify("dave", b"dave's pw"));

    // The generated setup serves https with a certificate from the generated root.
    let server = notary_testkit::server::ServerProcess::start(bin, &work.path("s/config.json"));
    assert!(server.url().starts_with("https://127.0.0.1:"), "{}", server.url());
    let curl = |user: &str| {
        Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(work.path("s/root-ca.crt"))
            .arg("-u")
            .arg(user)
            .arg(format!(
                "{}?service=notary-server&scope=repository:x/y:pull",
                server.url()
            ))
            .output()
            .unwrap()
    };
    let ok = curl(&format!("root:{password}"));
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = curl("dave:wrong");
    assert_eq!(String::from_utf8_lossy(&refused.stdout), "401");
    drop(server);
    work.done();
}

fn parse(json: &str) -> Result<IssuerConfig, ConfigError> {
    let doc = Document::from_json(json.as_bytes(), Path::new("/etc/issuer"), "X_", &[], &|_| None).unwrap();
    IssuerConfig::from_document(&doc)
}

#[test]
fn configuration_checks() {
    let base = r#""token": {"issuer": "i", "service": "s", "key_file": "k.pem", "cert_file": "c.pem"}"#;
    let config = parse(&format!("{{{base}}}")).unwrap();
    assert_eq!(config.services, ["s"]);
    assert_eq!(config.lifetime_seconds, 300);
    assert_eq!(config.key_file, Path::new("/etc/issuer/k.pem"));
    assert_eq!(config.http_addr, "127.0.0.1:4431");
    assert!(config.grants.is_empty());

    let refused = [
        (
            r#"{"token": {"service": "s", "key_file": "k", "cert_file": "c"}}"#,
            "token.issuer",
        ),
        (
            r#"{"token": {"issuer": "i", "key_file": "k", "cert_file": "c"}}"#,
            "token.services",
        ),
        (
            &*format!(r#"{{{base}, "grants": [{{"prefix": "a/", "actions": ["pull"]}}]}}"#),
            "grants[0].users",
        ),
        (
            &*format!(r#"{{{base}, "grants": [{{"users": ["a"], "actions": ["pull"]}}]}}"#),
            "grants[0].prefix",
        ),
        (
            &*format!(r#"{{{base}, "grants": [{{"users": ["a"], "prefix": "a//", "actions": ["pull"]}}]}}"#),
            "grants[0].prefix",
        ),
        (
            &*format!(r#"{{{base}, "grants": [{{"users": ["a"], "prefix": "a/", "actions": []}}]}}"#),
            "grants[0].actions",
        ),
        (
            &*format!(
                r#"{{{base}, "grants": [{{"users": ["a"], "anonymous": true, "prefix": "a/", "actions": ["pull"]}}]}}"#
            ),
            "grants[0].users",
        ),
        (
            &*format!(r#"{{{base}, "grants": [{{"users": "a", "prefix": "a/", "actions": ["pull"]}}]}}"#),
            "grants[0].users",
        ),
        (&*format!(r#"{{{base}, "grants": {{}}}}"#), "grants"),
        (
            &*format!(r#"{{{base}, "server": {{"tls_cert_file": "c"}}}}"#),
            "server.tls_cert_file",
        ),
        (
            &*format!(r#"{{{base}, "server": {{"http_addr": "nope"}}}}"#),
            "server.http_addr",
        ),
        (
            r#"{"token": {"issuer": "i", "service": "s", "key_file": "k", "cert_file": "c", "expiration": 999999}}"#,
            "token.expiration",
        ),
    ];
    for (json, key) in refused {
        let message = parse(json).unwrap_err().to_string();
        assert!(message.contains(key), "{json}: {message}");
    }
}
