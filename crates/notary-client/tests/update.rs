//! The client update (`notary_client::update`) against an in-memory server: request sequences,
//! caching, offline fallback, tampered caches, rollback and root rotation.

use std::collections::BTreeMap;

use notary_client::trust_dir::TrustDir;
use notary_client::update::{
    CACHED_TIMESTAMP_WARNING, FetchError, FetchErrorKind, MetadataSource, UpdateError, UpdateOptions, Updated, update,
};
use notary_testkit::WorkDir;
use notary_testkit::tuf::{NOW, Repo, TestKey, root_body, sign, targets_body};
use notary_tuf::error::VerifyError;
use notary_tuf::verify::TrustPinning;

/// Files by request name (`root.json`, `timestamp.json`, `snapshot.<hex>.json`, `2.root.json`),
/// and the log of requests.
#[derive(Default)]
struct FakeServer {
    files: BTreeMap<String, Vec<u8>>,
    requests: Vec<String>,
}

impl FakeServer {
    fn publish(&mut self, role: &str, raw: &[u8]) {
        let hash = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, raw));
        self.files.insert(format!("{role}.{hash}.json"), raw.to_vec());
        if role == "root" || role == "timestamp" {
            self.files.insert(format!("{role}.json"), raw.to_vec());
        }
    }

    fn get(&mut self, name: String) -> Result<Vec<u8>, FetchError> {
        self.requests.push(name.clone());
        self.files.get(&name).cloned().ok_or_else(|| FetchError {
            kind: FetchErrorKind::NotFound,
            source: format!("{name} not found").into(),
        })
    }
}

impl MetadataSource for FakeServer {
    fn root(&mut self) -> Result<Vec<u8>, FetchError> {
        self.get("root.json".into())
    }
    fn root_version(&mut self, version: i64) -> Result<Vec<u8>, FetchError> {
        self.get(format!("{version}.root.json"))
    }
    fn timestamp(&mut self) -> Result<Vec<u8>, FetchError> {
        self.get("timestamp.json".into())
    }
    fn by_checksum(&mut self, role: &str, sha256_hex: &str, _limit: u64) -> Result<Vec<u8>, FetchError> {
        self.get(format!("{role}.{sha256_hex}.json"))
    }
}

/// A published collection: root v1, targets with `v1`, snapshot, timestamp.
fn published(repo: &Repo, server: &mut FakeServer, ts_version: i64) -> (Vec<u8>, Vec<u8>) {
    let root = repo.root_file();
    let targets = repo.targets_file();
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], ts_version);
    let timestamp = repo.timestamp_file(&snapshot, ts_version);
    server.publish("root", &root);
    server.publish("targets", &targets);
    server.publish("snapshot", &snapshot);
    server.publish("timestamp", &timestamp);
    (root, targets)
}

fn options(repo: &Repo) -> UpdateOptions {
    UpdateOptions {
        gun: repo.gun.clone(),
        pinning: TrustPinning::TrustOnFirstUse,
        now: NOW,
        check_remote_root: false,
        server: "127.0.0.1:4443".into(),
    }
}

fn run(dir: &TrustDir, repo: &Repo, server: Option<&mut FakeServer>) -> Result<Updated, UpdateError> {
    let cache = dir.cache(&repo.gun);
    match server {
        Some(s) => update(&cache, Some(s), &options(repo)),
        None => update(&cache, None, &options(repo)),
    }
}

#[test]
fn fresh_client_downloads_in_go_order_and_caches_everything() {
    let work = WorkDir::new("update-fresh");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/fresh");
    let mut server = FakeServer::default();
    let (_, targets) = published(&repo, &mut server, 1);
    let updated = run(&dir, &repo, Some(&mut server)).unwrap();
    assert_eq!(updated.collection.target("v1", &[]).unwrap().role, "targets");
    let names: Vec<&str> = server.requests.iter().map(|r| r.split('.').next().unwrap()).collect();
    assert_eq!(names, ["root", "timestamp", "snapshot", "targets"]);
    let cache = dir.cache(&repo.gun);
    for role in ["root", "timestamp", "snapshot", "targets"] {
        assert!(cache.read(role, 1 << 20).unwrap().is_some(), "{role} cached");
    }
    assert_eq!(cache.read("targets", 1 << 20).unwrap().unwrap(), targets);
    assert!(updated.warnings.is_empty(), "{:?}", updated.warnings);
    work.done();
}

#[test]
fn warm_cache_downloads_only_the_timestamp() {
    let work = WorkDir::new("update-warm");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/warm");
    let mut server = FakeServer::default();
    published(&repo, &mut server, 1);
    run(&dir, &repo, Some(&mut server)).unwrap();
    server.requests.clear();
    run(&dir, &repo, Some(&mut server)).unwrap();
    assert_eq!(server.requests, ["timestamp.json"]);
    work.done();
}

