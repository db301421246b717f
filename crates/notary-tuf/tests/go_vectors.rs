//! Repositories produced by the real Go Notary 0.7 (tests/data/*/README.md): everything verifies
//! with our code, and our serialisation reproduces Go's bytes.

use notary_tuf::metadata::{self, RoleBody, Root, Signed, Snapshot, Targets, Timestamp};
use notary_tuf::update::{DelegationOutcome, MinimumVersions, TrustedCollection};
use notary_tuf::verify::{self, Expiry, TrustPinning};
use notary_tuf::{Gun, KeyId, RoleName};

use crate::fixture::NOW;

fn data(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn gun(s: &str) -> Gun {
    s.parse().unwrap()
}

/// Runs the whole client update over a Go-made metadata directory.
fn update_from(dir: &str, gun_name: &str) -> TrustedCollection {
    let root = Signed::<Root>::parse(data(&format!("{dir}/root.json"))).unwrap();
    let root = verify::verify_root(
        root,
        None,
        &gun(gun_name),
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        NOW,
    )
    .unwrap();
    let mut c = TrustedCollection::new(gun(gun_name), root, MinimumVersions::none());
    c.load_timestamp(data(&format!("{dir}/timestamp.json")), NOW).unwrap();
    c.load_snapshot(data(&format!("{dir}/snapshot.json")), NOW).unwrap();
    c.load_targets(data(&format!("{dir}/targets.json")), NOW).unwrap();
    while let Some(role) = c.next_delegation() {
        let outcome = c
            .load_delegation(&role, data(&format!("{dir}/{}.json", role.as_str())), NOW)
            .unwrap();
        assert_eq!(outcome, DelegationOutcome::Loaded, "{role}");
    }
    c
}

/// Our serialisation of a parsed file equals Go's bytes (metadata.md §2.4, §10).
fn reserialises_byte_for_byte<T: RoleBody>(raw: &[u8]) {
    let signed = Signed::<T>::parse(raw.to_vec()).unwrap();
    let canonical = metadata::canonical_body(signed.body()).unwrap();
    assert_eq!(
        canonical,
        signed.canonical(),
        "typed body re-canonicalises to the signed bytes"
    );
    assert_eq!(metadata::envelope(&canonical, signed.signatures()), raw, "file bytes");
}

#[test]
fn repo_full_verifies_end_to_end() {
    let c = update_from("repo-full/metadata", "example.com/vectors/full");
    let listed: Vec<(&str, &str)> = c.list(&[]).iter().map(|t| (t.name, t.role)).collect();
    assert_eq!(
        listed,
        [
            ("qa/build", "targets/qa"),
            ("v1.0", "targets"),
            ("withcustom", "targets")
        ]
    );
    // `v1.0` is also in targets/releases: the top-level role wins by default, the delegation when asked.
    let releases: RoleName = "targets/releases".parse().unwrap();
    assert_eq!(
        c.target("v1.0", std::slice::from_ref(&releases)).unwrap().role,
        "targets/releases"
    );
    assert_eq!(c.target("v1.0", &[]).unwrap().role, "targets");
    assert!(c.list(&[releases]).iter().all(|t| t.role == "targets/releases"));
    let custom = c.target("withcustom", &[]).unwrap().meta.custom.clone().unwrap();
    assert_eq!(custom, serde_json::json!({"a": "x", "b": 1}));
    assert!(c.targets("targets/releases").is_some() && c.targets("targets/qa").is_some());
    // A name outside every role is not found.
    assert!(c.target("nope", &[]).is_none());
}

#[test]
fn repo_full_files_reserialise_to_go_bytes() {
    for f in ["root", "targets", "targets/releases", "targets/qa"] {
        if f == "root" {
            reserialises_byte_for_byte::<Root>(&data(&format!("repo-full/metadata/{f}.json")));
        } else {
            reserialises_byte_for_byte::<Targets>(&data(&format!("repo-full/metadata/{f}.json")));
        }
    }
    reserialises_byte_for_byte::<Snapshot>(&data("repo-full/metadata/snapshot.json"));
    reserialises_byte_for_byte::<Timestamp>(&data("repo-full/metadata/timestamp.json"));
}

#[test]
fn repo_full_key_ids_match_content_and_canonical_ids_match_key_files() {
    let root = Signed::<Root>::parse(data("repo-full/metadata/root.json")).unwrap();
    for (id, key) in &root.body().keys {
        assert_eq!(&key.key_id(), id);
    }
    let root_key = &root.body().keys[&KeyId::new("939a08d3359e57d5cd17c84bdb61734007ce9c2cd961734532ecb5345ceee1c1")];
    assert_eq!(
        root_key.canonical_id().unwrap().as_str(),
        "5a7c22e8a9df272012089aefe375b3b847a67e72ad3be4a3aaed9d6842540ccb"
    );
    let targets = Signed::<Targets>::parse(data("repo-full/metadata/targets.json")).unwrap();
    let qa = &targets.body().delegations.keys
        [&KeyId::new("9e760480cc9a5996f3555af144f9ef88299aef3337712ab419e5e3b0f6abb12b")];
    assert!(qa.canonical_id().unwrap().as_str().starts_with("17a25eba"));
}

#[test]
fn rsa_pss_delegation_verifies() {
    let c = update_from("rsa-delegation/metadata", "example.com/vectors/rsa");
    let rsa = c.targets("targets/rsa").unwrap();
    assert_eq!(rsa.signed().signatures()[0].method.as_str(), "rsapss");
    assert!(rsa.signed().signatures()[0].key_id.as_str().starts_with("f277ee2e"));
}

#[test]
fn server_managed_snapshot_good_verifies_and_matches_upload() {
    let c = update_from("server-managed-snapshot/good", "example.com/vectors/srvsnap2");
    assert_eq!(
        c.targets("targets").unwrap().raw(),
        data("server-managed-snapshot/good/targets.uploaded.json")
    );
    reserialises_byte_for_byte::<Targets>(&data("server-managed-snapshot/good/targets.uploaded.json"));
}

#[test]
fn server_managed_snapshot_bad_upload_is_not_go_serialised() {
    // Signed by a repository whose root is not part of the vectors; what matters is that its
    // bytes differ from Go's serialisation of the same content (metadata.md §10).
    let bad_raw = data("server-managed-snapshot/bad/targets.uploaded.json");
    let bad = Signed::<Targets>::parse(bad_raw.clone()).unwrap();
    assert_eq!(bad.body().targets.len(), 1);
    let go_form = metadata::envelope(bad.canonical(), bad.signatures());
    assert_ne!(go_form, bad_raw);
    assert_eq!(Signed::<Targets>::parse(go_form).unwrap().canonical(), bad.canonical());
}

#[test]
fn root_rotation_chain_verifies_step_by_step() {
    let g = gun("example.com/test/repo");
    let roots: Vec<Signed<Root>> = (1..=4)
        .map(|v| Signed::<Root>::parse(data(&format!("root-rotation/root.v{v}.json"))).unwrap())
        .collect();
    let mut trusted = verify::verify_root(
        roots[0].clone(),
        None,
        &g,
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        NOW,
    )
    .unwrap();
    for next in &roots[1..] {
        trusted = verify::verify_root(
            next.clone(),
            Some(trusted.body()),
            &g,
            &TrustPinning::TrustOnFirstUse,
            trusted.body().version,
            Expiry::Ignore,
            NOW,
        )
        .unwrap();
    }
    assert_eq!(trusted.body().version, 4);
    assert_eq!(trusted.body().keys.len(), 7, "old root certificates stay in keys");
}

#[test]
fn root_rotation_cannot_skip_a_version() {
    let g = gun("example.com/test/repo");
    let v2 = Signed::<Root>::parse(data("root-rotation/root.v2.json")).unwrap();
    let v4 = Signed::<Root>::parse(data("root-rotation/root.v4.json")).unwrap();
    let err = verify::verify_root(
        v4,
        Some(v2.body()),
        &g,
        &TrustPinning::TrustOnFirstUse,
        2,
        Expiry::Enforce,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates"
    );
}

#[test]
fn root_for_another_gun_is_refused() {
    let root = Signed::<Root>::parse(data("repo-full/metadata/root.json")).unwrap();
    let err = verify::verify_root(
        root,
        None,
        &gun("example.com/other"),
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not validate the path to a trusted root: unable to retrieve valid leaf certificates"
    );
}

#[test]
fn pinning_by_metadata_key_id() {
    let g = gun("example.com/vectors/full");
    let root = || Signed::<Root>::parse(data("repo-full/metadata/root.json")).unwrap();
    let pinned = TrustPinning::KeyIds(vec![KeyId::new(
        "939a08d3359e57d5cd17c84bdb61734007ce9c2cd961734532ecb5345ceee1c1",
    )]);
    verify::verify_root(root(), None, &g, &pinned, 0, Expiry::Enforce, NOW).unwrap();
    let wrong = TrustPinning::KeyIds(vec![KeyId::new("00".repeat(32))]);
    let err = verify::verify_root(root(), None, &g, &wrong, 0, Expiry::Enforce, NOW).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not validate the path to a trusted root: unable to match any certificates to trust_pinning config"
    );
}

