//! The conformance checklist of `shared/spec/server-behaviour.md` §14, one `behaviour_<n>_…` test
//! per item (closely related items share one), plus durability across restarts and SIGKILL.
//!
//! Not here:
//! - 43–44: remote notary-signer (issue 5).
//! - 47–51: token authentication (issue 7); 51 is also a unit test in `src/config.rs`.
//! - 52–61: configuration, covered by the unit tests `behaviour_52_…` … `behaviour_61_…` in
//!   `src/config.rs`.
//! - 62 is `behaviour_62_sigusr_log_levels` (the binary, its stdout read line by line).
//! - 64: a database written by the Go server needs Go's SQL server, which is not available here.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use notary_server::config::StorageConfig;
use notary_storage::{MetadataStore as _, NewFile, StoreError};
use notary_testkit::http::{self, HttpResponse};
use notary_testkit::server::ServerProcess;
use notary_testkit::tuf::{TestKey, delegate, sign};
use notary_tuf::metadata::{FileMeta, RoleBody, RoleKeys, Root, Signed, Snapshot, Targets, Timestamp};
use notary_tuf::{Expires, Method, PublicKey};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::support::{ServerRepo, SnapshotKey, TestServer, assert_error, sha256_hex};

const GUN: &str = "example.com/behaviour";

// ---------------------------------------------------------------------------------------------
// §2.2, §2.6, §3: first uploads

#[test]
fn behaviour_1_first_upload_with_client_snapshot() {
    let server = TestServer::start();
    let repo = ServerRepo::new(&server, GUN, SnapshotKey::Client);
    let root = repo.root_file();
    let targets = repo.targets_file();
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1);
    let uploaded_at = server.now();
    let response = server.upload(GUN, &[("root", &root), ("targets", &targets), ("snapshot", &snapshot)]);
    assert_ok(&response);

    let timestamp = timestamp(&server, GUN);
    assert_eq!(timestamp.body().version, 1);
    assert_near(timestamp.body().expires.instant(), uploaded_at + Duration::days(14));
    assert_eq!(timestamp.body().snapshot_meta(), Some(&FileMeta::of_bytes(&snapshot)));
    assert_eq!(fetch(&server, GUN, "snapshot.json"), snapshot);
}

#[test]
fn behaviour_2_no_timestamp_key_on_the_server() {
    let server = TestServer::start();
    let mut repo = ServerRepo::new(&server, GUN, SnapshotKey::Client);
    // A timestamp key this server never made: as if `GET timestamp.key` had gone to another server.
    set_role_key(&mut repo.root, "timestamp", &TestKey::ed25519().public);
    let root = repo.root_file();
    let targets = repo.targets_file();
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1);
    let response = server.upload(GUN, &[("root", &root), ("targets", &targets), ("snapshot", &snapshot)]);
    assert_invalid_update(&response, "ErrBadRoot", "no  timestamp keys exist on the server");
    assert_eq!(status(&server, GUN, "root.json"), 404);
}

#[test]
fn behaviour_3_first_upload_with_server_snapshot() {
    let server = TestServer::start();
    let repo = ServerRepo::new(&server, GUN, SnapshotKey::Server);
    let snapshot_key = server.server_key(GUN, "snapshot");
    let root = repo.root_file();
    let targets = repo.targets_file();
    let uploaded_at = server.now();
    assert_ok(&server.upload(GUN, &[("root", &root), ("targets", &targets)]));

    let snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    assert_eq!(snapshot.body().version, 1);
    assert_near(snapshot.body().expires.instant(), uploaded_at + Duration::days(1095));
    let expected: BTreeMap<String, FileMeta> = [
        ("root".to_owned(), FileMeta::of_bytes(&root)),
        ("targets".to_owned(), FileMeta::of_bytes(&targets)),
    ]
    .into();
    assert_eq!(snapshot.body().meta, expected);
    assert_server_signed(&snapshot, &snapshot_key);
}

#[test]
fn behaviour_4_root_alone_on_a_new_gun() {
    let server = TestServer::start();
    let repo = ServerRepo::new(&server, GUN, SnapshotKey::Server);
    let response = server.upload(GUN, &[("root", &repo.root_file())]);
    assert_invalid_update(&response, "ErrValidation", "targets must be loaded first");
    assert_eq!(status(&server, GUN, "root.json"), 404);
}

#[test]
fn behaviour_5_first_root_may_be_version_1_or_2() {
    let server = TestServer::start();
    let mut repo = ServerRepo::new(&server, "example.com/v2", SnapshotKey::Server);
    repo.root.version = 2;
    assert_ok(&server.upload(
        "example.com/v2",
        &[("root", &repo.root_file()), ("targets", &repo.targets_file())],
    ));
    assert_eq!(
        parse::<Root>(&fetch(&server, "example.com/v2", "root.json"))
            .body()
            .version,
        2
    );

    let mut repo = ServerRepo::new(&server, "example.com/v3", SnapshotKey::Server);
    repo.root.version = 3;
    let response = server.upload(
        "example.com/v3",
        &[("root", &repo.root_file()), ("targets", &repo.targets_file())],
    );
    assert_invalid_update(
        &response,
        "ErrBadRoot",
        "Root modifications must increment the version. Current 1, new 3",
    );
}

// ---------------------------------------------------------------------------------------------
// §2.2–2.3: root updates

#[test]
fn behaviour_6_root_version_must_be_current_or_next() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    repo.root.version = 2;
    assert_ok(&server.upload(GUN, &[("root", &repo.root_file())]));

    for (version, message) in [
        (4, "Root modifications must increment the version. Current 2, new 4"),
        (1, "Root modifications must increment the version. Current 2, new 1"),
    ] {
        repo.root.version = version;
        assert_invalid_update(
            &server.upload(GUN, &[("root", &repo.root_file())]),
            "ErrBadRoot",
            message,
        );
    }
    repo.root.version = 2;
    let response = server.upload(GUN, &[("root", &repo.root_file())]);
    assert_version_conflict(&response);
}

#[test]
fn behaviour_7_rotation_needs_the_stored_root_keys() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let outsider = TestKey::root(GUN);
    set_role_key(&mut repo.root, "root", &outsider.public);
    repo.root.version = 2;
    let root = sign(repo.root.clone(), &[&outsider]).raw().to_vec();
    assert_invalid_update(
        &server.upload(GUN, &[("root", &root)]),
        "ErrBadRoot",
        "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates",
    );
}

