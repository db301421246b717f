//! Applying changelists (client.md §4.3): the Go-made change vectors of `tests/data/changelist/`
//! on repositories built with `notary_testkit::tuf`, every error path with Go's message, key
//! pruning, purge, witness, key rotation, ordering, and all-or-nothing failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use notary_client::apply::{ApplyErrorKind, Draft, Warning, apply};
use notary_client::changelist::{Action, Change, ChangeData, ChangeType, DelegationData, RootRoleData};
use notary_testkit::tuf::{Repo, TestKey, delegate, targets_body};
use notary_tuf::metadata::{FileMeta, Targets};
use notary_tuf::{KeyId, PublicKey};
use proptest::prelude::*;

/// The ID (metadata and canonical) of the ecdsa key in the Go delegation vectors.
const VECTOR_KEY: &str = "c52c23dcc3f6cb6742b554e625bb03c572acbb75a273d3facdbfb7cd83f5ebc3";

/// The Go-made changes, in staging order (see tests/data/changelist/README.md).
fn go_changes() -> Vec<Change> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/changelist");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "change"))
        .collect();
    names.sort();
    let changes: Vec<Change> = names
        .iter()
        .map(|p| Change::parse(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    assert_eq!(changes.len(), 10);
    changes
}

fn go_change(i: usize) -> Change {
    go_changes().swap_remove(i)
}

/// A repository whose targets lists `t0` and `v1` and delegates `targets/old` to `old_key`.
struct Fixture {
    repo: Repo,
    old_key: TestKey,
}

impl Fixture {
    fn new() -> Fixture {
        let mut repo = Repo::new("example.com/app");
        let old_key = TestKey::ecdsa();
        repo.targets = targets_body(&[("t0", b"zero"), ("v1", b"one")], 1);
        delegate(&mut repo.targets, "targets/old", &[&old_key], &[""], 1);
        Fixture { repo, old_key }
    }

    fn draft(&self) -> Draft {
        draft_of(&self.repo, [("targets", self.repo.targets.clone())])
    }

    /// The targets key only.
    fn keys(&self) -> BTreeSet<KeyId> {
        held(&[&self.repo.targets_key])
    }
}

fn draft_of<const N: usize>(repo: &Repo, files: [(&str, Targets); N]) -> Draft {
    let targets = files.into_iter().map(|(n, t)| (n.to_owned(), t)).collect();
    Draft::new(repo.root.clone(), targets, BTreeMap::new())
}

/// Private keys held, by canonical ID (as a key store names them).
fn held(keys: &[&TestKey]) -> BTreeSet<KeyId> {
    keys.iter().map(|k| k.public.canonical_id().unwrap()).collect()
}

fn none() -> BTreeSet<KeyId> {
    BTreeSet::new()
}

fn set(roles: &[&str]) -> BTreeSet<String> {
    roles.iter().map(|r| r.to_string()).collect()
}

fn create_keys(role: &str, keys: &[&PublicKey]) -> Change {
    let data = DelegationData {
        threshold: 1,
        add_keys: keys.iter().map(|k| (*k).clone()).collect(),
        ..Default::default()
    };
    Change::delegation(Action::Create, role, data)
}

fn create_paths(role: &str, paths: &[&str]) -> Change {
    let data = DelegationData {
        add_paths: paths.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    Change::delegation(Action::Create, role, data)
}

fn update(role: &str, data: DelegationData) -> Change {
    Change::delegation(Action::Update, role, data)
}

fn remove_keys(role: &str, ids: &[KeyId]) -> Change {
    update(
        role,
        DelegationData {
            remove_keys: ids.to_vec(),
            ..Default::default()
        },
    )
}

fn rotate(role: &str, keys: &[&PublicKey]) -> Change {
    let data = RootRoleData {
        keys: keys.iter().map(|k| (*k).clone()).collect(),
        role: role.to_owned(),
    };
    Change::new(
        Action::Create,
        "root",
        ChangeType::Role,
        role,
        ChangeData::RootRole(data),
    )
}

/// Applies and returns the error message, checking the draft did not move.
fn fails(draft: &mut Draft, changes: &[Change], keys: &BTreeSet<KeyId>) -> String {
    let before = draft.clone();
    let err = apply(draft, changes, keys).unwrap_err();
    assert_eq!(*draft, before, "a failed apply must leave the draft as it was");
    err.to_string()
}

fn role<'a>(draft: &'a Draft, parent: &str, name: &str) -> &'a notary_tuf::metadata::DelegatedRole {
    draft.targets[parent].delegation(name).unwrap()
}

