//! The server's upload rules (server-behaviour.md §2), each rejection with Go's `detail.Name` and
//! message, and the snapshot and timestamp the server makes (§3), checked by the client's rules.

use std::collections::BTreeMap;

use notary_tuf::RoleName;
use notary_tuf::error::ParseError;
use notary_tuf::metadata::{FileMeta, Root, Signed, Snapshot, Targets, Timestamp};
use notary_tuf::update::{DelegationOutcome, MinimumVersions, TrustedCollection};
use notary_tuf::upload::{self, UploadError, ValidUpdate};
use notary_tuf::verify::{self, Expiry, TrustPinning};
use time::Duration;

use crate::fixture::{NOW, Repo, TestKey, delegate, expires, expires_at, sign, targets_body};

const GUN: &str = "example.com/app";
const NO_ROTATION: &str =
    "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates";

type Store = BTreeMap<String, Vec<u8>>;

fn store(files: &[(&str, &[u8])]) -> Store {
    files.iter().map(|(r, raw)| (r.to_string(), raw.to_vec())).collect()
}

fn validate(repo: &Repo, stored: &Store, parts: &[(&str, &[u8])]) -> Result<ValidUpdate, UploadError> {
    let uploads = parts
        .iter()
        .map(|(r, raw)| (r.parse::<RoleName>().unwrap(), raw.to_vec()))
        .collect();
    upload::validate_update(&repo.gun, stored, uploads, NOW)
}

fn stored_roles(update: &ValidUpdate) -> Vec<&str> {
    update.files.iter().map(|f| f.role.as_str()).collect()
}

/// Asserts the error's Go kind and message.
fn assert_refused(result: Result<ValidUpdate, UploadError>, go_name: &str, message: &str) {
    let err = result.unwrap_err();
    assert_eq!(err.go_name(), Some(go_name), "{err:?}");
    assert_eq!(err.to_string(), message);
}

fn sha256_hex(raw: &[u8]) -> String {
    hex::encode(FileMeta::of_bytes(raw).hashes.0.get("sha256").unwrap())
}

fn signed_root(repo: &Repo, version: i64, keys: &[&TestKey]) -> Vec<u8> {
    let mut body = repo.root.clone();
    body.version = version;
    sign(body, keys).raw().to_vec()
}