#[test]
fn behaviour_8_root_needs_its_own_threshold() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let second = TestKey::root(GUN);
    repo.root.keys.insert(second.id(), second.public.clone());
    let role = repo.root.roles.get_mut("root").unwrap();
    role.keyids.push(second.id());
    role.threshold = 2;
    repo.root.version = 2;
    // Signed by the stored root key only: the rotation rule passes, the new threshold of 2 does not.
    assert_invalid_update(
        &server.upload(GUN, &[("root", &repo.root_file())]),
        "ErrBadRoot",
        "could not validate the path to a trusted root: failed to validate integrity of roots",
    );
}

#[test]
fn behaviour_9_expired_root() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    repo.root.version = 2;
    repo.root.expires = Expires::parse("2020-01-01T00:00:00Z").unwrap();
    assert_invalid_update(
        &server.upload(GUN, &[("root", &repo.root_file())]),
        "ErrBadRoot",
        "root expired at Wed Jan 1 00:00:00 UTC 2020",
    );
}

#[test]
fn behaviour_10_root_without_timestamp_role() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    repo.root.version = 2;
    repo.root.roles.remove("timestamp");
    assert_invalid_update(
        &server.upload(GUN, &[("root", &repo.root_file())]),
        "ErrBadRoot",
        "root type metadata invalid: missing timestamp role specification",
    );
}

#[test]
fn behaviour_11_and_12_root_certificate_must_be_a_leaf_for_the_gun() {
    const NO_LEAF: &str = "could not validate the path to a trusted root: unable to retrieve valid leaf certificates";
    let server = TestServer::start();

    let gun = "example.com/other";
    let mut repo = ServerRepo::new(&server, gun, SnapshotKey::Server);
    repo.root_key = TestKey::root("example.com/snap2");
    set_role_key(&mut repo.root, "root", &repo.root_key.public.clone());
    let response = server.upload(gun, &[("root", &repo.root_file()), ("targets", &repo.targets_file())]);
    assert_invalid_update(&response, "ErrBadRoot", NO_LEAF);

    let gun = "example.com/ca";
    let mut repo = ServerRepo::new(&server, gun, SnapshotKey::Server);
    repo.root_key = TestKey::root_with(gun, |params| {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    });
    set_role_key(&mut repo.root, "root", &repo.root_key.public.clone());
    let response = server.upload(gun, &[("root", &repo.root_file()), ("targets", &repo.targets_file())]);
    assert_invalid_update(&response, "ErrBadRoot", NO_LEAF);
}

#[test]
fn behaviour_13_wildcard_certificate_cn() {
    let server = TestServer::start();
    let gun = "example.com/app";
    let mut repo = ServerRepo::new(&server, gun, SnapshotKey::Server);
    repo.root_key = TestKey::root("example.com/*");
    set_role_key(&mut repo.root, "root", &repo.root_key.public.clone());
    let root = repo.root_file();
    assert_ok(&server.upload(gun, &[("root", &root), ("targets", &repo.targets_file())]));
    assert_eq!(fetch(&server, gun, "root.json"), root);
}

#[test]
fn behaviour_14_root_alone_on_a_server_managed_repo() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let old_snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    let old_timestamp = timestamp(&server, GUN);
    repo.root.version = 2;
    let root = repo.root_file();
    assert_ok(&server.upload(GUN, &[("root", &root)]));

    let snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    assert_eq!(snapshot.body().version, old_snapshot.body().version + 1);
    let mut expected = old_snapshot.body().meta.clone();
    expected.insert("root".into(), FileMeta::of_bytes(&root));
    assert_eq!(snapshot.body().meta, expected);
    assert_eq!(timestamp(&server, GUN).body().version, old_timestamp.body().version + 1);
    assert_eq!(fetch(&server, GUN, "root.json"), root);
}

// ---------------------------------------------------------------------------------------------
// §2.4: targets and delegations

#[test]
fn behaviour_15_to_19_bad_targets() {
    let server = TestServer::start();
    let repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let next = || {
        let mut body = repo.targets.clone();
        body.version = 2;
        body
    };

    let wrong_key = sign(next(), &[&TestKey::ecdsa()]).raw().to_vec();
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &wrong_key)]),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets",
    );

    let unsigned = Signed::from_parts(next(), Vec::new()).unwrap().raw().to_vec();
    assert!(String::from_utf8_lossy(&unsigned).contains("\"signatures\":[]"));
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &unsigned)]),
        "ErrBadTargets",
        "tuf: data has no signatures",
    );

    let mut expired = next();
    expired.expires = Expires::parse("2020-01-01T00:00:00Z").unwrap();
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &signed_targets(&repo, expired))]),
        "ErrBadTargets",
        "targets expired at Wed Jan 1 00:00:00 UTC 2020",
    );

    let mut wrong_type = next();
    wrong_type.type_name = "Root".into();
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &signed_targets(&repo, wrong_type))]),
        "ErrBadTargets",
        "targets type metadata invalid: expected type Targets, not Root",
    );

    let mut version_zero = next();
    version_zero.version = 0;
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &signed_targets(&repo, version_zero))]),
        "ErrBadTargets",
        "targets type metadata invalid: version cannot be less than one",
    );

    assert_eq!(parse::<Targets>(&fetch(&server, GUN, "targets.json")).body().version, 1);
}

#[test]
fn behaviour_20_targets_versions_must_increase_and_may_jump() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let v2 = repo.add_target("v2", b"two");
    assert_ok(&server.upload(GUN, &[("targets", &v2)]));

    repo.targets.version = 1;
    assert_version_conflict(&server.upload(GUN, &[("targets", &repo.targets_file())]));

    repo.targets.version = 7;
    let v7 = repo.targets_file();
    assert_ok(&server.upload(GUN, &[("targets", &v7)]));
    assert_eq!(fetch(&server, GUN, "targets.json"), v7);
    assert_eq!(fetch(&server, GUN, "7.targets.json"), v7);
}

#[test]
fn behaviour_21_delegation_must_exist() {
    let server = TestServer::start();
    let _repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let key = TestKey::ecdsa();
    for role in ["targets/other", "targets/nope/x"] {
        let delegated = sign(delegated_body(), &[&key]).raw().to_vec();
        assert_invalid_update(
            &server.upload(GUN, &[(role, &delegated)]),
            "ErrBadTargets",
            &format!("tuf: invalid role {role}. delegation does not exist"),
        );
    }
}