#[test]
fn go_changelist_in_order() {
    let f = Fixture::new();
    let mut draft = f.draft();
    apply(&mut draft, &go_changes(), &f.keys()).unwrap();

    let targets = &draft.targets["targets"];
    assert_eq!(targets.targets.keys().collect::<Vec<_>>(), ["t1", "v1"]);
    assert_eq!(targets.targets["t1"].length, 13);
    // create keys, add paths "", remove "a/" (absent), remove the key, clear paths, purge: an
    // empty role is left, and its key is pruned.
    assert_eq!(targets.delegations.roles.len(), 1);
    let releases = &targets.delegations.roles[0];
    assert_eq!(releases.name, "targets/releases");
    assert!(releases.keyids.is_empty());
    assert!(releases.paths.is_empty());
    assert_eq!(releases.threshold, 1);
    assert!(targets.delegations.keys.is_empty());
    assert_eq!(*draft.changed(), set(&["targets"]));
    assert_eq!(*draft.removed(), set(&["targets/old"]));
    assert!(!draft.root_changed());
}

#[test]
fn target_create() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let create = go_change(0);
    apply(&mut draft, std::slice::from_ref(&create), &f.keys()).unwrap();
    let ChangeData::Target(meta) = create.data() else {
        panic!()
    };
    assert_eq!(draft.targets["targets"].targets["t1"], *meta);
    assert_eq!(*draft.changed(), set(&["targets"]));

    // The same FileMeta again changes nothing, and needs no key.
    let mut again = Draft::new(draft.root.clone(), draft.targets.clone(), BTreeMap::new());
    apply(&mut again, &[create], &none()).unwrap();
    assert!(again.changed().is_empty());
}

#[test]
fn target_create_needs_a_signing_key() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let message = fails(&mut draft, &[go_change(0)], &none());
    assert_eq!(
        message,
        format!(
            "could not find necessary signing keys, at least one of these keys must be available: {}",
            f.repo.targets_key.id()
        )
    );
}

#[test]
fn target_create_in_a_delegation() {
    let f = Fixture::new();
    let qa = TestKey::root("targets/qa"); // a certificate key: held under its canonical ID
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/qa", &[&qa], &["qa/", "tmp/"], 1);
    let mut draft = draft_of(&f.repo, [("targets", targets)]);
    let keys = held(&[&qa]);

    let meta = FileMeta::of_bytes(b"x");
    let message = fails(
        &mut draft,
        &[Change::target_create("targets/qa", "notqa", meta.clone())],
        &keys,
    );
    assert_eq!(message, "Could not add all targets");

    // Inside the paths: the role's file is created (version 0, to be signed) and changed.
    apply(
        &mut draft,
        &[Change::target_create("targets/qa", "qa/thing", meta.clone())],
        &keys,
    )
    .unwrap();
    let file = &draft.targets["targets/qa"];
    assert_eq!(file.version, 0);
    assert_eq!(file.targets["qa/thing"], meta);
    assert_eq!(*draft.changed(), set(&["targets/qa"]));

    // Only the key of the certificate's canonical ID is listed when none is held.
    let message = fails(
        &mut draft,
        &[Change::target_create("targets/qa", "qa/two", meta)],
        &none(),
    );
    assert!(
        message.ends_with(qa.public.canonical_id().unwrap().as_str()),
        "{message}"
    );
    assert_ne!(qa.public.canonical_id().unwrap(), qa.id());
}

#[test]
fn target_create_effective_paths_come_from_the_parent() {
    let f = Fixture::new();
    let a = TestKey::ecdsa();
    let b = TestKey::ecdsa();
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/a", &[&a], &["a/"], 1);
    let mut file_a = targets_body(&[], 1);
    // "b/" is not under the parent's "a/": dropped, so only "a/b/" is effective.
    delegate(&mut file_a, "targets/a/b", &[&b], &["b/", "a/b/"], 1);
    let mut draft = draft_of(&f.repo, [("targets", targets), ("targets/a", file_a)]);
    let keys = held(&[&b]);
    let meta = FileMeta::of_bytes(b"x");
    assert_eq!(
        fails(
            &mut draft,
            &[Change::target_create("targets/a/b", "b/x", meta.clone())],
            &keys
        ),
        "Could not add all targets"
    );
    apply(
        &mut draft,
        &[Change::target_create("targets/a/b", "a/b/x", meta)],
        &keys,
    )
    .unwrap();
    assert_eq!(*draft.changed(), set(&["targets/a/b"]));
}