fn snapshot_body(files: &[(&str, &[u8])]) -> Snapshot {
    Snapshot {
        type_name: "Snapshot".into(),
        expires: expires(1095),
        meta: files
            .iter()
            .map(|(r, raw)| (r.to_string(), FileMeta::of_bytes(raw)))
            .collect(),
        version: 1,
        extra: Default::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Root (§2.1–§2.3)

#[test]
fn first_upload_of_root_and_targets_is_accepted() {
    let repo = Repo::new(GUN);
    let (root, targets) = (repo.root_file(), repo.targets_file());
    let update = validate(&repo, &Store::new(), &[("root", &root), ("targets", &targets)]).unwrap();
    assert_eq!(stored_roles(&update), ["root", "targets"]);
    assert_eq!(update.files[0].raw, root);
    assert_eq!(update.files[1].raw, targets);
    assert_eq!(update.files[1].version, 1);
    assert_eq!(update.root.raw(), root);
    assert!(!update.snapshot_uploaded);
    assert_eq!(update.loaded_targets, store(&[("targets", &targets)]));
}

#[test]
fn first_upload_with_a_client_made_snapshot_is_accepted() {
    let repo = Repo::new(GUN);
    let (root, targets) = (repo.root_file(), repo.targets_file());
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1);
    let update = validate(
        &repo,
        &Store::new(),
        &[("root", &root), ("targets", &targets), ("snapshot", &snapshot)],
    )
    .unwrap();
    assert_eq!(stored_roles(&update), ["root", "targets", "snapshot"]);
    assert_eq!(update.files[2].raw, snapshot);
    assert!(update.snapshot_uploaded);
}

#[test]
fn upload_without_any_root_is_refused() {
    let repo = Repo::new(GUN);
    let targets = repo.targets_file();
    assert_refused(
        validate(&repo, &Store::new(), &[("targets", &targets)]),
        "ErrValidation",
        "no pre-existing root and no root provided in update.",
    );
    // With a stored root the same upload passes.
    let stored = store(&[("root", &repo.root_file())]);
    let update = validate(&repo, &stored, &[("targets", &targets)]).unwrap();
    assert_eq!(stored_roles(&update), ["targets"]);
    assert_eq!(update.root.raw(), stored["root"]);
}

#[test]
fn root_version_must_stay_or_increase_by_one() {
    let repo = Repo::new(GUN);
    let cases: [(Option<i64>, i64, Result<(), &str>); 8] = [
        (None, 1, Ok(())),
        (None, 2, Ok(())),
        (None, 3, Err("Current 1, new 3")),
        (None, 0, Err("Current 1, new 0")),
        (Some(1), 1, Ok(())),
        (Some(1), 2, Ok(())),
        (Some(1), 3, Err("Current 1, new 3")),
        (Some(2), 1, Err("Current 2, new 1")),
    ];
    for (stored_version, version, expected) in cases {
        let stored = match stored_version {
            Some(v) => store(&[("root", &signed_root(&repo, v, &[&repo.root_key]))]),
            None => Store::new(),
        };
        let root = signed_root(&repo, version, &[&repo.root_key]);
        let result = validate(&repo, &stored, &[("root", &root)]);
        match expected {
            Ok(()) => assert_eq!(result.unwrap().files[0].version, version),
            Err(numbers) => assert_refused(
                result,
                "ErrBadRoot",
                &format!("Root modifications must increment the version. {numbers}"),
            ),
        }
    }
}

#[test]
fn root_rotation_needs_the_stored_roots_keys() {
    let repo = Repo::new(GUN);
    let stored = store(&[("root", &repo.root_file())]);
    let new_key = TestKey::root(GUN);
    let mut rotated = repo.root.clone();
    rotated.version = 2;
    rotated.keys.insert(new_key.id(), new_key.public.clone());
    rotated.roles.get_mut("root").unwrap().keyids = vec![new_key.id()];
    let only_new = sign(rotated.clone(), &[&new_key]).raw().to_vec();
    assert_refused(
        validate(&repo, &stored, &[("root", &only_new)]),
        "ErrBadRoot",
        NO_ROTATION,
    );
    let both = sign(rotated, &[&new_key, &repo.root_key]).raw().to_vec();
    validate(&repo, &stored, &[("root", &both)]).unwrap();
}

#[test]
fn uploaded_root_must_pass_every_root_rule() {
    let repo = Repo::new(GUN);
    let second = TestKey::root(GUN);
    type Edit = fn(&mut Root, &TestKey);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "expired",
            |r, _| r.expires = expires_at("2020-01-01T00:00:00Z"),
            "root expired at Wed Jan 1 00:00:00 UTC 2020",
        ),
        (
            "missing timestamp role",
            |r, _| {
                r.roles.remove("timestamp");
            },
            "root type metadata invalid: missing timestamp role specification",
        ),
        (
            "threshold 2 with one signature",
            |r, second| {
                r.keys.insert(second.id(), second.public.clone());
                let root_role = r.roles.get_mut("root").unwrap();
                root_role.keyids.push(second.id());
                root_role.threshold = 2;
            },
            "could not validate the path to a trusted root: failed to validate integrity of roots",
        ),
        (
            "certificate for another GUN",
            |r, _| {
                let foreign = TestKey::root("example.com/other");
                let old = r.roles["root"].keyids[0].clone();
                r.keys.remove(&old);
                r.keys.insert(foreign.id(), foreign.public.clone());
                r.roles.get_mut("root").unwrap().keyids = vec![foreign.id()];
            },
            "could not validate the path to a trusted root: unable to retrieve valid leaf certificates",
        ),
    ];
    for (case, edit, message) in cases {
        let mut body = repo.root.clone();
        edit(&mut body, &second);
        let root = sign(body, &[&repo.root_key]).raw().to_vec();
        let err = validate(&repo, &Store::new(), &[("root", &root)]).unwrap_err();
        assert_eq!(err.go_name(), Some("ErrBadRoot"), "{case}");
        assert_eq!(err.to_string(), message, "{case}");
    }
}

// ---------------------------------------------------------------------------------------------
// Targets and delegations (§2.4)