#[test]
fn behaviour_22_delegation_signatures() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let releases_key = TestKey::ecdsa();
    delegate(&mut repo.targets, "targets/releases", &[&releases_key], &[""], 1);
    repo.targets.version = 2;
    let targets = repo.targets_file();

    let wrong = sign(delegated_body(), &[&TestKey::ecdsa()]).raw().to_vec();
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &targets), ("targets/releases", &wrong)]),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets/releases",
    );

    let releases = sign(delegated_body(), &[&releases_key]).raw().to_vec();
    assert_ok(&server.upload(GUN, &[("targets", &targets), ("targets/releases", &releases)]));
    let snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    assert_eq!(
        snapshot.body().meta.get("targets/releases"),
        Some(&FileMeta::of_bytes(&releases))
    );
    assert_eq!(fetch(&server, GUN, "targets/releases.json"), releases);
}

#[test]
fn behaviour_23_delegations_must_be_direct_children() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    delegate(&mut repo.targets, "targets/a/b", &[&TestKey::ecdsa()], &[""], 1);
    repo.targets.version = 2;
    let response = server.upload(GUN, &[("targets", &repo.targets_file())]);
    assert_error(&response, 400, "INVALID_UPDATE");
    assert_eq!(
        response.json()["errors"][0]["detail"]["Name"],
        "ErrBadTargets",
        "{}",
        response.text()
    );
}

// ---------------------------------------------------------------------------------------------
// §2.5: snapshots

#[test]
fn behaviour_24_client_snapshot_repo_needs_a_snapshot() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Client);
    let targets = repo.add_target("v2", b"two");
    let response = server.upload(GUN, &[("targets", &targets)]);
    assert_error(&response, 400, "INVALID_UPDATE");
    assert_eq!(
        response.json()["errors"][0]["detail"],
        json!({"Name": "ErrBadHierarchy", "Error": {
            "Missing": "snapshot",
            "Msg": "no snapshot was included in update and server does not hold current snapshot key for repository",
        }})
    );
}

#[test]
fn behaviour_25_to_28_bad_client_snapshots() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Client);
    let root = fetch(&server, GUN, "root.json");
    let old_targets = fetch(&server, GUN, "targets.json");
    let targets = repo.add_target("v2", b"two");
    let meta = |entries: &[(&str, &[u8])]| -> BTreeMap<String, FileMeta> {
        entries
            .iter()
            .map(|(role, raw)| (role.to_string(), FileMeta::of_bytes(raw)))
            .collect()
    };
    let later = Expires::after(OffsetDateTime::now_utc(), Duration::days(1095));

    // 25: the snapshot names the previous targets.
    let stale = client_snapshot(&repo, meta(&[("root", &root), ("targets", &old_targets)]), 2, later);
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &targets), ("snapshot", &stale)]),
        "ErrBadSnapshot",
        &format!(
            "sha256 checksum for targets did not match: expected {}",
            sha256_hex(&old_targets)
        ),
    );

    // 26: a zero root checksum.
    let mut zeroed = meta(&[("root", &root), ("targets", &targets)]);
    zeroed
        .get_mut("root")
        .unwrap()
        .hashes
        .0
        .insert("sha256".into(), vec![0; 32]);
    let zeroed = client_snapshot(&repo, zeroed, 2, later);
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &targets), ("snapshot", &zeroed)]),
        "ErrBadSnapshot",
        &format!("sha256 checksum for root did not match: expected {}", "0".repeat(64)),
    );

    // 27: no root entry.
    let rootless = client_snapshot(&repo, meta(&[("targets", &targets)]), 2, later);
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &targets), ("snapshot", &rootless)]),
        "ErrBadSnapshot",
        "snapshot type metadata invalid: missing root sha256 checksum information",
    );

    // 28: expired.
    let expired = client_snapshot(
        &repo,
        meta(&[("root", &root), ("targets", &targets)]),
        2,
        Expires::parse("2020-01-01T00:00:00Z").unwrap(),
    );
    assert_invalid_update(
        &server.upload(GUN, &[("targets", &targets), ("snapshot", &expired)]),
        "ErrBadSnapshot",
        "snapshot expired at Wed Jan 1 00:00:00 UTC 2020",
    );

    assert_eq!(fetch(&server, GUN, "targets.json"), old_targets);
}

#[test]
fn behaviour_29_snapshot_signed_by_a_foreign_key() {
    const MESSAGE: &str = "valid signatures did not meet threshold for snapshot";
    let server = TestServer::start();

    let mut repo = ServerRepo::init(&server, "example.com/client", SnapshotKey::Client);
    let root = fetch(&server, "example.com/client", "root.json");
    let targets = repo.add_target("v2", b"two");
    repo.snapshot_key = Some(TestKey::ecdsa());
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    assert_invalid_update(
        &server.upload("example.com/client", &[("targets", &targets), ("snapshot", &snapshot)]),
        "ErrBadSnapshot",
        MESSAGE,
    );

    // A client snapshot uploaded to a repository whose snapshot key the server holds.
    let mut repo = ServerRepo::init(&server, "example.com/server", SnapshotKey::Server);
    let root = fetch(&server, "example.com/server", "root.json");
    let targets = repo.add_target("v2", b"two");
    repo.snapshot_key = Some(TestKey::ecdsa());
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    assert_invalid_update(
        &server.upload("example.com/server", &[("targets", &targets), ("snapshot", &snapshot)]),
        "ErrBadSnapshot",
        MESSAGE,
    );
}

#[test]
fn behaviour_30_snapshot_only_upload() {
    let server = TestServer::start();
    let repo = ServerRepo::init(&server, GUN, SnapshotKey::Client);
    let root = fetch(&server, GUN, "root.json");
    let targets = fetch(&server, GUN, "targets.json");
    let before = timestamp(&server, GUN);
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    assert_ok(&server.upload(GUN, &[("snapshot", &snapshot)]));

    let after = timestamp(&server, GUN);
    assert_eq!(after.body().version, before.body().version + 1);
    assert_eq!(after.body().snapshot_meta(), Some(&FileMeta::of_bytes(&snapshot)));
    assert_eq!(fetch(&server, GUN, "snapshot.json"), snapshot);
}