#[test]
fn target_changes_on_unknown_roles() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let meta = FileMeta::of_bytes(b"x");
    for (change, message) in [
        (
            Change::target_create("targets/nope", "x", meta.clone()),
            "tuf: invalid role targets/nope. delegation does not exist",
        ),
        (
            Change::target_delete("targets/nope", "x"),
            "tuf: invalid role targets/nope. delegation does not exist",
        ),
        // A wildcard reaches the targets code, which refuses it.
        (
            Change::target_create("targets/*", "x", meta.clone()),
            "tuf: invalid role targets/*. does not exist",
        ),
        (
            Change::target_create("snapshot", "x", meta.clone()),
            "scope not supported: snapshot",
        ),
        (
            Change::target_create("targets/A", "x", meta),
            "scope not supported: targets/A",
        ),
    ] {
        assert_eq!(fails(&mut draft, &[change], &f.keys()), message);
    }
}

#[test]
fn target_delete() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let delete = go_change(1); // t0
    // Absent names need no key; present ones do.
    apply(&mut draft, &[Change::target_delete("targets", "absent")], &none()).unwrap();
    assert!(draft.changed().is_empty());
    let message = fails(&mut draft, std::slice::from_ref(&delete), &none());
    assert!(
        message.starts_with("could not find necessary signing keys"),
        "{message}"
    );
    apply(&mut draft, &[delete], &f.keys()).unwrap();
    assert!(!draft.targets["targets"].targets.contains_key("t0"));
    assert_eq!(*draft.changed(), set(&["targets"]));
}

#[test]
fn delegation_create() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let changes = go_changes();
    apply(&mut draft, &changes[2..4], &f.keys()).unwrap();
    let releases = role(&draft, "targets", "targets/releases");
    assert_eq!(releases.keyids, [KeyId::new(VECTOR_KEY)]);
    assert_eq!(releases.paths, [""]);
    assert_eq!(releases.threshold, 1);
    assert!(
        draft.targets["targets"]
            .delegations
            .keys
            .contains_key(&KeyId::new(VECTOR_KEY))
    );
    // Appended after the existing delegation; the new role has no file yet.
    assert_eq!(draft.targets["targets"].delegations.roles[1].name, "targets/releases");
    assert!(!draft.targets.contains_key("targets/releases"));
    assert_eq!(*draft.changed(), set(&["targets"]));
    assert!(draft.warnings().is_empty());
}

#[test]
fn delegation_create_errors() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let changes = go_changes();
    // Needs a key of the parent.
    let message = fails(&mut draft, &changes[2..4], &none());
    assert!(
        message.starts_with("could not find necessary signing keys"),
        "{message}"
    );
    // Paths alone cannot create a role (Go 0.7: `tuf: invalid role targets/qa.`).
    assert_eq!(
        fails(&mut draft, &changes[3..4], &f.keys()),
        "tuf: invalid role targets/releases."
    );
    // A parent that is not delegated.
    let key = TestKey::ecdsa();
    assert_eq!(
        fails(&mut draft, &[create_keys("targets/nope/x", &[&key.public])], &f.keys()),
        "tuf: invalid role targets/nope. delegation does not exist"
    );
    // A create on a wildcard or on `targets`.
    for scope in ["targets/*", "targets"] {
        assert_eq!(
            fails(&mut draft, &[create_keys(scope, &[&key.public])], &f.keys()),
            format!("tuf: invalid role {scope}. not a valid delegated role")
        );
    }
    // No data.
    let null = Change::new(
        Action::Create,
        "targets/a",
        ChangeType::Delegation,
        "",
        ChangeData::Null,
    );
    assert_eq!(fails(&mut draft, &[null], &f.keys()), "unexpected end of JSON input");
}