#[test]
fn tampered_go_file_fails() {
    let mut raw = data("repo-full/metadata/targets.json");
    let at = raw.windows(4).position(|w| w == b"v1.0").unwrap();
    raw[at + 3] = b'1';
    let root = Signed::<Root>::parse(data("repo-full/metadata/root.json")).unwrap();
    let tampered = Signed::<Targets>::parse(raw).unwrap();
    let keys = verify::RoleKeySet::of_base_role(root.body(), &RoleName::Targets);
    let err = verify::check_signatures("targets", tampered.canonical(), tampered.signatures(), &keys).unwrap_err();
    assert_eq!(err.to_string(), "valid signatures did not meet threshold for targets");
}

#[test]
fn go_timestamp_expiry_is_enforced() {
    let c = update_from("repo-full/metadata", "example.com/vectors/full");
    let later = NOW + time::Duration::days(30);
    let mut again = TrustedCollection::new(
        gun("example.com/vectors/full"),
        c.root().clone(),
        MinimumVersions::none(),
    );
    let err = again
        .load_timestamp(data("repo-full/metadata/timestamp.json"), later)
        .unwrap_err();
    assert_eq!(err.to_string(), "timestamp expired at Sun Dec 6 03:48:48 UTC 2026");
}

#[test]
fn fast_and_general_parse_paths_agree() {
    for f in [
        "repo-full/metadata/targets.json",
        "repo-full/metadata/root.json",
        "rsa-delegation/metadata/targets/rsa.json",
    ] {
        let raw = data(f);
        // Pretty-printing makes the `signed` text non-canonical, forcing the general path.
        let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&raw).unwrap()).unwrap();
        if f.ends_with("root.json") {
            let (a, b) = (
                Signed::<Root>::parse(raw).unwrap(),
                Signed::<Root>::parse(pretty).unwrap(),
            );
            assert_eq!((a.canonical(), a.body()), (b.canonical(), b.body()), "{f}");
        } else {
            let (a, b) = (
                Signed::<Targets>::parse(raw).unwrap(),
                Signed::<Targets>::parse(pretty).unwrap(),
            );
            assert_eq!((a.canonical(), a.body()), (b.canonical(), b.body()), "{f}");
        }
    }
}
