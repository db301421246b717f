//! The client update state machine (metadata.md §12): hashes and lengths from the trusted chain,
//! rollback, expiry, a rotated root, the delegation walk (order, skipping, aborting) and target
//! lookup (paths, precedence).

use std::collections::BTreeMap;

use notary_tuf::RoleName;
use notary_tuf::error::VerifyError;
use notary_tuf::metadata::{FileMeta, Signed, Targets, Timestamp};
use notary_tuf::update::{DelegationOutcome, MinimumVersions, TrustedCollection};
use notary_tuf::verify::{self, Expiry, TrustPinning};
use time::{Duration, OffsetDateTime};

use crate::fixture::{NOW, Repo, TestKey, delegate, expires, sign, targets_body};

const GUN: &str = "example.com/app";

/// The files a server serves for a repository (each signed once: ECDSA signatures are random).
struct Served {
    root: Vec<u8>,
    timestamp: Vec<u8>,
    snapshot: Vec<u8>,
    /// `targets` and every delegation, by role.
    targets: BTreeMap<String, Vec<u8>>,
}

impl Served {
    /// Publishes `repo` and the given delegation files: a snapshot over root, targets and the
    /// delegations, a timestamp over the snapshot.
    fn publish(repo: &Repo, delegations: &[(&str, Vec<u8>)]) -> Served {
        let root = repo.root_file();
        let mut targets = BTreeMap::from([("targets".to_owned(), repo.targets_file())]);
        targets.extend(delegations.iter().map(|(role, raw)| (role.to_string(), raw.clone())));
        let mut listed: Vec<(&str, &[u8])> = vec![("root", &root)];
        listed.extend(targets.iter().map(|(role, raw)| (role.as_str(), raw.as_slice())));
        let snapshot = repo.snapshot_file(&listed, 1);
        let timestamp = repo.timestamp_file(&snapshot, 1);
        Served {
            root,
            timestamp,
            snapshot,
            targets,
        }
    }

    /// A collection trusting this root (first contact, pinning by TOFU).
    fn collection(&self, repo: &Repo, minimum: MinimumVersions) -> TrustedCollection {
        let root = verify::verify_root(
            Signed::parse(self.root.clone()).unwrap(),
            None,
            &repo.gun,
            &TrustPinning::TrustOnFirstUse,
            0,
            Expiry::Enforce,
            NOW,
        )
        .unwrap();
        TrustedCollection::new(repo.gun.clone(), root, minimum)
    }

    /// timestamp, snapshot and targets loaded.
    fn loaded(&self, repo: &Repo) -> TrustedCollection {
        let mut c = self.collection(repo, MinimumVersions::none());
        c.load_timestamp(self.timestamp.clone(), NOW).unwrap();
        c.load_snapshot(self.snapshot.clone(), NOW).unwrap();
        c.load_targets(self.targets["targets"].clone(), NOW).unwrap();
        c
    }

    /// Loads every delegation `next_delegation` names, in that order.
    fn walk(&self, c: &mut TrustedCollection) -> Vec<(String, DelegationOutcome)> {
        let mut seen = Vec::new();
        while let Some(role) = c.next_delegation() {
            assert!(seen.len() < 10, "walk does not end: {seen:?}");
            let outcome = c
                .load_delegation(&role, self.targets[role.as_str()].clone(), NOW)
                .unwrap();
            seen.push((role.to_string(), outcome));
        }
        seen
    }
}

fn role(name: &str) -> RoleName {
    name.parse().unwrap()
}

fn signed_file(body: &Targets, key: &TestKey) -> Vec<u8> {
    sign(body.clone(), &[key]).raw().to_vec()
}

/// `targets` → `targets/a` → `targets/a/x`, and `targets` → `targets/b`, one key each.
struct Tree {
    repo: Repo,
    a: TestKey,
    x: TestKey,
    b: TestKey,
    a_body: Targets,
    x_body: Targets,
    b_body: Targets,
}

impl Tree {
    /// The tree with `paths_a` for `targets/a` and `paths_x` for `targets/a/x` (`targets/b`
    /// may sign anything).
    fn new(paths_a: &[&str], paths_x: &[&str]) -> Tree {
        let mut repo = Repo::new(GUN);
        let (a, x, b) = (TestKey::ecdsa(), TestKey::ecdsa(), TestKey::ed25519());
        delegate(&mut repo.targets, "targets/a", &[&a], paths_a, 1);
        delegate(&mut repo.targets, "targets/b", &[&b], &[""], 1);
        let mut a_body = targets_body(&[("a/in-a", b"a")], 1);
        delegate(&mut a_body, "targets/a/x", &[&x], paths_x, 1);
        Tree {
            repo,
            a,
            x,
            b,
            a_body,
            x_body: targets_body(&[("a/x/in-x", b"x")], 1),
            b_body: targets_body(&[("in-b", b"b")], 1),
        }
    }