#[test]
fn delegation_paths_must_be_under_the_parent() {
    let f = Fixture::new();
    let a = TestKey::ecdsa();
    let b = TestKey::ecdsa();
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/a", &[&a], &["a/"], 1);
    let mut draft = draft_of(&f.repo, [("targets", targets)]);
    let keys = held(&[&a]);
    let message = fails(
        &mut draft,
        &[
            create_keys("targets/a/b", &[&b.public]),
            create_paths("targets/a/b", &["b/"]),
        ],
        &keys,
    );
    assert_eq!(message, "tuf: invalid role targets/a/b. invalid paths to add to role");

    // Under the parent: the parent's file is created to hold the delegation.
    apply(
        &mut draft,
        &[
            create_keys("targets/a/b", &[&b.public]),
            create_paths("targets/a/b", &["a/b/"]),
        ],
        &keys,
    )
    .unwrap();
    assert_eq!(role(&draft, "targets/a", "targets/a/b").paths, ["a/b/"]);
    assert_eq!(draft.targets["targets/a"].version, 0);
    assert_eq!(*draft.changed(), set(&["targets/a"]));
}

#[test]
fn delegation_update_paths() {
    let f = Fixture::new();
    let key = TestKey::ecdsa();
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/releases", &[&key], &["a/", "b/"], 1);
    let mut draft = draft_of(&f.repo, [("targets", targets)]);
    let changes = go_changes();
    apply(&mut draft, &changes[4..5], &f.keys()).unwrap(); // remove_paths a/
    assert_eq!(role(&draft, "targets", "targets/releases").paths, ["b/"]);
    apply(&mut draft, &changes[7..8], &f.keys()).unwrap(); // clear_paths
    assert!(role(&draft, "targets", "targets/releases").paths.is_empty());
    // Remove, clear, then add, in one update.
    let data = DelegationData {
        add_paths: vec!["c/".into(), "d/".into()],
        remove_paths: vec!["c/".into()],
        clear_paths: true,
        ..Default::default()
    };
    apply(&mut draft, &[update("targets/releases", data)], &f.keys()).unwrap();
    assert_eq!(role(&draft, "targets", "targets/releases").paths, ["c/", "d/"]);
    assert_eq!(role(&draft, "targets", "targets/releases").keyids, [key.id()]);
    // An update of a role that is not delegated.
    assert_eq!(
        fails(
            &mut draft,
            &changes[4..5]
                .iter()
                .map(|c| retarget(c, "targets/nope"))
                .collect::<Vec<_>>(),
            &f.keys()
        ),
        "tuf: invalid role targets/nope. delegation does not exist"
    );
}

/// The same change on another scope.
fn retarget(change: &Change, scope: &str) -> Change {
    Change::new(
        change.action().clone(),
        scope,
        change.change_type().clone(),
        change.path(),
        change.data().clone(),
    )
}

#[test]
fn delegation_remove_keys_translates_canonical_ids_and_prunes() {
    let f = Fixture::new();
    let cert = TestKey::root("targets/qa");
    let shared = TestKey::ecdsa();
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/qa", &[&cert, &shared], &["qa/"], 1);
    delegate(&mut targets, "targets/ops", &[&shared], &[""], 1);
    let mut draft = draft_of(&f.repo, [("targets", targets)]);

    // The metadata ID of a certificate key is not what the CLI names: nothing happens.
    apply(&mut draft, &[remove_keys("targets/qa", &[cert.id()])], &f.keys()).unwrap();
    assert_eq!(role(&draft, "targets", "targets/qa").keyids.len(), 2);

    let canonical = cert.public.canonical_id().unwrap();
    let ids = [canonical, shared.public.canonical_id().unwrap()];
    apply(&mut draft, &[remove_keys("targets/qa", &ids)], &f.keys()).unwrap();
    assert!(role(&draft, "targets", "targets/qa").keyids.is_empty());
    let keys = &draft.targets["targets"].delegations.keys;
    assert!(!keys.contains_key(&cert.id()), "unused certificate key pruned");
    assert!(keys.contains_key(&shared.id()), "a key targets/ops still uses is kept");
    assert!(keys.contains_key(&f.old_key.id()));
    assert_eq!(*draft.changed(), set(&["targets"]));
}