#[test]
fn behaviour_31_uploaded_timestamp_is_ignored() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let timestamp_key = server.server_key(GUN, "timestamp");
    let before = timestamp(&server, GUN);
    let targets = repo.add_target("v2", b"two");
    let forged = sign(
        Timestamp {
            type_name: "Timestamp".into(),
            expires: Expires::after(OffsetDateTime::now_utc(), Duration::days(14)),
            meta: [("snapshot".to_owned(), FileMeta::of_bytes(b"not a snapshot"))].into(),
            version: 10,
            extra: Default::default(),
        },
        &[&TestKey::ed25519()],
    )
    .raw()
    .to_vec();
    assert_ok(&server.upload(GUN, &[("targets", &targets), ("timestamp", &forged)]));

    let after = timestamp(&server, GUN);
    assert_ne!(after.raw(), forged.as_slice());
    assert_eq!(after.body().version, before.body().version + 1);
    assert_server_signed(&after, &timestamp_key);
    assert_eq!(status(&server, GUN, "10.timestamp.json"), 404);
}

#[test]
fn behaviour_32_timestamp_names_the_snapshot_of_the_update() {
    let server = TestServer::start();

    // Generated by the server.
    let mut repo = ServerRepo::init(&server, "example.com/server", SnapshotKey::Server);
    assert_ok(&server.upload("example.com/server", &[("targets", &repo.add_target("v2", b"two"))]));
    let hash = snapshot_sha256(&timestamp(&server, "example.com/server"));
    let by_hash = fetch(&server, "example.com/server", &format!("snapshot.{hash}.json"));
    assert_eq!(sha256_hex(&by_hash), hash);
    assert_eq!(parse::<Snapshot>(&by_hash).body().version, 2);
    assert_eq!(by_hash, fetch(&server, "example.com/server", "snapshot.json"));

    // Uploaded by the client.
    let mut repo = ServerRepo::init(&server, "example.com/client", SnapshotKey::Client);
    let root = fetch(&server, "example.com/client", "root.json");
    let targets = repo.add_target("v2", b"two");
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    assert_ok(&server.upload("example.com/client", &[("targets", &targets), ("snapshot", &snapshot)]));
    let hash = snapshot_sha256(&timestamp(&server, "example.com/client"));
    assert_eq!(
        fetch(&server, "example.com/client", &format!("snapshot.{hash}.json")),
        snapshot
    );
}

#[test]
fn behaviour_33_snapshot_in_another_member_order_is_served_byte_exact() {
    let server = TestServer::start();
    let repo = ServerRepo::init(&server, GUN, SnapshotKey::Client);
    let root = fetch(&server, GUN, "root.json");
    let targets = fetch(&server, GUN, "targets.json");
    let go_order = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    // serde_json's map is sorted: `signatures` before `signed`; pretty-printed on top.
    let value: Value = serde_json::from_slice(&go_order).unwrap();
    let reordered = serde_json::to_vec_pretty(&value).unwrap();
    assert!(reordered.starts_with(b"{\n  \"signatures\""));
    assert_ok(&server.upload(GUN, &[("snapshot", &reordered)]));

    let first = fetch(&server, GUN, "timestamp.json");
    let timestamp = parse::<Timestamp>(&first);
    assert_eq!(snapshot_sha256(&timestamp), sha256_hex(&reordered));
    assert_eq!(timestamp.body().snapshot_meta(), Some(&FileMeta::of_bytes(&reordered)));
    assert_eq!(fetch(&server, GUN, "snapshot.json"), reordered);
    assert_eq!(fetch(&server, GUN, "timestamp.json"), first);
}

#[test]
fn behaviour_34_last_part_of_a_role_wins() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let first = repo.add_target("first", b"1");
    repo.targets.targets.remove("first");
    repo.targets.version -= 1;
    let last = repo.add_target("last", b"2");
    assert_ok(&server.upload(GUN, &[("targets", &first), ("targets", &last)]));
    assert_eq!(fetch(&server, GUN, "targets.json"), last);
    assert_eq!(fetch(&server, GUN, "2.targets.json"), last);
    let snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    assert_eq!(snapshot.body().meta.get("targets"), Some(&FileMeta::of_bytes(&last)));
}

// ---------------------------------------------------------------------------------------------
// §2.7: all or nothing

#[test]
fn behaviour_35_failed_validation_stores_nothing() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let before = repo_state(&server, GUN);
    repo.root.version = 2;
    let root = repo.root_file();
    let mut targets = repo.targets.clone();
    targets.version = 2;
    let targets = sign(targets, &[&TestKey::ecdsa()]).raw().to_vec();
    let response = server.upload(GUN, &[("root", &root), ("targets", &targets)]);
    assert_invalid_update(
        &response,
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets",
    );
    assert_eq!(repo_state(&server, GUN), before);
}

#[test]
fn behaviour_36_storage_conflict_stores_nothing() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let before = repo_state(&server, GUN);
    repo.root.version = 2;
    // A valid new root, with targets re-signed at the stored version.
    let response = server.upload(GUN, &[("root", &repo.root_file()), ("targets", &repo.targets_file())]);
    assert_version_conflict(&response);
    assert_eq!(repo_state(&server, GUN), before);
}

// ---------------------------------------------------------------------------------------------
// §5: lazy re-signing

#[test]
fn behaviour_37_expired_client_snapshot_cannot_be_resigned() {
    let server = TestServer::start();
    let repo = ServerRepo::init(&server, GUN, SnapshotKey::Client);
    let snapshot_key = repo.snapshot_key.as_ref().unwrap().id();
    server.advance(Duration::days(1100));
    for file in ["timestamp.json", "snapshot.json"] {
        let response = server.get(&path(GUN, file));
        assert_error(&response, 500, "UNKNOWN");
        assert_eq!(
            response.json()["errors"][0]["detail"],
            json!({"FoundKeys": 0, "NeededKeys": 1, "MissingKeyIDs": [snapshot_key.as_str()]}),
            "{file}"
        );
    }
}

