//! Interop (feature `interop`): metadata signed by our core is accepted by the real Go
//! notary-server 0.7 and then listed and looked up by a fresh real Go `notary` client.
//! Needs `notary`, `notary-server`, `curl` and `openssl` (shared/interop/install-peers.sh).

use notary_testkit::{GoServer, GoServerLease, WorkDir};
use notary_tuf::PublicKey;
use notary_tuf::metadata::{FileMeta, Snapshot};

use crate::fixture::{Repo, TestKey, delegate, expires, root_body, sign, targets_body};

/// POSTs role files the way the Go client does: parts `files`, filename = role.
fn publish(server: &GoServerLease, gun: &str, files: &[(&str, &[u8])], work: &WorkDir) -> (u16, String) {
    let mut args = vec!["-X".to_owned(), "POST".to_owned()];
    for (role, bytes) in files {
        let path = work.write(&role.replace('/', "_"), bytes);
        args.push("-F".into());
        args.push(format!(
            "files=@{};filename={role};type=application/octet-stream",
            path.display()
        ));
    }
    args.push(format!("{}/v2/{gun}/_trust/tuf/", server.url()));
    server.curl(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn go_server_and_client_accept_metadata_we_sign() {
    let server = GoServer::acquire();
    let work = WorkDir::new("tuf-go-server");
    let gun = work.gun_under("example.com/notary-tuf");

    // The server's timestamp key for this GUN.
    let (code, body) = server.curl(&[&format!("{}/v2/{gun}/_trust/tuf/timestamp.key", server.url())]);
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
    let (code, body) = publish(&server, &gun, &[("root", &root_file), ("targets", &forged)], &work);
    assert_eq!(code, 400, "forged targets must be refused: {body}");
    assert!(body.contains("ErrBadTargets"), "{body}");

    let files: [(&str, &[u8]); 4] = [
        ("root", &root_file),
        ("targets", &targets_file),
        ("targets/releases", &releases_file),
        ("snapshot", &snapshot_file),
    ];
    let (code, body) = publish(&server, &gun, &files, &work);
    assert_eq!(code, 200, "Go notary-server refused our metadata: {body}");

    // A fresh Go client trusts it (TOFU), verifies the whole chain and finds every target.
    let trust_dir = work.path("trust");
    let listed = server.notary(&trust_dir, &["list", &gun]).ok();
    assert!(listed.contains("hello") && listed.contains("a<b>&c"), "{listed}");
    let sha256 = hex::encode(FileMeta::of_bytes(b"hello world").sha256().unwrap());
    let lookup = server.notary(&trust_dir, &["lookup", &gun, "hello"]).ok();
    assert!(lookup.contains(&sha256), "{lookup}");
    let delegated = server
        .notary(&work.path("trust2"), &["list", &gun, "--roles", "targets/releases"])
        .ok();
    assert!(delegated.contains("rel-1"), "{delegated}");
    work.done();
}