#[test]
fn delegation_add_keys_to_existing_role() {
    let f = Fixture::new();
    let new = TestKey::root("targets/old");
    let mut draft = f.draft();
    apply(
        &mut draft,
        &[create_keys("targets/old", &[&new.public, &f.old_key.public])],
        &f.keys(),
    )
    .unwrap();
    let old = role(&draft, "targets", "targets/old");
    assert_eq!(
        old.keyids,
        [f.old_key.id(), new.id()],
        "metadata IDs, appended when missing"
    );
    assert_eq!(old.paths, [""]);
    assert_eq!(draft.targets["targets"].delegations.keys[&new.id()], new.public);
}

#[test]
fn delegation_below_threshold_only_warns() {
    let f = Fixture::new();
    let mut draft = f.draft();
    apply(&mut draft, &[remove_keys("targets/old", &[f.old_key.id()])], &f.keys()).unwrap();
    assert_eq!(
        draft.warnings(),
        [Warning::FewerKeysThanThreshold {
            role: "targets/old".into(),
            threshold: 1
        }]
    );
    assert!(draft.targets["targets"].delegations.keys.is_empty());
}

#[test]
fn delegation_delete() {
    let f = Fixture::new();
    let mut draft = f.draft();
    draft.targets.insert("targets/old".into(), targets_body(&[], 1));
    let delete = go_change(6);
    let message = fails(&mut draft, std::slice::from_ref(&delete), &none());
    assert!(
        message.starts_with("could not find necessary signing keys"),
        "{message}"
    );
    apply(&mut draft, &[delete], &f.keys()).unwrap();
    assert!(draft.targets["targets"].delegations.roles.is_empty());
    assert!(
        draft.targets["targets"].delegations.keys.is_empty(),
        "its key is pruned"
    );
    assert!(!draft.targets.contains_key("targets/old"));
    assert_eq!(*draft.removed(), set(&["targets/old"]));
    assert_eq!(*draft.changed(), set(&["targets"]));
    // Deleting what is not delegated is not an error (Go: "as good as deleted").
    apply(&mut draft, &[Change::delegation_delete("targets/never")], &f.keys()).unwrap();
}

/// targets → a (k1, k2), b (k1); targets/a → a/x (k1, k3).
fn purge_fixture() -> (Fixture, Draft, [TestKey; 3]) {
    let f = Fixture::new();
    let k1 = TestKey::root("k1"); // purged by canonical ID
    let k2 = TestKey::ecdsa();
    let k3 = TestKey::ecdsa();
    let mut targets = f.repo.targets.clone();
    delegate(&mut targets, "targets/a", &[&k1, &k2], &[""], 1);
    delegate(&mut targets, "targets/b", &[&k1], &[""], 1);
    let mut file_a = targets_body(&[], 1);
    delegate(&mut file_a, "targets/a/x", &[&k1, &k3], &[""], 1);
    let draft = draft_of(&f.repo, [("targets", targets), ("targets/a", file_a)]);
    (f, draft, [k1, k2, k3])
}

#[test]
fn purge_across_the_subtree() {
    let (f, mut draft, [k1, k2, k3]) = purge_fixture();
    let keys = held(&[&f.repo.targets_key, &k2]);
    let purge = remove_keys("targets/*", &[k1.public.canonical_id().unwrap()]);
    apply(&mut draft, &[purge], &keys).unwrap();
    assert_eq!(role(&draft, "targets", "targets/a").keyids, [k2.id()]);
    assert!(role(&draft, "targets", "targets/b").keyids.is_empty());
    assert_eq!(role(&draft, "targets/a", "targets/a/x").keyids, [k3.id()]);
    assert!(!draft.targets["targets"].delegations.keys.contains_key(&k1.id()));
    assert!(!draft.targets["targets/a"].delegations.keys.contains_key(&k1.id()));
    assert_eq!(*draft.changed(), set(&["targets", "targets/a"]));
    assert!(draft.warnings().is_empty());
}

#[test]
fn purge_skips_roles_it_cannot_sign() {
    let (f, mut draft, [k1, _, _]) = purge_fixture();
    let before_a = draft.targets["targets/a"].clone();
    let purge = remove_keys("targets/*", &[k1.public.canonical_id().unwrap()]);
    apply(&mut draft, &[purge], &f.keys()).unwrap();
    assert_eq!(draft.targets["targets/a"], before_a);
    assert_eq!(
        draft.warnings(),
        [Warning::PurgeSkipped {
            role: "targets/a".into()
        }]
    );
    assert_eq!(*draft.changed(), set(&["targets"]));
}