    /// Every delegation signed by its own key.
    fn files(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("targets/a", signed_file(&self.a_body, &self.a)),
            ("targets/a/x", signed_file(&self.x_body, &self.x)),
            ("targets/b", signed_file(&self.b_body, &self.b)),
        ]
    }
}

fn roles(walk: &[(String, DelegationOutcome)]) -> Vec<&str> {
    walk.iter().map(|(r, _)| r.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Top-level roles

#[test]
fn full_update_over_a_fixture_repo() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    let c = served.loaded(&repo);
    assert_eq!(c.timestamp().unwrap().version, 1);
    assert_eq!(c.snapshot().unwrap().version, 1);
    assert_eq!(c.targets("targets").unwrap().raw(), served.targets["targets"]);
    assert_eq!(
        c.expected("targets"),
        Some(&FileMeta::of_bytes(&served.targets["targets"]))
    );
    assert_eq!(c.expected("snapshot"), Some(&FileMeta::of_bytes(&served.snapshot)));
    assert_eq!(c.next_delegation(), None);
    let found = c.target("v1", &[]).unwrap();
    assert_eq!((found.name, found.role), ("v1", "targets"));
    assert_eq!(found.meta, &FileMeta::of_bytes(b"one"));
    assert!(c.target("v2", &[]).is_none());
    let listed: Vec<_> = c.list(&[]).iter().map(|t| (t.name, t.role)).collect();
    assert_eq!(listed, [("v1", "targets")]);
}

#[test]
fn snapshot_must_match_the_timestamps_hashes() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    let other_snapshot = repo.snapshot_file(&[("root", &served.root), ("targets", &served.targets["targets"])], 2);
    let mut c = served.collection(&repo, MinimumVersions::none());
    c.load_timestamp(served.timestamp.clone(), NOW).unwrap();
    let err = c.load_snapshot(other_snapshot, NOW).unwrap_err();
    let expected = hex::encode(FileMeta::of_bytes(&served.snapshot).hashes.0.get("sha256").unwrap());
    assert_eq!(
        err,
        VerifyError::HashMismatch {
            role: "snapshot".into(),
            algorithm: "sha256",
            expected: expected.clone()
        }
    );
    assert_eq!(
        err.to_string(),
        format!("sha256 checksum for snapshot did not match: expected {expected}")
    );
    assert!(c.snapshot().is_none());
    c.load_snapshot(served.snapshot.clone(), NOW).unwrap();
}

/// A timestamp over `snapshot` recording `length` instead of its real length.
fn timestamp_with_length(repo: &Repo, snapshot: &[u8], length: i64) -> Vec<u8> {
    let mut meta = FileMeta::of_bytes(snapshot);
    meta.length = length;
    let body = Timestamp {
        type_name: "Timestamp".into(),
        expires: expires(14),
        meta: BTreeMap::from([("snapshot".to_owned(), meta)]),
        version: 1,
        extra: Default::default(),
    };
    sign(body, &[&repo.timestamp_key]).raw().to_vec()
}

#[test]
fn snapshot_longer_than_the_timestamps_length_is_refused() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    let real = i64::try_from(served.snapshot.len()).unwrap();
    // The length is a download limit: equal or larger passes, shorter refuses.
    let cases = [(real, true), (real + 100, true), (real - 1, false), (0, false)];
    for (length, accepted) in cases {
        let mut c = served.collection(&repo, MinimumVersions::none());
        c.load_timestamp(timestamp_with_length(&repo, &served.snapshot, length), NOW)
            .unwrap();
        let result = c.load_snapshot(served.snapshot.clone(), NOW);
        if accepted {
            result.unwrap();
        } else {
            assert_eq!(
                result.unwrap_err(),
                VerifyError::TooLong {
                    role: "snapshot".into(),
                    limit: length as u64
                },
                "length {length}"
            );
        }
    }
}