#[test]
fn targets_must_be_signed_by_the_roots_targets_keys() {
    let repo = Repo::new(GUN);
    let stored = store(&[("root", &repo.root_file())]);
    let by_snapshot_key = sign(repo.targets.clone(), &[&repo.snapshot_key]).raw().to_vec();
    assert_refused(
        validate(&repo, &stored, &[("targets", &by_snapshot_key)]),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets",
    );
    let unsigned = sign(repo.targets.clone(), &[]).raw().to_vec();
    assert_refused(
        validate(&repo, &stored, &[("targets", &unsigned)]),
        "ErrBadTargets",
        "tuf: data has no signatures",
    );
    validate(&repo, &stored, &[("targets", &repo.targets_file())]).unwrap();
}

#[test]
fn targets_must_be_well_formed_and_unexpired() {
    let repo = Repo::new(GUN);
    let stored = store(&[("root", &repo.root_file())]);
    type Edit = fn(&mut Targets);
    let cases: [(Edit, &str); 3] = [
        (
            |t| t.expires = expires_at("2020-01-01T00:00:00Z"),
            "targets expired at Wed Jan 1 00:00:00 UTC 2020",
        ),
        (
            |t| t.type_name = "Root".into(),
            "targets type metadata invalid: expected type Targets, not Root",
        ),
        (
            |t| t.version = 0,
            "targets type metadata invalid: version cannot be less than one",
        ),
    ];
    for (edit, message) in cases {
        let mut body = repo.targets.clone();
        edit(&mut body);
        let targets = sign(body, &[&repo.targets_key]).raw().to_vec();
        assert_refused(
            validate(&repo, &stored, &[("targets", &targets)]),
            "ErrBadTargets",
            message,
        );
    }
    // Versions may jump: storage, not validation, compares them with the stored copy.
    let mut jumped = repo.targets.clone();
    jumped.version = 40;
    let jumped = sign(jumped, &[&repo.targets_key]);
    let update = validate(&repo, &stored, &[("targets", jumped.raw())]).unwrap();
    assert_eq!(update.files[0].version, 40);
}

/// A repository whose targets delegate `targets/x` to `x` (paths `""`), with `targets/x`
/// delegating `targets/x/y` to `y`.
struct Delegated {
    repo: Repo,
    x: TestKey,
    y: TestKey,
    x_body: Targets,
}

impl Delegated {
    fn new() -> Delegated {
        let mut repo = Repo::new(GUN);
        let (x, y) = (TestKey::ecdsa(), TestKey::ecdsa());
        delegate(&mut repo.targets, "targets/x", &[&x], &[""], 1);
        let mut x_body = targets_body(&[("in-x", b"x")], 1);
        delegate(&mut x_body, "targets/x/y", &[&y], &[""], 1);
        Delegated { repo, x, y, x_body }
    }
}

#[test]
fn delegation_must_be_listed_in_its_parent() {
    let d = Delegated::new();
    let x_file = sign(d.x_body.clone(), &[&d.x]).raw().to_vec();
    let undelegating = sign(targets_body(&[], 1), &[&d.repo.targets_key]).raw().to_vec();
    let stored = store(&[("root", &d.repo.root_file()), ("targets", &undelegating)]);
    assert_refused(
        validate(&d.repo, &stored, &[("targets/x", &x_file)]),
        "ErrBadTargets",
        "tuf: invalid role targets/x. delegation does not exist",
    );
    // With no `targets` at all, Go's builder refuses before looking for the delegation.
    assert_refused(
        validate(
            &d.repo,
            &store(&[("root", &d.repo.root_file())]),
            &[("targets/x", &x_file)],
        ),
        "ErrBadTargets",
        "targets must be loaded first",
    );
    // A missing intermediate parent: the delegation cannot be found.
    let y_file = sign(targets_body(&[], 1), &[&d.y]).raw().to_vec();
    let stored = store(&[("root", &d.repo.root_file()), ("targets", &d.repo.targets_file())]);
    assert_refused(
        validate(&d.repo, &stored, &[("targets/x/y", &y_file)]),
        "ErrBadTargets",
        "tuf: invalid role targets/x/y. delegation does not exist",
    );
}