#[test]
fn purge_of_a_subtree_leaves_the_rest() {
    let (f, mut draft, [k1, k2, _]) = purge_fixture();
    let before_targets = draft.targets["targets"].clone();
    let purge = remove_keys("targets/a/*", &[k1.public.canonical_id().unwrap()]);
    apply(&mut draft, &[purge], &held(&[&f.repo.targets_key, &k2])).unwrap();
    assert_eq!(draft.targets["targets"], before_targets);
    assert!(!draft.targets["targets/a"].delegations.keys.contains_key(&k1.id()));
    assert_eq!(*draft.changed(), set(&["targets/a"]));
}

#[test]
fn witness() {
    let f = Fixture::new();
    let mut draft = f.draft();
    // A loaded role.
    apply(&mut draft, &[go_change(9)], &none()).unwrap();
    assert_eq!(*draft.changed(), set(&["targets"]));
    // Unknown, also with a file that is not delegated.
    draft.invalid.insert("targets/nope".into(), targets_body(&[], 1));
    assert_eq!(
        fails(&mut draft, &[Change::witness("targets/nope")], &none()),
        "tuf: invalid role targets/nope. this role is not known"
    );
    // Delegated, but no file was ever downloaded.
    assert_eq!(
        fails(&mut draft, &[Change::witness("targets/old")], &none()),
        "tuf: invalid role targets/old. this role is not known"
    );
    // An invalid role is revived and re-signed.
    let stale = targets_body(&[("s", b"s")], 3);
    draft.invalid.insert("targets/old".into(), stale.clone());
    apply(&mut draft, &[Change::witness("targets/old")], &none()).unwrap();
    assert_eq!(draft.targets["targets/old"], stale);
    assert!(!draft.invalid.contains_key("targets/old"));
    assert_eq!(*draft.changed(), set(&["targets", "targets/old"]));
}

#[test]
fn witness_of_an_invalid_role_needs_enough_keys() {
    let f = Fixture::new();
    let mut targets = f.repo.targets.clone();
    targets.delegations.roles[0].threshold = 2;
    let mut draft = Draft::new(
        f.repo.root.clone(),
        BTreeMap::from([("targets".to_owned(), targets)]),
        BTreeMap::from([("targets/old".to_owned(), targets_body(&[], 1))]),
    );
    assert_eq!(
        fails(&mut draft, &[Change::witness("targets/old")], &none()),
        "tuf: invalid role targets/old. role does not specify enough valid signing keys to meet its required threshold"
    );
    // Adding a key first makes it witnessable.
    let extra = TestKey::ecdsa();
    let changes = [
        create_keys("targets/old", &[&extra.public]),
        Change::witness("targets/old"),
    ];
    apply(&mut draft, &changes, &f.keys()).unwrap();
    assert!(draft.targets.contains_key("targets/old"));
}

#[test]
fn ordering_create_then_delete() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let meta = FileMeta::of_bytes(b"n");
    let key = TestKey::ecdsa();
    let changes = [
        Change::target_create("targets", "new", meta),
        Change::target_delete("targets", "new"),
        create_keys("targets/tmp", &[&key.public]),
        create_paths("targets/tmp", &[""]),
        Change::delegation_delete("targets/tmp"),
    ];
    apply(&mut draft, &changes, &f.keys()).unwrap();
    let targets = &draft.targets["targets"];
    assert!(!targets.targets.contains_key("new"));
    assert_eq!(targets.delegations.roles.len(), 1);
    assert!(!targets.delegations.keys.contains_key(&key.id()));
    assert_eq!(*draft.removed(), set(&["targets/tmp"]));

    // Delete then create again: the role is back and no longer removed.
    let holder = TestKey::ecdsa();
    let changes = [
        Change::delegation_delete("targets/old"),
        create_keys("targets/old", &[&holder.public]),
        create_paths("targets/old", &[""]),
        Change::target_create("targets/old", "x", FileMeta::of_bytes(b"x")),
    ];
    apply(&mut draft, &changes, &held(&[&f.repo.targets_key, &holder])).unwrap();
    assert_eq!(*draft.removed(), set(&["targets/tmp"]));
    assert_eq!(*draft.changed(), set(&["targets", "targets/old"]));
}