#[test]
fn targets_must_match_the_snapshots_hashes() {
    let mut repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    repo.targets = targets_body(&[("v1", b"changed")], 1);
    let other_targets = repo.targets_file();
    let mut c = served.collection(&repo, MinimumVersions::none());
    c.load_timestamp(served.timestamp.clone(), NOW).unwrap();
    c.load_snapshot(served.snapshot.clone(), NOW).unwrap();
    let err = c.load_targets(other_targets, NOW).unwrap_err();
    assert!(
        matches!(err, VerifyError::HashMismatch { ref role, algorithm: "sha256", .. } if role == "targets"),
        "{err:?}"
    );
    assert!(c.targets("targets").is_none());
    c.load_targets(served.targets["targets"].clone(), NOW).unwrap();
}

/// Loads timestamp, snapshot and targets, each at its own `now`, stopping at the first error.
fn load_top(c: &mut TrustedCollection, served: &Served, now: [OffsetDateTime; 3]) -> Result<(), VerifyError> {
    c.load_timestamp(served.timestamp.clone(), now[0])?;
    c.load_snapshot(served.snapshot.clone(), now[1])?;
    c.load_targets(served.targets["targets"].clone(), now[2])
}

#[test]
fn rollback_below_the_minimum_versions_is_refused() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    for role in ["timestamp", "snapshot", "targets"] {
        // Equal to the cached version: unchanged, allowed.
        let mut minimum = MinimumVersions::none();
        minimum.require(role, 1);
        load_top(&mut served.collection(&repo, minimum), &served, [NOW; 3]).unwrap();

        let mut minimum = MinimumVersions::none();
        minimum.require(role, 2);
        let err = load_top(&mut served.collection(&repo, minimum), &served, [NOW; 3]).unwrap_err();
        assert_eq!(
            err,
            VerifyError::LowVersion {
                role: role.into(),
                version: 1,
                current: 2
            },
            "{role}"
        );
        assert_eq!(err.to_string(), "version 1 is lower than current version 2");
    }
}

#[test]
fn expired_top_level_metadata_aborts_the_update() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    let late = NOW + Duration::days(1096);
    let cases = [
        (
            "timestamp",
            [NOW + Duration::days(15), NOW, NOW],
            "timestamp expired at Sun Dec 6 12:00:00 UTC 2026",
        ),
        (
            "snapshot",
            [NOW, late, NOW],
            "snapshot expired at Wed Nov 21 12:00:00 UTC 2029",
        ),
        (
            "targets",
            [NOW, NOW, late],
            "targets expired at Wed Nov 21 12:00:00 UTC 2029",
        ),
    ];
    for (role, now, message) in cases {
        let mut c = served.collection(&repo, MinimumVersions::none());
        let err = load_top(&mut c, &served, now).unwrap_err();
        assert!(
            matches!(err, VerifyError::Expired { role: ref r, .. } if r == role),
            "{err:?}"
        );
        assert_eq!(err.to_string(), message);
    }
    // At the very instant the timestamp expires it is not yet expired.
    let mut c = served.collection(&repo, MinimumVersions::none());
    load_top(&mut c, &served, [NOW + Duration::days(14); 3]).unwrap();
}

#[test]
fn snapshot_naming_another_root_signals_a_rotation() {
    let repo = Repo::new(GUN);
    let served = Served::publish(&repo, &[]);
    let mut rotated = repo.root.clone();
    rotated.version = 2;
    let rotated_root = sign(rotated, &[&repo.root_key]).raw().to_vec();
    let snapshot = repo.snapshot_file(&[("root", &rotated_root), ("targets", &served.targets["targets"])], 2);
    let timestamp = repo.timestamp_file(&snapshot, 2);
    let mut c = served.collection(&repo, MinimumVersions::none());
    c.load_timestamp(timestamp, NOW).unwrap();
    let err = c.load_snapshot(snapshot, NOW).unwrap_err();
    let expected = hex::encode(FileMeta::of_bytes(&rotated_root).hashes.0.get("sha256").unwrap());
    assert_eq!(
        err,
        VerifyError::HashMismatch {
            role: "root".into(),
            algorithm: "sha256",
            expected
        }
    );
    assert!(c.snapshot().is_none());
}

// ---------------------------------------------------------------------------------------------
// Delegations

#[test]
fn delegations_are_walked_depth_first_children_in_parent_order() {
    let tree = Tree::new(&[""], &[""]);
    let served = Served::publish(&tree.repo, &tree.files());
    let mut c = served.loaded(&tree.repo);
    let walk = served.walk(&mut c);
    assert_eq!(roles(&walk), ["targets/a", "targets/a/x", "targets/b"]);
    assert!(walk.iter().all(|(_, o)| *o == DelegationOutcome::Loaded), "{walk:?}");
    for r in ["targets/a", "targets/a/x", "targets/b"] {
        assert_eq!(c.targets(r).unwrap().raw(), served.targets[r], "{r}");
    }
}