#[test]
fn behaviour_38_expired_server_snapshot_is_resigned() {
    let server = TestServer::start();
    let _repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let snapshot_key = server.server_key(GUN, "snapshot");
    let old_snapshot = parse::<Snapshot>(&fetch(&server, GUN, "snapshot.json"));
    let old_timestamp = timestamp(&server, GUN);
    let changes_before = changes(&server, GUN).len();

    server.advance(Duration::days(1096));
    let now = server.now();
    let raw = fetch(&server, GUN, "snapshot.json");
    let snapshot = parse::<Snapshot>(&raw);
    assert_eq!(snapshot.body().version, old_snapshot.body().version + 1);
    assert_near(snapshot.body().expires.instant(), now + Duration::days(1095));
    let mut expected = old_snapshot.body().meta.clone();
    expected.insert("root".into(), FileMeta::of_bytes(&fetch(&server, GUN, "root.json")));
    assert_eq!(snapshot.body().meta, expected);
    assert_server_signed(&snapshot, &snapshot_key);

    let timestamp = timestamp(&server, GUN);
    assert_eq!(timestamp.body().version, old_timestamp.body().version + 1);
    assert_eq!(timestamp.body().snapshot_meta(), Some(&FileMeta::of_bytes(&raw)));
    let stored = format!("{}.timestamp.json", timestamp.body().version);
    assert_eq!(fetch(&server, GUN, &stored), timestamp.raw());

    let changes = changes(&server, GUN);
    assert_eq!(changes.len(), changes_before + 1);
    let last = changes.last().unwrap();
    assert_eq!(last["Category"], "update");
    assert_eq!(last["Version"], timestamp.body().version);
    assert_eq!(last["SHA256"], sha256_hex(timestamp.raw()));
}

#[test]
fn behaviour_39_expired_timestamp_is_resigned() {
    let server = TestServer::start();
    let _repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let timestamp_key = server.server_key(GUN, "timestamp");
    let old = timestamp(&server, GUN);
    let snapshot = fetch(&server, GUN, "snapshot.json");

    server.advance(Duration::days(15));
    let now = server.now();
    let new = timestamp(&server, GUN);
    assert_eq!(new.body().version, old.body().version + 1);
    assert_near(new.body().expires.instant(), now + Duration::days(14));
    assert_eq!(new.body().snapshot_meta(), old.body().snapshot_meta());
    assert_server_signed(&new, &timestamp_key);
    assert_eq!(fetch(&server, GUN, "snapshot.json"), snapshot);
    let stored = format!("{}.timestamp.json", old.body().version + 1);
    assert_eq!(fetch(&server, GUN, &stored), new.raw());
}

#[test]
fn behaviour_40_unexpired_timestamp_is_served_as_stored() {
    let server = TestServer::start();
    let _repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let changes_before = changes(&server, GUN);
    let first = fetch(&server, GUN, "timestamp.json");
    server.advance(Duration::days(13));
    for _ in 0..3 {
        assert_eq!(fetch(&server, GUN, "timestamp.json"), first);
    }
    assert_eq!(changes(&server, GUN), changes_before);
}

// ---------------------------------------------------------------------------------------------
// §7: server-held keys (local trust is durable: SQL-signer semantics)

#[test]
fn behaviour_41_pending_key_is_returned_until_used() {
    // Our local trust service keeps its keys in the database, so it answers like Go's SQL signer.
    let server = TestServer::start();
    let first = server.server_key("example.com/unknown", "timestamp");
    let second = server.server_key("example.com/unknown", "timestamp");
    assert_eq!(first, second);
    assert_eq!(first.key_type().as_str(), "ed25519");
    assert_eq!(first.public_bytes().len(), 32);
}

#[test]
fn behaviour_42_rotate_key_returns_one_pending_key() {
    let server = TestServer::start();
    let repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let root_key = repo.root.roles["timestamp"].keyids[0].clone();
    let rotate = || {
        let response = server.request("POST", &path(GUN, "timestamp.key"), &[], b"");
        assert_eq!(response.status, 200, "{}", response.text());
        serde_json::from_slice::<PublicKey>(&response.body).unwrap()
    };
    let first = rotate();
    let second = rotate();
    assert_eq!(first, second);
    assert_ne!(first.key_id(), root_key);
    assert_eq!(server.server_key(GUN, "timestamp").key_id(), root_key);
}

// ---------------------------------------------------------------------------------------------
// §5.3, §6: history and changefeed

#[test]
fn behaviour_45_every_version_until_delete() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let mut stored: Vec<(String, i64, Vec<u8>)> = Vec::new();
    let mut remember = |server: &TestServer| {
        for role in ["root", "targets", "snapshot", "timestamp"] {
            let raw = fetch(server, GUN, &format!("{role}.json"));
            let version = serde_json::from_slice::<Value>(&raw).unwrap()["signed"]["version"]
                .as_i64()
                .unwrap();
            if !stored.iter().any(|(r, v, _)| r == role && *v == version) {
                stored.push((role.to_owned(), version, raw));
            }
        }
    };
    remember(&server);
    for name in ["v2", "v3"] {
        assert_ok(&server.upload(GUN, &[("targets", &repo.add_target(name, b"content"))]));
        remember(&server);
    }
    repo.root.version = 2;
    assert_ok(&server.upload(GUN, &[("root", &repo.root_file())]));
    remember(&server);
    assert_eq!(stored.len(), 4 + 2 * 3 + 3);

    for (role, version, raw) in &stored {
        assert_eq!(&fetch(&server, GUN, &format!("{version}.{role}.json")), raw);
        assert_eq!(&fetch(&server, GUN, &format!("{role}.{}.json", sha256_hex(raw))), raw);
    }

    let response = server.request("DELETE", &path(GUN, ""), &[], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    for (role, version, raw) in &stored {
        assert_eq!(status(&server, GUN, &format!("{version}.{role}.json")), 404);
        assert_eq!(status(&server, GUN, &format!("{role}.{}.json", sha256_hex(raw))), 404);
        assert_eq!(status(&server, GUN, &format!("{role}.json")), 404);
    }
}

#[test]
fn behaviour_46_changefeed_records() {
    let server = TestServer::start();
    let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
    let assert_update = |record: &Value| {
        let timestamp = timestamp(&server, GUN);
        assert_eq!(record["GUN"], GUN);
        assert_eq!(record["Category"], "update");
        assert_eq!(record["Version"], timestamp.body().version);
        assert_eq!(record["SHA256"], sha256_hex(timestamp.raw()));
    };

    let records = changes(&server, GUN);
    assert_eq!(records.len(), 1);
    assert_update(&records[0]);

    assert_ok(&server.upload(GUN, &[("targets", &repo.add_target("v2", b"two"))]));
    let records = changes(&server, GUN);
    assert_eq!(records.len(), 2);
    assert_update(&records[1]);

    server.advance(Duration::days(15));
    assert_eq!(timestamp(&server, GUN).body().version, 3);
    let records = changes(&server, GUN);
    assert_eq!(records.len(), 3);
    assert_update(&records[2]);

    assert_eq!(server.request("DELETE", &path(GUN, ""), &[], b"").status, 200);
    let records = changes(&server, GUN);
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["GUN"], GUN);
    assert_eq!(records[3]["Category"], "deletion");
    assert_eq!(records[3]["Version"], 0);
    assert_eq!(records[3]["SHA256"], "");

    // Nothing left to delete: no record.
    assert_eq!(server.request("DELETE", &path(GUN, ""), &[], b"").status, 200);
    assert_eq!(changes(&server, GUN).len(), 4);
}