#[test]
fn root_role_rotation() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let new_targets = TestKey::ecdsa();
    apply(&mut draft, &[rotate("targets", &[&new_targets.public])], &none()).unwrap();
    assert_eq!(draft.root.roles["targets"].keyids, [new_targets.id()]);
    assert!(draft.root.keys.contains_key(&new_targets.id()));
    assert!(
        !draft.root.keys.contains_key(&f.repo.targets_key.id()),
        "unused old key removed"
    );
    assert!(draft.root_changed());
    assert_eq!(*draft.rotated(), set(&["targets"]));
    assert_eq!(*draft.changed(), set(&["targets"]));

    // Root certificates stay after a root rotation.
    let new_root = TestKey::root("example.com/app");
    apply(&mut draft, &[rotate("root", &[&new_root.public])], &none()).unwrap();
    assert_eq!(draft.root.roles["root"].keyids, [new_root.id()]);
    assert!(draft.root.keys.contains_key(&f.repo.root_key.id()));
    assert_eq!(*draft.rotated(), set(&["root", "targets"]));

    // Snapshot: its key is replaced, the lead re-signs snapshot with the new one.
    let new_snapshot = TestKey::ecdsa();
    apply(&mut draft, &[rotate("snapshot", &[&new_snapshot.public])], &none()).unwrap();
    assert!(!draft.root.keys.contains_key(&f.repo.snapshot_key.id()));
    assert!(draft.rotated().contains("snapshot"));
}

#[test]
fn root_change_errors() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let key = TestKey::ecdsa();
    for (change, message) in [
        (
            rotate("targets/x", &[&key.public]),
            "tuf: invalid role targets/x. role not found in root file",
        ),
        (
            rotate("bogus", &[&key.public]),
            "tuf: invalid role bogus. invalid base role name",
        ),
        (
            Change::target_create("root", "x", FileMeta::of_bytes(b"")),
            "type of root change not yet supported: target",
        ),
        (
            Change::new(Action::Update, "root", ChangeType::Role, "targets", ChangeData::Null),
            "action not yet supported for root: update",
        ),
        (
            Change::new(Action::Create, "root", ChangeType::Role, "targets", ChangeData::Null),
            "unexpected end of JSON input",
        ),
    ] {
        assert_eq!(fails(&mut draft, &[change], &none()), message);
    }
}

#[test]
fn unsupported_actions_and_types() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let other = Action::Other("rename".into());
    for (change, message) in [
        (
            Change::new(other.clone(), "targets", ChangeType::Target, "x", ChangeData::Null),
            "action not yet supported: rename",
        ),
        (
            Change::new(other, "targets/old", ChangeType::Delegation, "", ChangeData::Null),
            "unsupported action against delegations: rename",
        ),
        (
            Change::new(Action::Create, "targets", ChangeType::Role, "", ChangeData::Null),
            "only target meta and delegations changes supported",
        ),
        (
            Change::new(
                Action::Create,
                "targets",
                ChangeType::Target,
                "x",
                ChangeData::Opaque(b"[]".to_vec()),
            ),
            "json: change data does not decode",
        ),
    ] {
        assert_eq!(fails(&mut draft, &[change], &f.keys()), message);
    }
}

#[test]
fn failure_is_all_or_nothing() {
    let f = Fixture::new();
    let mut draft = f.draft();
    let changes = [go_change(0), go_change(1), Change::witness("targets/nope")];
    let before = draft.clone();
    let err = apply(&mut draft, &changes, &f.keys()).unwrap_err();
    assert_eq!(err.index, 2);
    assert_eq!(err.scope, "targets/nope");
    assert!(matches!(err.kind, ApplyErrorKind::InvalidRole { .. }));
    assert_eq!(draft, before);
    // The draft is still usable.
    apply(&mut draft, &changes[..2], &f.keys()).unwrap();
    assert_eq!(*draft.changed(), set(&["targets"]));
}