#[test]
fn delegation_failing_its_threshold_or_expired_is_skipped_with_its_subtree() {
    type Break = fn(&mut Tree) -> Vec<u8>;
    let cases: [(&str, Break); 2] = [
        ("signed by another key", |t| signed_file(&t.a_body, &t.b)),
        ("expired", |t| {
            t.a_body.expires = expires(-1);
            signed_file(&t.a_body, &t.a)
        }),
    ];
    for (case, broken_a) in cases {
        let mut tree = Tree::new(&[""], &[""]);
        let mut files = tree.files();
        files[0].1 = broken_a(&mut tree);
        let served = Served::publish(&tree.repo, &files);
        let mut c = served.loaded(&tree.repo);
        let walk = served.walk(&mut c);
        assert_eq!(roles(&walk), ["targets/a", "targets/b"], "{case}");
        match &walk[0].1 {
            DelegationOutcome::Skipped(VerifyError::ThresholdNotMet { role, .. }) if case != "expired" => {
                assert_eq!(role, "targets/a");
            }
            DelegationOutcome::Skipped(e @ VerifyError::Expired { .. }) if case == "expired" => {
                assert_eq!(e.to_string(), "targets/a expired at Sat Nov 21 12:00:00 UTC 2026");
            }
            other => panic!("{case}: {other:?}"),
        }
        assert!(
            c.targets("targets/a").is_none() && c.targets("targets/a/x").is_none(),
            "{case}"
        );
        assert_eq!(walk[1].1, DelegationOutcome::Loaded, "{case}");
        // Nothing of the skipped subtree is found.
        assert!(c.target("a/in-a", &[]).is_none(), "{case}");
        assert_eq!(c.target("in-b", &[]).unwrap().role, "targets/b", "{case}");
    }
}

#[test]
fn delegation_that_fails_other_rules_aborts_the_update() {
    let tree = Tree::new(&[""], &[""]);
    let served = Served::publish(&tree.repo, &tree.files());
    let a = role("targets/a");

    // Bytes other than the snapshot records.
    let mut c = served.loaded(&tree.repo);
    let other = signed_file(&tree.a_body, &tree.a);
    let err = c.load_delegation(&a, other, NOW).unwrap_err();
    assert!(
        matches!(err, VerifyError::HashMismatch { ref role, .. } if role == "targets/a"),
        "{err:?}"
    );

    // No signatures at all: Go's ErrNoSignatures is not a threshold error, so it aborts.
    let unsigned = Signed::from_parts(tree.a_body.clone(), vec![]).unwrap().raw().to_vec();
    let mut files = tree.files();
    files[0].1 = unsigned.clone();
    let served_unsigned = Served::publish(&tree.repo, &files);
    let mut c = served_unsigned.loaded(&tree.repo);
    let err = c.load_delegation(&a, unsigned, NOW).unwrap_err();
    assert_eq!(
        err,
        VerifyError::NoSignatures {
            role: "targets/a".into()
        }
    );

    // A rollback below the cached version.
    let mut minimum = MinimumVersions::none();
    minimum.require("targets/a", 2);
    let mut c = served.collection(&tree.repo, minimum);
    load_top(&mut c, &served, [NOW; 3]).unwrap();
    let err = c
        .load_delegation(&a, served.targets["targets/a"].clone(), NOW)
        .unwrap_err();
    assert_eq!(err.to_string(), "version 1 is lower than current version 2");

    // A role its parent does not delegate.
    let mut c = served.loaded(&tree.repo);
    let err = c
        .load_delegation(&role("targets/zzz"), served.targets["targets/b"].clone(), NOW)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tuf: invalid role targets/zzz. delegation does not exist"
    );

    // The same files, as served, load.
    let mut c = served.loaded(&tree.repo);
    assert_eq!(
        c.load_delegation(&a, served.targets["targets/a"].clone(), NOW).unwrap(),
        DelegationOutcome::Loaded
    );
}

#[test]
fn delegation_not_listed_in_the_snapshot_is_not_visited() {
    let tree = Tree::new(&[""], &[""]);
    let files: Vec<_> = tree.files().into_iter().filter(|(r, _)| *r != "targets/b").collect();
    let served = Served::publish(&tree.repo, &files);
    let mut c = served.loaded(&tree.repo);
    assert_eq!(roles(&served.walk(&mut c)), ["targets/a", "targets/a/x"]);
    assert!(c.expected("targets/b").is_none());
}