#[test]
fn delegation_is_checked_against_a_parent_loaded_from_storage() {
    let d = Delegated::new();
    let (root, targets) = (d.repo.root_file(), d.repo.targets_file());
    let x_file = sign(d.x_body.clone(), &[&d.x]).raw().to_vec();
    let stored = store(&[("root", &root), ("targets", &targets)]);

    let update = validate(&d.repo, &stored, &[("targets/x", &x_file)]).unwrap();
    assert_eq!(stored_roles(&update), ["targets/x"]);
    // The stored parent was loaded: its snapshot entry is recomputed too.
    assert_eq!(
        update.loaded_targets,
        store(&[("targets", &targets), ("targets/x", &x_file)])
    );

    let by_wrong_key = sign(d.x_body.clone(), &[&d.y]).raw().to_vec();
    assert_refused(
        validate(&d.repo, &stored, &[("targets/x", &by_wrong_key)]),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets/x",
    );

    // Every missing ancestor is loaded, shallowest first.
    let y_file = sign(targets_body(&[("in-y", b"y")], 1), &[&d.y]).raw().to_vec();
    let deeper = store(&[("root", &root), ("targets", &targets), ("targets/x", &x_file)]);
    let update = validate(&d.repo, &deeper, &[("targets/x/y", &y_file)]).unwrap();
    assert_eq!(
        update.loaded_targets.keys().collect::<Vec<_>>(),
        ["targets", "targets/x", "targets/x/y"]
    );

    // A parent uploaded in the same update is used (and validated first).
    let update = validate(
        &d.repo,
        &store(&[("root", &root)]),
        &[("targets/x/y", &y_file), ("targets/x", &x_file), ("targets", &targets)],
    )
    .unwrap();
    assert_eq!(stored_roles(&update), ["targets", "targets/x", "targets/x/y"]);
}

#[test]
fn delegation_structure_is_checked_before_its_signatures() {
    // Go's builder loads a delegation's structure first (targets: signatures first).
    let d = Delegated::new();
    let stored = store(&[("root", &d.repo.root_file()), ("targets", &d.repo.targets_file())]);
    let mut wrong = d.x_body.clone();
    wrong.type_name = "Root".into();
    let wrong_type_bad_signature = sign(wrong, &[&d.y]).raw().to_vec();
    assert_refused(
        validate(&d.repo, &stored, &[("targets/x", &wrong_type_bad_signature)]),
        "ErrBadTargets",
        "targets/x type metadata invalid: expected type Targets, not Root",
    );
    let mut wrong = d.repo.targets.clone();
    wrong.type_name = "Root".into();
    let targets_wrong_type_bad_signature = sign(wrong, &[&d.y]).raw().to_vec();
    assert_refused(
        validate(&d.repo, &stored, &[("targets", &targets_wrong_type_bad_signature)]),
        "ErrBadTargets",
        "valid signatures did not meet threshold for targets",
    );
}

// ---------------------------------------------------------------------------------------------
// Uploaded snapshot (§2.5)

#[test]
fn uploaded_snapshot_rules() {
    let repo = Repo::new(GUN);
    let (root, targets) = (repo.root_file(), repo.targets_file());
    let other_targets = sign(targets_body(&[("v2", b"two")], 2), &[&repo.targets_key])
        .raw()
        .to_vec();
    // The same root signed again: ECDSA signatures are random, so these are other bytes.
    let other_root = signed_root(&repo, 1, &[&repo.root_key]);
    let good = || snapshot_body(&[("root", &root), ("targets", &targets)]);
    type Case<'a> = (&'a str, Snapshot, &'a TestKey, String);
    let cases: Vec<Case<'_>> = vec![
        (
            "signed by the targets key",
            good(),
            &repo.targets_key,
            "valid signatures did not meet threshold for snapshot".into(),
        ),
        (
            "no root entry",
            snapshot_body(&[("targets", &targets)]),
            &repo.snapshot_key,
            "snapshot type metadata invalid: missing root sha256 checksum information".into(),
        ),
        (
            "expired",
            Snapshot {
                expires: expires_at("2020-01-01T00:00:00Z"),
                ..good()
            },
            &repo.snapshot_key,
            "snapshot expired at Wed Jan 1 00:00:00 UTC 2020".into(),
        ),
        (
            "other targets bytes",
            snapshot_body(&[("root", &root), ("targets", &other_targets)]),
            &repo.snapshot_key,
            format!(
                "sha256 checksum for targets did not match: expected {}",
                sha256_hex(&other_targets)
            ),
        ),
        (
            "other root bytes",
            snapshot_body(&[("root", &other_root), ("targets", &targets)]),
            &repo.snapshot_key,
            format!(
                "sha256 checksum for root did not match: expected {}",
                sha256_hex(&other_root)
            ),
        ),
    ];
    for (case, body, key, message) in cases {
        let snapshot = sign(body, &[key]).raw().to_vec();
        let err = validate(
            &repo,
            &Store::new(),
            &[("root", &root), ("targets", &targets), ("snapshot", &snapshot)],
        )
        .unwrap_err();
        assert_eq!(err.go_name(), Some("ErrBadSnapshot"), "{case}");
        assert_eq!(err.to_string(), message, "{case}");
    }
}