fn arb_change(keys: Vec<PublicKey>, ids: Vec<KeyId>) -> impl Strategy<Value = Change> {
    let scope = prop::sample::select(vec![
        "targets",
        "targets/old",
        "targets/a",
        "targets/a/b",
        "targets/*",
        "targets/a/*",
        "root",
        "snapshot",
        "targets/A",
    ]);
    let path = prop::sample::select(vec!["", "a/", "a/b/", "x", "t0"]);
    let name = prop::sample::select(vec!["t0", "v1", "a/b/c", "x"]);
    let key_subset = prop::sample::subsequence(keys, 0..=2);
    let id_subset = prop::sample::subsequence(ids, 0..=2);
    let data = (
        0i64..3,
        key_subset.clone(),
        id_subset,
        prop::collection::vec(path.clone(), 0..3),
        prop::collection::vec(path, 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(threshold, add_keys, remove_keys, add_paths, remove_paths, clear_paths)| DelegationData {
                threshold,
                add_keys,
                remove_keys,
                add_paths: add_paths.into_iter().map(String::from).collect(),
                remove_paths: remove_paths.into_iter().map(String::from).collect(),
                clear_paths,
                ..Default::default()
            },
        );
    let action = prop::sample::select(vec![Action::Create, Action::Update, Action::Delete]);
    let role = prop::sample::select(vec!["root", "targets", "snapshot", "timestamp", "targets/a"]);
    prop_oneof![
        (scope.clone(), name.clone(), any::<u8>()).prop_map(|(s, n, b)| Change::target_create(
            s,
            n,
            FileMeta::of_bytes(&[b % 3])
        )),
        (scope.clone(), name).prop_map(|(s, n)| Change::target_delete(s, n)),
        (action, scope.clone(), data).prop_map(|(a, s, d)| Change::delegation(a, s, d)),
        scope.clone().prop_map(Change::delegation_delete),
        scope.prop_map(Change::witness),
        (role, key_subset).prop_map(|(r, keys)| rotate(r, &keys.iter().collect::<Vec<_>>())),
    ]
}

/// One fixture (and keys) for every proptest case: key generation is the slow part.
struct PropWorld {
    fixture: Fixture,
    keys: Vec<PublicKey>,
    ids: Vec<KeyId>,
}

fn prop_world() -> &'static PropWorld {
    static WORLD: OnceLock<PropWorld> = OnceLock::new();
    WORLD.get_or_init(|| {
        let fixture = Fixture::new();
        let plain = TestKey::ecdsa();
        let cert = TestKey::root("x");
        let keys = vec![
            plain.public.clone(),
            cert.public.clone(),
            fixture.old_key.public.clone(),
        ];
        let ids = vec![
            cert.public.canonical_id().unwrap(),
            fixture.old_key.id(),
            plain.id(),
            KeyId::new(VECTOR_KEY),
        ];
        PropWorld { fixture, keys, ids }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Never panics; a failure leaves the draft as it was; a success keeps `changed` within the
    /// loaded files and every delegation's keys listed in its parent.
    #[test]
    fn apply_never_panics_and_fails_cleanly(
        changes in prop::collection::vec(arb_change(prop_world().keys.clone(), prop_world().ids.clone()), 0..10),
        hold_targets in any::<bool>(),
    ) {
        let f = &prop_world().fixture;
        let keys = if hold_targets { f.keys() } else { none() };
        let mut draft = f.draft();
        let mut failed = false;
        for change in &changes {
            let before = draft.clone();
            let result = apply(&mut draft, std::slice::from_ref(change), &keys);
            failed |= result.is_err();
            match result {
                Ok(()) => {
                    for role in draft.changed() {
                        prop_assert!(draft.targets.contains_key(role), "{}", role);
                    }
                    for file in draft.targets.values() {
                        for r in &file.delegations.roles {
                            for id in &r.keyids {
                                prop_assert!(file.delegations.keys.contains_key(id));
                            }
                        }
                    }
                }
                Err(e) => {
                    prop_assert_eq!(&draft, &before);
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
        // The whole sequence at once: the same result as one by one, or no change at all if
        // any change failed.
        let mut whole = f.draft();
        let before = whole.clone();
        let result = apply(&mut whole, &changes, &keys);
        prop_assert_eq!(result.is_err(), failed);
        if failed {
            prop_assert_eq!(&whole, &before);
        } else {
            prop_assert_eq!(&whole, &draft);
        }
    }
}
