//! Interop (feature `interop`): metadata signed by our core is accepted by the real Go
//! notary-server 0.7 and then listed and looked up by a fresh real Go `notary` client.
//! Needs `notary`, `notary-server`, `notary-signer`, `curl` and `openssl` (shared/interop/install-peers.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

use notary_tuf::PublicKey;
use notary_tuf::metadata::{FileMeta, Snapshot};

use crate::fixture::{Repo, TestKey, delegate, expires, root_body, sign, targets_body};

/// The Go reference server (server + signer, mutual TLS between them), stopped on drop.
struct GoServer {
    dir: PathBuf,
    url: String,
    ca: PathBuf,
}

impl GoServer {
    fn start(port: u16) -> GoServer {
        let dir = std::env::temp_dir().join(format!("notary-rs-go-server-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let script = shared_dir().join("interop/start-reference-server.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .arg(port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "start-reference-server.sh failed:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let env = std::fs::read_to_string(dir.join("env")).unwrap();
        let var = |name: &str| {
            env.lines()
                .find_map(|l| l.trim_start_matches("export ").strip_prefix(&format!("{name}=")))
                .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_owned())
                .unwrap_or_else(|| panic!("{name} missing in {env}"))
        };
        GoServer {
            url: var("INTEROP_SERVER_URL"),
            ca: PathBuf::from(var("INTEROP_CA_CERT")),
            dir,
        }
    }

    fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(&self.ca)
            .args(["-o", "/dev/stdout", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .unwrap();
        let body = text(&out.stdout);
        let (body, code) = body.rsplit_once('\n').unwrap();
        (code.trim().parse().unwrap(), body.to_owned())
    }

    /// POSTs role files the way the Go client does: parts `files`, filename = role.
    fn publish(&self, gun: &str, files: &[(&str, &[u8])], work: &Path) -> (u16, String) {
        let mut args = vec!["-X".to_owned(), "POST".to_owned()];
        for (role, bytes) in files {
            let path = work.join(role.replace('/', "_"));
            std::fs::write(&path, bytes).unwrap();
            args.push("-F".into());
            args.push(format!(
                "files=@{};filename={role};type=application/octet-stream",
                path.display()
            ));
        }
        args.push(format!("{}/v2/{gun}/_trust/tuf/", self.url));
        self.curl(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Runs the Go `notary` CLI against this server with a fresh trust dir.
    fn notary(&self, trust_dir: &Path, args: &[&str]) -> String {
        let out = Command::new("notary")
            .arg("-s")
            .arg(&self.url)
            .arg("--tlscacert")
            .arg(&self.ca)
            .arg("-d")
            .arg(trust_dir)
            .args(args)
            .output()
            .unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "notary {args:?} failed:\n{all}");
        all
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(shared_dir().join("interop/stop-reference-server.sh"))
            .arg(&self.dir)
            .output();
    }
}

fn shared_dir() -> PathBuf {
    std::env::var_os("NOTARY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn go_server_and_client_accept_metadata_we_sign() {
    let server = GoServer::start(14431);
    let work = server.dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let gun = format!("example.com/notary-rs/ours-{}", std::process::id());

    // The server's timestamp key for this GUN.
    let (code, body) = server.curl(&[&format!("{}/v2/{gun}/_trust/tuf/timestamp.key", server.url)]);
    assert_eq!(code, 200, "{body}");
    let timestamp_key: PublicKey = serde_json::from_str(&body).unwrap();

    // Root, targets with a delegation, client-made snapshot: all signed by our code.
    let repo = Repo::new(&gun);
    let releases_key = TestKey::ecdsa();
    let mut root = root_body(
        &[
            (&repo.root_key, "root"),
            (&repo.targets_key, "targets"),
            (&repo.snapshot_key, "snapshot"),
        ],
        1,
    );
    root.keys.insert(timestamp_key.key_id(), timestamp_key.clone());
    root.roles.insert(
        "timestamp".into(),
        notary_tuf::metadata::RoleKeys {
            keyids: vec![timestamp_key.key_id()],
            threshold: 1,
        },
    );
    let mut targets = targets_body(&[("hello", b"hello world"), ("a<b>&c", b"html")], 1);
    delegate(&mut targets, "targets/releases", &[&releases_key], &[""], 1);
    let releases = targets_body(&[("rel-1", b"release one")], 1);
    let root_file = sign(root, &[&repo.root_key]).raw().to_vec();
    let targets_file = sign(targets, &[&repo.targets_key]).raw().to_vec();
    let releases_file = sign(releases, &[&releases_key]).raw().to_vec();
    let meta = [
        ("root", &root_file),
        ("targets", &targets_file),
        ("targets/releases", &releases_file),
    ]
    .into_iter()
    .map(|(r, raw)| (r.to_owned(), FileMeta::of_bytes(raw)))
    .collect();
    let snapshot = Snapshot {
        type_name: "Snapshot".into(),
        expires: expires(1095),
        meta,
        version: 1,
        extra: Default::default(),
    };
    let snapshot_file = sign(snapshot, &[&repo.snapshot_key]).raw().to_vec();

    // Negative control: a targets file signed by the wrong key is refused by Go.
    let forged = sign(targets_body(&[("evil", b"x")], 1), &[&TestKey::ecdsa()])
        .raw()
        .to_vec();
    let (code, body) = server.publish(&gun, &[("root", &root_file), ("targets", &forged)], &work);
    assert_eq!(code, 400, "forged targets must be refused: {body}");
    assert!(body.contains("ErrBadTargets"), "{body}");

    let files: [(&str, &[u8]); 4] = [
        ("root", &root_file),
        ("targets", &targets_file),
        ("targets/releases", &releases_file),
        ("snapshot", &snapshot_file),
    ];
    let (code, body) = server.publish(&gun, &files, &work);
    assert_eq!(code, 200, "Go notary-server refused our metadata: {body}");

    // A fresh Go client trusts it (TOFU), verifies the whole chain and finds every target.
    let trust_dir = work.join("trust");
    let listed = server.notary(&trust_dir, &["list", &gun]);
    assert!(listed.contains("hello") && listed.contains("a<b>&c"), "{listed}");
    let sha256 = hex::encode(FileMeta::of_bytes(b"hello world").sha256().unwrap());
    let lookup = server.notary(&trust_dir, &["lookup", &gun, "hello"]);
    assert!(lookup.contains(&sha256), "{lookup}");
    let delegated = server.notary(&work.join("trust2"), &["list", &gun, "--roles", "targets/releases"]);
    assert!(delegated.contains("rel-1"), "{delegated}");
}