#[test]
fn offline_uses_the_cache_with_a_warning_and_fails_without_one() {
    let work = WorkDir::new("update-offline");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/offline");
    let mut server = FakeServer::default();
    published(&repo, &mut server, 1);
    assert!(matches!(run(&dir, &repo, None), Err(UpdateError::Offline)));
    run(&dir, &repo, Some(&mut server)).unwrap();
    let updated = run(&dir, &repo, None).unwrap();
    assert_eq!(updated.warnings, [CACHED_TIMESTAMP_WARNING]);
    assert!(updated.collection.target("v1", &[]).is_some());
    work.done();
}

#[test]
fn tampered_cached_targets_is_refused_offline_and_repaired_online() {
    let work = WorkDir::new("update-tamper");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/tamper");
    let mut server = FakeServer::default();
    let (_, targets) = published(&repo, &mut server, 1);
    run(&dir, &repo, Some(&mut server)).unwrap();
    let cache = dir.cache(&repo.gun);
    let tampered = String::from_utf8(targets.clone())
        .unwrap()
        .replace("\"length\":3", "\"length\":999");
    assert_ne!(tampered.as_bytes(), &targets[..]);
    cache.write("targets", tampered.as_bytes()).unwrap();
    assert!(run(&dir, &repo, None).is_err());
    run(&dir, &repo, Some(&mut server)).unwrap();
    assert_eq!(
        cache.read("targets", 1 << 20).unwrap().unwrap(),
        targets,
        "cache repaired"
    );
    work.done();
}

#[test]
fn tampered_cached_root_fails_hard() {
    let work = WorkDir::new("update-bad-root");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/badroot");
    let mut server = FakeServer::default();
    let (root, _) = published(&repo, &mut server, 1);
    run(&dir, &repo, Some(&mut server)).unwrap();
    let text = String::from_utf8(root).unwrap();
    let expires = &text[text.find("\"expires\":\"").unwrap() + 11..][..4];
    let tampered = text.replacen(&format!("\"expires\":\"{expires}"), "\"expires\":\"2099", 1);
    dir.cache(&repo.gun).write("root", tampered.as_bytes()).unwrap();
    let err = run(&dir, &repo, Some(&mut server)).unwrap_err();
    assert!(matches!(err, UpdateError::BadCachedRoot { .. }), "{err}");
    work.done();
}

#[test]
fn an_older_timestamp_from_the_server_is_a_rollback() {
    let work = WorkDir::new("update-rollback");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/rollback");
    let mut server = FakeServer::default();
    published(&repo, &mut server, 5);
    run(&dir, &repo, Some(&mut server)).unwrap();
    let mut old = FakeServer::default();
    published(&repo, &mut old, 4);
    let err = run(&dir, &repo, Some(&mut old)).unwrap_err();
    assert!(
        matches!(err, UpdateError::Verify(VerifyError::LowVersion { ref role, version: 4, current: 5 }) if role == "timestamp"),
        "{err}"
    );
    work.done();
}

#[test]
fn unknown_collection_is_not_found() {
    let work = WorkDir::new("update-404");
    let dir = TrustDir::new(work.path("trust"));
    let repo = Repo::new("example.com/update/none");
    let mut server = FakeServer::default();
    let err = run(&dir, &repo, Some(&mut server)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "127.0.0.1:4443 does not have trust data for example.com/update/none"
    );
    work.done();
}

#[test]
fn client_follows_root_rotations_one_and_two_versions_ahead() {
    let work = WorkDir::new("update-rotate");
    let dir = TrustDir::new(work.path("trust"));
    let mut repo = Repo::new("example.com/update/rotate");
    let mut server = FakeServer::default();
    published(&repo, &mut server, 1);
    run(&dir, &repo, Some(&mut server)).unwrap();

    // v2: a new root key, signed by the old and the new; then v3 the same way.
    let mut version = 1;
    for step in 0..3 {
        let new_key = TestKey::root(repo.gun.as_str());
        version += 1;
        let body = root_body(
            &[
                (&new_key, "root"),
                (&repo.targets_key, "targets"),
                (&repo.snapshot_key, "snapshot"),
                (&repo.timestamp_key, "timestamp"),
            ],
            version,
        );
        let raw = sign(body.clone(), &[&repo.root_key, &new_key]).raw().to_vec();
        server.files.insert(format!("{version}.root.json"), raw.clone());
        server.publish("root", &raw);
        repo.root = body;
        repo.root_key = new_key;
        let targets = sign(
            targets_body(&[("v1", b"one"), ("v2", b"two")], version),
            &[&repo.targets_key],
        )
        .raw()
        .to_vec();
        let snapshot = repo.snapshot_file(&[("root", &raw), ("targets", &targets)], version);
        let timestamp = repo.timestamp_file(&snapshot, version);
        server.publish("targets", &targets);
        server.publish("snapshot", &snapshot);
        server.publish("timestamp", &timestamp);
        if step == 1 {
            // Two rotations at once: the client walks 3.root.json… from its cached v1 → here v2.
            continue;
        }
        let updated = run(&dir, &repo, Some(&mut server)).unwrap();
        assert_eq!(updated.collection.root().body().version, version);
        assert!(updated.collection.target("v2", &[]).is_some());
    }
    assert!(
        server.requests.iter().any(|r| r == "3.root.json"),
        "{:?}",
        server.requests
    );
    work.done();
}