// ---------------------------------------------------------------------------------------------
// §12: logging (the real binary)

#[test]
fn behaviour_63_one_log_line_per_request() {
    let work = notary_testkit::WorkDir::new("behaviour-63");
    let config = work.write(
        "config.json",
        br#"{"server":{"http_addr":"127.0.0.1:0"},"trust_service":{"type":"local"},"storage":{"backend":"memory"},"logging":{"level":"info"}}"#,
    );
    let server = ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_notary-server")), &config);
    let requests: [(&str, &str, u16); 4] = [
        ("GET", "/v2/", 200),
        ("GET", "/v2/example.com/logs/_trust/tuf/root.json", 404),
        ("GET", "/v2/example.com/logs/_trust/tuf/timestamp.key", 200),
        ("POST", "/v2/example.com/logs/_trust/tuf/", 400),
    ];
    for (method, target, expected) in requests {
        let response = http::request(server.addr(), method, target, &[], b"");
        assert_eq!(response.status, expected, "{method} {target}: {}", response.text());
    }

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let completed = loop {
        let log = server.stderr();
        let lines: Vec<Value> = log
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
            .filter(|line| line["msg"] == "response completed")
            .collect();
        if lines.len() >= requests.len() || std::time::Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let statuses: Vec<Value> = completed
        .iter()
        .map(|line| line["http.response.status"].clone())
        .collect();
    let expected: Vec<Value> = requests.iter().map(|(_, _, status)| json!(status)).collect();
    assert_eq!(statuses, expected, "log:\n{}", server.stderr());
    for line in &completed {
        assert_eq!(line["level"], "info", "{line}");
        assert!(line["time"].is_string(), "{line}");
    }
    server.kill();
    work.done();
}

// ---------------------------------------------------------------------------------------------
// §6.2: the SQL store

#[test]
fn behaviour_65_sql_rows_carry_their_checksum_and_unique_versions() {
    let work = notary_testkit::WorkDir::new("behaviour-65");
    let db = work.path("notary.db");
    {
        let server = sqlite_server(&db);
        let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
        for name in ["v2", "v3"] {
            assert_ok(&server.upload(GUN, &[("targets", &repo.add_target(name, b"content"))]));
        }
    }

    runtime().block_on(async {
        let store = notary_storage::sqlite::SqliteStore::open(&db).await.unwrap();
        let mut rows = 0;
        for (role, count) in [("root", 1), ("targets", 3), ("snapshot", 3), ("timestamp", 3)] {
            for version in 1..=count {
                let file = store.by_version(GUN, role, version).await.unwrap().unwrap();
                assert_eq!(file.sha256, sha256_hex(&file.data), "{role} v{version}");
                rows += 1;
            }
            assert!(store.by_version(GUN, role, count + 1).await.unwrap().is_none());
        }
        assert_eq!(rows, 10);

        // (gun, role, version) is unique: neither a second row of a stored version nor two rows
        // of one version in one update are stored.
        let original = store.by_version(GUN, "targets", 2).await.unwrap().unwrap();
        let again = NewFile {
            role: "targets".into(),
            version: 2,
            data: b"{}".to_vec(),
        };
        assert!(matches!(
            store.update_many(GUN, std::slice::from_ref(&again)).await,
            Err(StoreError::VersionConflict)
        ));
        let twice = NewFile {
            version: 9,
            ..again.clone()
        };
        assert!(matches!(
            store.update_many(GUN, &[twice.clone(), twice]).await,
            Err(StoreError::VersionConflict)
        ));
        assert_eq!(store.by_version(GUN, "targets", 2).await.unwrap(), Some(original));
        assert!(store.by_version(GUN, "targets", 9).await.unwrap().is_none());
        store.close().await;
    });
    work.done();
}

#[test]
fn behaviour_66_no_private_key_in_the_database() {
    let work = notary_testkit::WorkDir::new("behaviour-66");
    let db = work.path("notary.db");
    let mut public_keys = Vec::new();
    {
        let server = sqlite_server(&db);
        let mut repo = ServerRepo::init(&server, GUN, SnapshotKey::Server);
        assert_ok(&server.upload(GUN, &[("targets", &repo.add_target("v2", b"two"))]));
        public_keys.push(server.server_key(GUN, "timestamp"));
        public_keys.push(server.server_key(GUN, "snapshot"));
        let response = server.request("POST", &path(GUN, "timestamp.key"), &[], b"");
        public_keys.push(serde_json::from_slice(&response.body).unwrap());
        public_keys.push(server.server_key("example.com/pending", "snapshot"));
    }

    // Every 32-byte window of the database files, taken as an ed25519 seed, must not give one of
    // the server's public keys.
    let mut scanned = 0;
    for suffix in ["", "-wal", "-journal"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) else {
            continue;
        };
        scanned += bytes.len();
        for window in bytes.windows(32) {
            let pair = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(window).unwrap();
            let public = aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref().to_vec();
            assert!(
                !public_keys.iter().any(|key| key.public_bytes() == public.as_slice()),
                "a private key is stored in plaintext in {}{suffix}",
                db.display()
            );
        }
    }
    assert!(scanned > 0);

    // The keys are there, sealed.
    runtime().block_on(async {
        use notary_storage::KeyStore as _;
        let store = notary_storage::sqlite::SqliteStore::open(&db).await.unwrap();
        for key in &public_keys {
            let row = store.key(key.key_id().as_str()).await.unwrap().unwrap();
            assert_eq!(row.public, key.public_bytes());
            assert!(row.sealed_private.len() > 32);
        }
        store.close().await;
    });
    work.done();
}

// ---------------------------------------------------------------------------------------------
// Durability (not numbered): restart and SIGKILL with a file database

