//! Interop with the real Docker registry (Debian `docker-registry`, distribution 2.8) configured
//! for token auth with our issuer: `skopeo copy` of a small hand-made OCI image succeeds with
//! the credentials of a user granted push, and fails without credentials, with a wrong
//! password, and for a user granted only pull. Skipped, with the reason printed, only when
//! `docker-registry` or `skopeo` is not installed (`shared/interop/install-peers.sh` installs
//! them).

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use aws_lc_rs::digest::{SHA256, digest};
use notary_testkit::WorkDir;
use notary_testkit::registry::{Registry, TokenAuth};

use crate::support::{Alg, Pki, RunningIssuer, write_config};

const SERVICE: &str = "docker-registry";

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The registry on a free port, trusting the issuer's root for tokens with `realm`.
fn start_registry(work: &WorkDir, realm: &str) -> (Registry, String) {
    let addr = format!(
        "127.0.0.1:{}",
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let auth = TokenAuth {
        realm,
        service: SERVICE,
        issuer: "test-issuer",
        root_cert: &work.path("root.crt"),
    };
    let registry = Registry::start(work, &addr, auth);
    (registry, addr)
}

/// A minimal OCI image layout (one gzip layer, one config), tag `v1`, as
/// shared/interop/docker-trust-scenario.sh makes it.
fn oci_layout(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let hex: String = digest(&SHA256, bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    // A tar with one file, gzip-compressed by the system's gzip.
    let rootfs = dir.join("../rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::write(rootfs.join("hello.txt"), b"hello from notary-token-issuer\n").unwrap();
    let tar = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["-cf", "-", "hello.txt"])
        .output()
        .unwrap();
    assert!(tar.status.success());
    let mut gzip = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    gzip.stdin.take().unwrap().write_all(&tar.stdout).unwrap();
    let layer = gzip.wait_with_output().unwrap().stdout;
    let diff_id: String = digest(&SHA256, &tar.stdout)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (layer_digest, layer_size) = put(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{diff_id}"]}},"config":{{}}}}"#
    );
    let (config_digest, config_size) = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

fn skopeo_copy(layout: &Path, destination: &str, credentials: Option<&str>) -> Output {
    let mut command = Command::new("skopeo");
    command
        .args(["--insecure-policy", "copy", "--dest-tls-verify=false"])
        .env("HOME", layout.parent().unwrap())
        .env("REGISTRY_AUTH_FILE", layout.parent().unwrap().join("auth.json"));
    if let Some(credentials) = credentials {
        command.arg("--dest-creds").arg(credentials);
    }
    command
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(format!("docker://{destination}"))
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn docker_registry_accepts_our_tokens_for_skopeo_pushes() {
    for program in ["docker-registry", "skopeo", "tar", "gzip"] {
        if !installed(program) {
            println!(
                "SKIPPED docker_registry_accepts_our_tokens_for_skopeo_pushes: {program} is not installed (shared/interop/install-peers.sh installs it)"
            );
            return;
        }
    }
    let work = WorkDir::new("issuer-registry");
    let config = write_config(&work, &Pki::generate(Alg::Es256), &[SERVICE]);
    let issuer = RunningIssuer::start(&config);
    let realm = format!("http://{}/token", issuer.addr);
    let (_registry, registry) = start_registry(&work, &realm);
    let layout = work.path("oci/layout");
    oci_layout(&layout);

    let anonymous = skopeo_copy(&layout, &format!("{registry}/team/app:v1"), None);
    assert!(
        !anonymous.status.success(),
        "anonymous push succeeded: {}",
        text(&anonymous)
    );
    let wrong = skopeo_copy(&layout, &format!("{registry}/team/app:v1"), Some("bob:wrong-password"));
    assert!(!wrong.status.success(), "wrong password accepted: {}", text(&wrong));
    assert!(
        text(&wrong).contains("401") || text(&wrong).to_lowercase().contains("unauthorized"),
        "{}",
        text(&wrong)
    );
    // reader is granted only pull under team/.
    let reader = skopeo_copy(&layout, &format!("{registry}/team/app:v1"), Some("reader:reader-pw"));
    assert!(!reader.status.success(), "pull-only user pushed: {}", text(&reader));
    assert!(text(&reader).contains("denied"), "{}", text(&reader));
    // bob may push team/app but not teamx/app (prefix on a path boundary).
    let outside = skopeo_copy(&layout, &format!("{registry}/team/apple:v1"), Some("bob:bob-pw"));
    assert!(
        !outside.status.success(),
        "bob pushed outside team/app: {}",
        text(&outside)
    );

    let pushed = skopeo_copy(&layout, &format!("{registry}/team/app:v1"), Some("bob:bob-pw"));
    assert!(pushed.status.success(), "push failed: {}", text(&pushed));
    assert!(text(&pushed).contains("Writing manifest"), "{}", text(&pushed));

    // The registry itself now answers a pull with a token from the issuer (reader may pull).
    let inspect = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", "--creds", "reader:reader-pw"])
        .arg(format!("docker://{registry}/team/app:v1"))
        .env("HOME", work.path("oci"))
        .output()
        .unwrap();
    assert!(inspect.status.success(), "{}", text(&inspect));
    assert!(String::from_utf8_lossy(&inspect.stdout).contains("application/vnd.oci.image.manifest.v1+json"));
    work.done();
}

/// `docker login` (Docker CLI, no daemon) against the token-protected registry: the CLI logs in
/// client-side, fetching a token from the issuer with Basic credentials.
#[test]
fn docker_login_without_a_daemon() {
    for program in ["docker-registry", "docker"] {
        if !installed(program) {
            println!("SKIPPED docker_login_without_a_daemon: {program} is not installed");
            return;
        }
    }
    let work = WorkDir::new("issuer-docker-login");
    let config = write_config(&work, &Pki::generate(Alg::Es256), &[SERVICE]);
    let issuer = RunningIssuer::start(&config);
    let (_registry, registry) = start_registry(&work, &format!("http://{}/token", issuer.addr));
    let login = |user: &str, password: &str| {
        let mut child = Command::new("docker")
            .args(["login", &registry, "-u", user, "--password-stdin"])
            .env("DOCKER_CONFIG", work.path("docker"))
            .env(
                "DOCKER_HOST",
                format!("unix://{}", work.path("no-daemon.sock").display()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let wrong = login("alice", "wrong");
    assert!(!wrong.status.success(), "{}", text(&wrong));
    let ok = login("alice", "alice-pw");
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("Login Succeeded"), "{}", text(&ok));
    let stored = std::fs::read_to_string(work.path("docker/config.json")).unwrap();
    assert!(stored.contains(&registry), "{stored}");
    work.done();
}