#[test]
fn uploaded_snapshot_must_list_every_uploaded_delegation() {
    let d = Delegated::new();
    let (root, targets) = (d.repo.root_file(), d.repo.targets_file());
    let x_file = sign(d.x_body.clone(), &[&d.x]).raw().to_vec();
    let stored = store(&[("root", &root), ("targets", &targets)]);
    let without_x = d.repo.snapshot_file(&[("root", &root), ("targets", &targets)], 2);
    assert_refused(
        validate(&d.repo, &stored, &[("targets/x", &x_file), ("snapshot", &without_x)]),
        "ErrBadSnapshot",
        "no checksums for supported algorithms were provided for targets/x",
    );
    let with_x = d
        .repo
        .snapshot_file(&[("root", &root), ("targets", &targets), ("targets/x", &x_file)], 2);
    validate(&d.repo, &stored, &[("targets/x", &x_file), ("snapshot", &with_x)]).unwrap();
}

#[test]
fn snapshot_naming_targets_the_server_does_not_have_is_refused() {
    // Beyond Go (server-behaviour.md §2.5 item 5): such a snapshot would leave the repository
    // unservable.
    let repo = Repo::new(GUN);
    let (root, targets) = (repo.root_file(), repo.targets_file());
    let never_uploaded = sign(targets_body(&[("v2", b"two")], 2), &[&repo.targets_key])
        .raw()
        .to_vec();
    let stored = store(&[("root", &root), ("targets", &targets)]);

    let naming_stored = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1);
    let update = validate(&repo, &stored, &[("snapshot", &naming_stored)]).unwrap();
    assert_eq!(stored_roles(&update), ["snapshot"]);

    let naming_unknown = repo.snapshot_file(&[("root", &root), ("targets", &never_uploaded)], 1);
    assert_refused(
        validate(&repo, &stored, &[("snapshot", &naming_unknown)]),
        "ErrBadSnapshot",
        &format!(
            "sha256 checksum for targets did not match: expected {}",
            sha256_hex(&never_uploaded)
        ),
    );
    assert_refused(
        validate(&repo, &store(&[("root", &root)]), &[("snapshot", &naming_unknown)]),
        "ErrBadSnapshot",
        "targets must be loaded first",
    );
}

// ---------------------------------------------------------------------------------------------
// Parts and error kinds