#[test]
fn restart_keeps_data_and_keys() {
    let work = notary_testkit::WorkDir::new("restart");
    let config = sqlite_config(&work);
    let binary = Path::new(env!("CARGO_BIN_EXE_notary-server"));

    let server = ServerProcess::start(binary, &config);
    let mut repo = ServerRepo::init_at(server.addr(), GUN, SnapshotKey::Server);
    assert_ok(&http::upload(
        server.addr(),
        GUN,
        &[("targets", &repo.add_target("v2", b"two"))],
    ));
    let before: Vec<Vec<u8>> = ["root.json", "targets.json", "snapshot.json", "timestamp.json"]
        .iter()
        .map(|file| fetch_at(server.addr(), GUN, file))
        .collect();
    let exit = server.terminate();
    assert!(exit.success(), "{exit:?}");

    let server = ServerProcess::start(binary, &config);
    let after: Vec<Vec<u8>> = ["root.json", "targets.json", "snapshot.json", "timestamp.json"]
        .iter()
        .map(|file| fetch_at(server.addr(), GUN, file))
        .collect();
    assert_eq!(after, before);

    // The sealed keys survived: the same keys are reported, and the next publish is signed by them.
    let timestamp_key = &repo.root.roles["timestamp"].keyids[0].clone();
    let snapshot_key = &repo.root.roles["snapshot"].keyids[0].clone();
    assert_eq!(
        &crate::support::server_key_at(server.addr(), GUN, "timestamp").key_id(),
        timestamp_key
    );
    assert_eq!(
        &crate::support::server_key_at(server.addr(), GUN, "snapshot").key_id(),
        snapshot_key
    );
    assert_ok(&http::upload(
        server.addr(),
        GUN,
        &[("targets", &repo.add_target("v3", b"three"))],
    ));
    let timestamp = parse::<Timestamp>(&fetch_at(server.addr(), GUN, "timestamp.json"));
    assert_eq!(timestamp.body().version, 3);
    assert_eq!(timestamp.signatures().len(), 1);
    assert_eq!(&timestamp.signatures()[0].key_id, timestamp_key);
    let snapshot = parse::<Snapshot>(&fetch_at(server.addr(), GUN, "snapshot.json"));
    assert_eq!(snapshot.body().version, 3);
    assert_eq!(&snapshot.signatures()[0].key_id, snapshot_key);
    server.kill();
    work.done();
}

#[test]
fn sigkill_mid_publish_leaves_old_or_new_state() {
    const TARGETS: usize = 20_000;
    const ROUNDS: usize = 5;
    let work = notary_testkit::WorkDir::new("sigkill");
    let config = sqlite_config(&work);
    let binary = Path::new(env!("CARGO_BIN_EXE_notary-server"));

    let mut server = ServerProcess::start(binary, &config);
    let mut repo = ServerRepo::init_at(server.addr(), GUN, SnapshotKey::Server);
    for i in 0..TARGETS {
        repo.targets.targets.insert(
            format!("releases/file-{i:05}.tar.gz"),
            FileMeta::of_bytes(i.to_string().as_bytes()),
        );
    }

    for round in 0..ROUNDS {
        let addr = server.addr().to_owned();
        let acked = Arc::new(AtomicI64::new(repo.targets.version));
        let in_flight = Arc::new(AtomicI64::new(repo.targets.version));
        let upload_millis = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let publisher = {
            let (acked, in_flight, upload_millis, stop) =
                (acked.clone(), in_flight.clone(), upload_millis.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    repo.targets.version = acked.load(Ordering::SeqCst) + 1;
                    let targets = repo.targets_file();
                    in_flight.store(repo.targets.version, Ordering::SeqCst);
                    let started = std::time::Instant::now();
                    if try_upload(&addr, GUN, &[("targets", &targets)]) != Some(200) {
                        break;
                    }
                    upload_millis.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                    acked.store(repo.targets.version, Ordering::SeqCst);
                }
                repo
            })
        };

        // Once one upload has completed (so its duration is known), wait for the next one to start
        // and kill the server a random fraction of an upload's duration into it.
        while upload_millis.load(Ordering::SeqCst) == 0 {
            assert!(!publisher.is_finished(), "the publisher stopped in round {round}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let seen = acked.load(Ordering::SeqCst);
        while in_flight.load(Ordering::SeqCst) <= seen && !publisher.is_finished() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let delay = random_below(upload_millis.load(Ordering::SeqCst).max(1) * 3 / 2);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        server.kill();
        stop.store(true, Ordering::SeqCst);
        repo = publisher.join().unwrap();
        let acked = acked.load(Ordering::SeqCst);
        let in_flight = in_flight.load(Ordering::SeqCst);

        server = ServerProcess::start(binary, &config);
        let version = assert_consistent(server.addr(), GUN);
        assert!(
            version == acked || version == in_flight,
            "round {round}: targets version {version}, acknowledged {acked}, in flight {in_flight}"
        );
        repo.targets.version = version;
    }
    server.kill();
    work.done();
}

/// The served timestamp names the served snapshot, which names the served targets; returns the
/// targets version.
fn assert_consistent(addr: &str, gun: &str) -> i64 {
    let timestamp = parse::<Timestamp>(&fetch_at(addr, gun, "timestamp.json"));
    let snapshot_raw = fetch_at(addr, gun, "snapshot.json");
    assert_eq!(
        timestamp.body().snapshot_meta(),
        Some(&FileMeta::of_bytes(&snapshot_raw))
    );
    let snapshot = parse::<Snapshot>(&snapshot_raw);
    let targets_raw = fetch_at(addr, gun, "targets.json");
    assert_eq!(
        snapshot.body().meta.get("targets"),
        Some(&FileMeta::of_bytes(&targets_raw))
    );
    let root_raw = fetch_at(addr, gun, "root.json");
    assert_eq!(snapshot.body().meta.get("root"), Some(&FileMeta::of_bytes(&root_raw)));
    let version = parse::<Targets>(&targets_raw).body().version;
    assert_eq!(fetch_at(addr, gun, &format!("{version}.targets.json")), targets_raw);
    assert_eq!(status_at(addr, gun, &format!("{}.targets.json", version + 1)), 404);
    version
}

// ---------------------------------------------------------------------------------------------
// helpers

fn path(gun: &str, file: &str) -> String {
    format!("/v2/{gun}/_trust/tuf/{file}")
}

/// `GET` of a metadata file; asserts 200.
fn fetch(server: &TestServer, gun: &str, file: &str) -> Vec<u8> {
    fetch_at(&server.addr, gun, file)
}

fn fetch_at(addr: &str, gun: &str, file: &str) -> Vec<u8> {
    let response = http::get(addr, &path(gun, file));
    assert_eq!(response.status, 200, "GET {file}: {}", response.text());
    response.body
}