// ---------------------------------------------------------------------------------------------
// Target lookup (metadata.md §9.2, §12.4)

#[test]
fn lookup_does_not_descend_outside_a_delegations_paths() {
    let mut tree = Tree::new(&["a/"], &[""]);
    tree.a_body = targets_body(&[("a/in", b"1"), ("b/out", b"2")], 1);
    let served = Served::publish(&tree.repo, &tree.files()[..1]);
    let mut c = served.loaded(&tree.repo);
    served.walk(&mut c);
    assert_eq!(c.target("a/in", &[]).unwrap().role, "targets/a");
    assert!(c.target("b/out", &[]).is_none());
    assert!(c.target("b/out", &[role("targets/a")]).is_none());
    let listed: Vec<_> = c.list(&[]).iter().map(|t| (t.name, t.role)).collect();
    assert_eq!(listed, [("a/in", "targets/a"), ("v1", "targets")]);
}

#[test]
fn grandchild_paths_are_restricted_by_the_parent() {
    let mut tree = Tree::new(&["a/"], &["a/x/", "z/"]);
    tree.x_body = targets_body(&[("a/x/1", b"1"), ("z/2", b"2")], 1);
    let served = Served::publish(&tree.repo, &tree.files());
    let mut c = served.loaded(&tree.repo);
    served.walk(&mut c);
    assert_eq!(c.effective_paths("targets"), [""]);
    assert_eq!(c.effective_paths("targets/a"), ["a/"]);
    // `z/` is not under the parent's `a/`: dropped, not truncated.
    assert_eq!(c.effective_paths("targets/a/x"), ["a/x/"]);
    let x = role("targets/a/x");
    assert_eq!(c.target("a/x/1", &[]).unwrap().role, "targets/a/x");
    assert!(c.target("z/2", &[]).is_none());
    assert!(c.target("z/2", std::slice::from_ref(&x)).is_none());
    let listed: Vec<_> = c.list(&[x]).iter().map(|t| t.name).collect();
    assert_eq!(listed, ["a/x/1"]);
}

#[test]
fn targets_wins_over_a_delegation_unless_the_delegation_is_asked_for() {
    let mut tree = Tree::new(&[""], &[""]);
    tree.a_body
        .targets
        .extend(targets_body(&[("v1", b"from a"), ("only-a", b"a")], 1).targets);
    let served = Served::publish(&tree.repo, &tree.files());
    let mut c = served.loaded(&tree.repo);
    served.walk(&mut c);
    let (a, targets) = (role("targets/a"), RoleName::Targets);

    assert_eq!(c.target("v1", &[]).unwrap().role, "targets");
    let from_a = c.target("v1", std::slice::from_ref(&a)).unwrap();
    assert_eq!(
        (from_a.role, from_a.meta),
        ("targets/a", &FileMeta::of_bytes(b"from a"))
    );
    assert_eq!(c.target("v1", &[a.clone(), targets.clone()]).unwrap().role, "targets/a");
    assert_eq!(c.target("v1", &[targets.clone(), a.clone()]).unwrap().role, "targets");
    // A role outside the requested subtree is not consulted.
    assert!(c.target("in-b", std::slice::from_ref(&a)).is_none());

    let list = |roles: &[RoleName]| -> Vec<(String, String)> {
        c.list(roles)
            .iter()
            .map(|t| (t.name.to_owned(), t.role.to_owned()))
            .collect()
    };
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter().map(|(n, r)| (n.to_string(), r.to_string())).collect()
    };
    assert_eq!(
        list(&[]),
        pairs(&[
            ("a/in-a", "targets/a"),
            ("a/x/in-x", "targets/a/x"),
            ("in-b", "targets/b"),
            ("only-a", "targets/a"),
            ("v1", "targets"),
        ])
    );
    assert_eq!(
        list(std::slice::from_ref(&a)),
        pairs(&[
            ("a/in-a", "targets/a"),
            ("a/x/in-x", "targets/a/x"),
            ("only-a", "targets/a"),
            ("v1", "targets/a"),
        ])
    );
    assert_eq!(
        list(&[a, targets]),
        pairs(&[
            ("a/in-a", "targets/a"),
            ("a/x/in-x", "targets/a/x"),
            ("in-b", "targets/b"),
            ("only-a", "targets/a"),
            ("v1", "targets/a"),
        ])
    );
}