#[test]
fn parts_of_the_wrong_shape_fail_as_their_role_kind() {
    let repo = Repo::new(GUN);
    let root = repo.root_file();
    let no_signatures = |e: UploadError| e.to_string() == "tuf: data has no signatures";
    // Not JSON at all (the server refuses these earlier, as MALFORMED_JSON).
    let err = validate(&repo, &Store::new(), &[("root", &root), ("targets", b"not json")]).unwrap_err();
    assert!(
        matches!(err, UploadError::Malformed { ref role, .. } if role == "targets"),
        "{err:?}"
    );
    assert_eq!(err.go_name(), None);
    // Go checks signatures first (server-api.md §11 item 89).
    for (role, raw, kind) in [
        ("targets", &br#"{}"#[..], "ErrBadTargets"),
        (
            "targets",
            br#"{"signed":{"_type":"Targets"},"signatures":[]}"#,
            "ErrBadTargets",
        ),
        ("targets/releases", br#"{"signed":null}"#, "ErrBadTargets"),
        ("snapshot", br#"{"signatures":[]}"#, "ErrBadSnapshot"),
        ("root", br#"{"signatures":null}"#, "ErrBadRoot"),
    ] {
        let err = validate(&repo, &Store::new(), &[("root", &root), (role, raw)]).unwrap_err();
        assert_eq!(err.go_name(), Some(kind), "{role}: {err:?}");
        assert!(no_signatures(err.clone()), "{role}: {err}");
    }
    // Signed but of the wrong shape.
    let err = validate(
        &repo,
        &Store::new(),
        &[
            ("root", &root),
            (
                "targets",
                br#"{"signed":{"targets":7},"signatures":[{"keyid":"a","method":"ecdsa","sig":"AA=="}]}"#,
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(err.go_name(), Some("ErrBadTargets"));
    assert!(err.to_string().starts_with("targets type metadata invalid: "), "{err}");
    // An uploaded timestamp is not read at all.
    validate(
        &repo,
        &Store::new(),
        &[("root", &root), ("targets", &repo.targets_file()), ("timestamp", b"{")],
    )
    .unwrap();
}

#[test]
fn uploaded_timestamp_is_ignored() {
    let repo = Repo::new(GUN);
    let (root, targets) = (repo.root_file(), repo.targets_file());
    let snapshot = repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1);
    let timestamp = repo.timestamp_file(&snapshot, 1);
    let update = validate(&repo, &Store::new(), &[("root", &root), ("timestamp", &timestamp)]).unwrap();
    assert_eq!(stored_roles(&update), ["root"]);
}

#[test]
fn go_names_of_upload_errors() {
    let cases = [
        (
            UploadError::Malformed {
                role: "targets".into(),
                source: ParseError::TooLarge { size: 2, limit: 1 },
            },
            None,
        ),
        (UploadError::Validation("m".into()), Some("ErrValidation")),
        (UploadError::BadRoot("m".into()), Some("ErrBadRoot")),
        (UploadError::BadTargets("m".into()), Some("ErrBadTargets")),
        (UploadError::BadSnapshot("m".into()), Some("ErrBadSnapshot")),
        (
            UploadError::BadHierarchy {
                missing: "snapshot".into(),
                message: "m".into(),
            },
            Some("ErrBadHierarchy"),
        ),
    ];
    for (err, name) in cases {
        assert_eq!(err.go_name(), name, "{err:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// What the server makes (§3)

#[test]
fn next_snapshot_keeps_previous_entries_and_recomputes_loaded_ones() {
    let previous = Snapshot {
        version: 6,
        ..snapshot_body(&[
            ("root", b"old root"),
            ("targets", b"old targets"),
            ("targets/old", b"old deleg"),
        ])
    };
    let loaded = store(&[("targets", b"new targets"), ("targets/new", b"new deleg")]);
    let next = upload::next_snapshot(Some(&previous), b"new root", &loaded, NOW).unwrap();
    assert_eq!(next.type_name, "Snapshot");
    assert_eq!(next.version, 7);
    assert_eq!(next.expires.instant(), NOW + Duration::days(1095));
    assert_eq!(next.expires.to_go_string(), "2029-11-21T12:00:00Z");
    let expected: BTreeMap<String, FileMeta> = [
        ("root", &b"new root"[..]),
        ("targets", &b"new targets"[..]),
        ("targets/new", &b"new deleg"[..]),
    ]
    .into_iter()
    .map(|(r, raw)| (r.to_owned(), FileMeta::of_bytes(raw)))
    .chain([("targets/old".to_owned(), previous.meta["targets/old"].clone())])
    .collect();
    assert_eq!(next.meta, expected);
    assert_eq!(next.meta["root"].length, 8);
}

#[test]
fn first_snapshot_needs_targets() {
    let fresh = upload::next_snapshot(None, b"root", &store(&[("targets", b"t")]), NOW).unwrap();
    assert_eq!(fresh.version, 1);
    assert_eq!(fresh.meta.keys().collect::<Vec<_>>(), ["root", "targets"]);
    let err = upload::next_snapshot(None, b"root", &Store::new(), NOW).unwrap_err();
    assert_eq!(err, UploadError::Validation("targets must be loaded first".into()));
    assert_eq!(err.go_name(), Some("ErrValidation"));
    assert_eq!(err.to_string(), "targets must be loaded first");
}

#[test]
fn next_timestamp_points_at_the_exact_snapshot_bytes() {
    let first = upload::next_timestamp(None, b"snapshot bytes", NOW);
    assert_eq!(first.type_name, "Timestamp");
    assert_eq!(first.version, 1);
    assert_eq!(first.expires.instant(), NOW + Duration::days(14));
    assert_eq!(first.meta.keys().collect::<Vec<_>>(), ["snapshot"]);
    let meta = &first.meta["snapshot"];
    assert_eq!(meta, &FileMeta::of_bytes(b"snapshot bytes"));
    assert_eq!(meta.length, 14);
    assert_eq!(meta.hashes.0.keys().collect::<Vec<_>>(), ["sha256", "sha512"]);
    assert_eq!(upload::next_timestamp(Some(7), b"x", NOW).version, 8);
}

/// The client's view of what the server now serves.
fn client_update(repo: &Repo, root: &[u8], served: &Store, minimum: MinimumVersions) -> TrustedCollection {
    let root = verify::verify_root(
        Signed::parse(root.to_vec()).unwrap(),
        None,
        &repo.gun,
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        NOW,
    )
    .unwrap();
    let mut c = TrustedCollection::new(repo.gun.clone(), root, minimum);
    c.load_timestamp(served["timestamp"].clone(), NOW).unwrap();
    c.load_snapshot(served["snapshot"].clone(), NOW).unwrap();
    c.load_targets(served["targets"].clone(), NOW).unwrap();
    while let Some(role) = c.next_delegation() {
        let outcome = c.load_delegation(&role, served[role.as_str()].clone(), NOW).unwrap();
        assert_eq!(outcome, DelegationOutcome::Loaded, "{role}");
    }
    c
}

/// Validates an upload, then makes, signs and "stores" the snapshot and timestamp as the server does.
fn accept(repo: &Repo, served: &mut Store, parts: &[(&str, &[u8])]) {
    let update = validate(repo, served, parts).unwrap();
    let previous = served
        .get("snapshot")
        .map(|raw| Signed::<Snapshot>::parse(raw.clone()).unwrap().body().clone());
    let snapshot = upload::next_snapshot(previous.as_ref(), update.root.raw(), &update.loaded_targets, NOW).unwrap();
    let snapshot = sign(snapshot, &[&repo.snapshot_key]).raw().to_vec();
    let previous_timestamp = served
        .get("timestamp")
        .map(|raw| Signed::<Timestamp>::parse(raw.clone()).unwrap().body().version);
    let timestamp = upload::next_timestamp(previous_timestamp, &snapshot, NOW);
    let timestamp = sign(timestamp, &[&repo.timestamp_key]).raw().to_vec();
    for file in update.files {
        served.insert(file.role.as_str().to_owned(), file.raw);
    }
    served.insert("snapshot".into(), snapshot);
    served.insert("timestamp".into(), timestamp);
}

#[test]
fn server_made_snapshot_and_timestamp_verify_on_the_client() {
    let d = Delegated::new();
    let root = d.repo.root_file();
    let x_file = sign(d.x_body.clone(), &[&d.x]).raw().to_vec();
    let mut served = Store::new();
    accept(
        &d.repo,
        &mut served,
        &[
            ("root", &root),
            ("targets", &d.repo.targets_file()),
            ("targets/x", &x_file),
        ],
    );
    let c = client_update(&d.repo, &root, &served, MinimumVersions::none());
    assert_eq!(c.target("in-x", &[]).unwrap().role, "targets/x");
    assert_eq!(c.timestamp().unwrap().version, 1);

    // A second publish of targets only: the snapshot keeps the delegation's entry.
    let mut minimum = MinimumVersions::none();
    for (role, version) in [("timestamp", 1), ("snapshot", 1), ("targets", 1), ("targets/x", 1)] {
        minimum.require(role, version);
    }
    let mut targets_v2 = d.repo.targets.clone();
    targets_v2.version = 2;
    targets_v2.targets = targets_body(&[("v2", b"two")], 2).targets;
    let targets_v2 = sign(targets_v2, &[&d.repo.targets_key]).raw().to_vec();
    accept(&d.repo, &mut served, &[("targets", &targets_v2)]);
    let c = client_update(&d.repo, &root, &served, minimum);
    assert_eq!(c.snapshot().unwrap().version, 2);
    assert_eq!(c.timestamp().unwrap().version, 2);
    assert_eq!(c.target("v2", &[]).unwrap().role, "targets");
    assert_eq!(c.target("in-x", &[]).unwrap().role, "targets/x");
}