fn status(server: &TestServer, gun: &str, file: &str) -> u16 {
    status_at(&server.addr, gun, file)
}

fn status_at(addr: &str, gun: &str, file: &str) -> u16 {
    http::get(addr, &path(gun, file)).status
}

fn parse<T: RoleBody>(raw: &[u8]) -> Signed<T> {
    Signed::parse(raw.to_vec()).unwrap()
}

fn timestamp(server: &TestServer, gun: &str) -> Signed<Timestamp> {
    parse(&fetch(server, gun, "timestamp.json"))
}

fn snapshot_sha256(timestamp: &Signed<Timestamp>) -> String {
    hex::encode(timestamp.body().snapshot_meta().unwrap().sha256().unwrap())
}

/// The per-GUN changefeed, oldest first.
fn changes(server: &TestServer, gun: &str) -> Vec<Value> {
    let response = server.get(&format!("/v2/{gun}/_trust/changefeed?records=1000"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["records"].as_array().unwrap().clone()
}

/// Everything a failed upload must leave alone: current files, next versions, changefeed.
fn repo_state(server: &TestServer, gun: &str) -> Vec<(String, u16, Vec<u8>)> {
    let mut state: Vec<(String, u16, Vec<u8>)> = [
        "root.json",
        "targets.json",
        "snapshot.json",
        "timestamp.json",
        "2.root.json",
        "2.targets.json",
        "2.snapshot.json",
        "2.timestamp.json",
    ]
    .iter()
    .map(|file| {
        let response = server.get(&path(gun, file));
        (file.to_string(), response.status, response.body)
    })
    .collect();
    let changefeed = serde_json::to_vec(&changes(server, gun)).unwrap();
    state.push(("changefeed".into(), 200, changefeed));
    state
}

fn assert_ok(response: &HttpResponse) {
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.body.is_empty(), "{}", response.text());
}

fn assert_invalid_update(response: &HttpResponse, name: &str, msg: &str) {
    assert_error(response, 400, "INVALID_UPDATE");
    assert_eq!(
        response.json()["errors"][0]["detail"],
        json!({"Name": name, "Error": {"Msg": msg}}),
        "{}",
        response.text()
    );
}

fn assert_version_conflict(response: &HttpResponse) {
    assert_error(response, 400, "VERSION");
    assert_eq!(response.json()["errors"][0]["detail"], json!({}));
}

/// Within a minute.
fn assert_near(actual: OffsetDateTime, expected: OffsetDateTime) {
    assert!(
        (actual - expected).abs() <= Duration::minutes(1),
        "{actual} is not within a minute of {expected}"
    );
}

/// Exactly one signature, by `key`, with the method of its type, valid over the canonical body.
fn assert_server_signed<T>(file: &Signed<T>, key: &PublicKey) {
    let [signature] = file.signatures() else {
        panic!("expected one signature: {:?}", file.signatures());
    };
    assert_eq!(signature.key_id, key.key_id());
    assert_eq!(signature.method, Method::Eddsa);
    key.verify(&signature.method, file.canonical(), &signature.sig).unwrap();
}

/// Makes `key` the only key of `role`.
fn set_role_key(root: &mut Root, role: &str, key: &PublicKey) {
    root.keys.insert(key.key_id(), key.clone());
    root.roles.insert(
        role.into(),
        RoleKeys {
            keyids: vec![key.key_id()],
            threshold: 1,
        },
    );
}

fn signed_targets(repo: &ServerRepo, body: Targets) -> Vec<u8> {
    sign(body, &[&repo.targets_key]).raw().to_vec()
}

fn delegated_body() -> Targets {
    let mut body = notary_testkit::tuf::targets_body(&[("delegated", b"content")], 1);
    body.expires = Expires::after(OffsetDateTime::now_utc(), Duration::days(1095));
    body
}

/// A snapshot with exactly `meta`, signed by the repository's client snapshot key.
fn client_snapshot(repo: &ServerRepo, meta: BTreeMap<String, FileMeta>, version: i64, expires: Expires) -> Vec<u8> {
    let body = Snapshot {
        type_name: "Snapshot".into(),
        expires,
        meta,
        version,
        extra: Default::default(),
    };
    sign(body, &[repo.snapshot_key.as_ref().unwrap()]).raw().to_vec()
}

/// An in-process server on a SQLite file.
fn sqlite_server(db: &Path) -> TestServer {
    let path = db.to_path_buf();
    TestServer::start_with(move |config| config.storage = StorageConfig::Sqlite { path })
}

/// A binary config: SQLite in the work dir, local trust.
fn sqlite_config(work: &notary_testkit::WorkDir) -> PathBuf {
    let config = json!({
        "server": {"http_addr": "127.0.0.1:0"},
        "trust_service": {"type": "local"},
        "storage": {"backend": "sqlite", "db_url": work.path("notary.db")},
        "logging": {"level": "info"},
    });
    work.write("config.json", &serde_json::to_vec(&config).unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An upload that reports failure instead of panicking (the server may die mid-request): the
/// status, or `None` when the connection failed.
fn try_upload(addr: &str, gun: &str, parts: &[(&str, &[u8])]) -> Option<u16> {
    let (content_type, body) = http::multipart(parts);
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).ok()?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        path(gun, ""),
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let status_line = raw.split(|b| *b == b'\n').next()?;
    std::str::from_utf8(status_line).ok()?.split(' ').nth(1)?.parse().ok()
}

/// A random number in `0..bound`.
fn random_below(bound: u64) -> u64 {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % bound.max(1)
}

#[test]
fn behaviour_62_sigusr_log_levels() {
    use std::io::BufRead as _;
    let work = notary_testkit::WorkDir::new("sigusr");
    let config = work.write(
        "server.json",
        br#"{"server":{"http_addr":"127.0.0.1:0"},"trust_service":{"type":"local"},
            "storage":{"backend":"memory"},"logging":{"level":"info"}}"#,
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_notary-server"))
        .arg("-config")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.next().unwrap().unwrap().starts_with("http://"));
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("USR1");
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "Successfully setting log level to debug"
    );
    signal("USR1");
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "Attempt to increase log level failed, will remain at debug level, error: log level can not be set higher than Debug"
    );
    signal("USR2");
    assert_eq!(lines.next().unwrap().unwrap(), "Successfully setting log level to info");
    let _ = child.kill();
    let _ = child.wait();
    work.done();
}
