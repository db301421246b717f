//! Behaviour of every [`MetadataStore`] + [`KeyStore`] backend (server-behaviour.md §2.7, §6;
//! server-api.md §7.8–§7.9; signer.md §6.5). Every case is one generic function run against each
//! backend: a SQLite file, SQLite in memory and, with the `postgres` feature, a fresh PostgreSQL
//! database laid out by our migrations and one laid out by Go notary's schema first. Each backend's
//! own tests live in its module.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

use notary_storage::{Change, ChangeCategory, ChangeQuery, KeyStore, MetadataStore, NewFile, SealedKey, StoreError};
use time::OffsetDateTime;

/// What every case needs of a store.
trait Store: MetadataStore + KeyStore + Clone {}

impl<S: MetadataStore + KeyStore + Clone> Store for S {}

/// Generates `mod <case>` with one test per backend, each running `async fn <case>(&impl Store)`
/// on a store of its own.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite_file() {
                let db = crate::sqlite::TestDb::file().await;
                super::$case(&db.store).await;
                db.store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite_memory() {
                let db = crate::sqlite::TestDb::memory().await;
                super::$case(&db.store).await;
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = crate::postgres::TestDb::create().await;
                super::$case(&db.store).await;
                db.store.close().await;
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres_go_schema() {
                let db = crate::postgres::TestDb::with_go_server_schema().await;
                super::$case(&db.store).await;
                db.store.close().await;
            }
        }
    )*};
}

on_every_backend!(
    update_and_read_back,
    conflicting_update_writes_nothing,
    version_rule,
    duplicate_role_and_version_in_one_call,
    current_picks_highest_per_role,
    by_checksum_is_gun_and_role_exact,
    by_version_is_exact,
    delete_is_exact,
    changefeed_paging,
    keys,
    concurrent_updates_one_wins,
);

const GUN: &str = "example.com/coll";

fn new_file(role: &str, version: i64) -> NewFile {
    new_file_with(role, version, "")
}

/// A file whose bytes depend on role, version and `salt`.
fn new_file_with(role: &str, version: i64, salt: &str) -> NewFile {
    NewFile {
        role: role.to_owned(),
        version,
        data: format!(r#"{{"signed":{{"_type":"{role}","version":{version},"salt":"{salt}"}}}}"#).into_bytes(),
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

fn forward(change_id: i64, limit: i64) -> ChangeQuery {
    ChangeQuery {
        gun: None,
        change_id,
        limit,
        backward: false,
    }
}

fn backward(change_id: i64, limit: i64) -> ChangeQuery {
    ChangeQuery {
        backward: true,
        ..forward(change_id, limit)
    }
}

fn for_gun(gun: &str, query: ChangeQuery) -> ChangeQuery {
    ChangeQuery {
        gun: Some(gun.to_owned()),
        ..query
    }
}

async fn ids(store: &impl Store, query: ChangeQuery) -> Vec<i64> {
    store
        .changes(&query)
        .await
        .unwrap()
        .iter()
        .map(|change| change.id)
        .collect()
}

async fn all_changes(store: &impl Store) -> Vec<Change> {
    store.changes(&forward(0, 1000)).await.unwrap()
}

fn floor_micros(time: OffsetDateTime) -> OffsetDateTime {
    time.replace_nanosecond(time.nanosecond() / 1000 * 1000).unwrap()
}

fn assert_conflict(result: Result<(), StoreError>) {
    assert!(
        matches!(result, Err(StoreError::VersionConflict)),
        "expected VersionConflict, got {result:?}"
    );
}

async fn update_and_read_back(store: &impl Store) {
    let files = [
        new_file("root", 1),
        new_file("targets", 1),
        new_file("snapshot", 1),
        new_file("timestamp", 1),
    ];
    // PostgreSQL keeps microseconds (truncating): a stored time may precede `now` by less than 1 µs.
    let before = floor_micros(OffsetDateTime::now_utc());
    store.update_many(GUN, &files).await.unwrap();
    let after = OffsetDateTime::now_utc();

    let current = store.current(GUN).await.unwrap();
    assert_eq!(
        current.keys().collect::<Vec<_>>(),
        ["root", "snapshot", "targets", "timestamp"]
    );
    for file in &files {
        let stored = &current[&file.role];
        assert_eq!(stored.role, file.role);
        assert_eq!(stored.version, 1);
        assert_eq!(&*stored.data, file.data.as_slice());
        assert_eq!(stored.sha256, sha256_hex(&file.data));
        assert!(
            before <= stored.created_at && stored.created_at <= after,
            "{}",
            stored.created_at
        );
        assert_eq!(stored.created_at.offset(), time::UtcOffset::UTC);

        let by_version = store.by_version(GUN, &file.role, 1).await.unwrap();
        assert_eq!(by_version.as_ref(), Some(stored));
        let by_checksum = store.by_checksum(GUN, &file.role, &stored.sha256).await.unwrap();
        assert_eq!(by_checksum.as_ref(), Some(stored));
    }

    // Only the timestamp appends a changefeed record (item 58).
    let changes = all_changes(store).await;
    assert_eq!(changes.len(), 1);
    let change = &changes[0];
    assert_eq!(change.id, 1);
    assert_eq!(change.gun, GUN);
    assert_eq!(change.version, 1);
    assert_eq!(change.sha256, sha256_hex(&files[3].data));
    assert_eq!(change.category, ChangeCategory::Update);
    assert!(before <= change.created_at && change.created_at <= after);

    store.check_health().await.unwrap();
    assert!(store.current("new.example/x").await.unwrap().is_empty());
}

async fn conflicting_update_writes_nothing(store: &impl Store) {
    store
        .update_many(
            GUN,
            &[new_file("root", 1), new_file("targets", 1), new_file("timestamp", 1)],
        )
        .await
        .unwrap();

    // The root is a re-upload of version 1: the new targets and timestamp must not be stored either.
    let result = store
        .update_many(
            GUN,
            &[new_file("targets", 2), new_file("root", 1), new_file("timestamp", 2)],
        )
        .await;
    assert_conflict(result);

    let current = store.current(GUN).await.unwrap();
    assert_eq!(current["targets"].version, 1);
    assert_eq!(current["timestamp"].version, 1);
    assert_eq!(store.by_version(GUN, "targets", 2).await.unwrap(), None);
    assert_eq!(store.by_version(GUN, "timestamp", 2).await.unwrap(), None);
    assert_eq!(all_changes(store).await.len(), 1);

    // The store is still writable afterwards.
    store
        .update_many(GUN, &[new_file("targets", 2), new_file("timestamp", 2)])
        .await
        .unwrap();
    assert_eq!(all_changes(store).await.len(), 2);
}

async fn version_rule(store: &impl Store) {
    store.update_many(GUN, &[new_file("targets", 1)]).await.unwrap();
    // Jumps are allowed.
    store.update_many(GUN, &[new_file("targets", 5)]).await.unwrap();
    // Same and lower versions are not, whatever the bytes.
    assert_conflict(
        store
            .update_many(GUN, &[new_file_with("targets", 5, "other bytes")])
            .await,
    );
    assert_conflict(store.update_many(GUN, &[new_file("targets", 3)]).await);
    assert_conflict(store.update_many(GUN, &[new_file("targets", 1)]).await);
    store.update_many(GUN, &[new_file("targets", 6)]).await.unwrap();

    // The rule is per GUN and role: delegations, other roles and other GUNs are independent.
    store
        .update_many(GUN, &[new_file("root", 1), new_file("targets/a", 1)])
        .await
        .unwrap();
    store
        .update_many("example.com/other", &[new_file("targets", 1)])
        .await
        .unwrap();
    store
        .update_many("example.com/coll2", &[new_file("targets", 2)])
        .await
        .unwrap();
    assert_conflict(store.update_many(GUN, &[new_file("targets/a", 1)]).await);

    assert_eq!(store.current(GUN).await.unwrap()["targets"].version, 6);
    // Every version stays available.
    for version in [1, 5, 6] {
        assert!(store.by_version(GUN, "targets", version).await.unwrap().is_some());
    }
    assert_eq!(store.by_version(GUN, "targets", 3).await.unwrap(), None);
    // An empty update changes nothing.
    store.update_many(GUN, &[]).await.unwrap();
}

async fn duplicate_role_and_version_in_one_call(store: &impl Store) {
    assert_conflict(
        store
            .update_many(
                GUN,
                &[
                    new_file("root", 1),
                    new_file("targets", 2),
                    new_file_with("targets", 2, "x"),
                ],
            )
            .await,
    );
    assert_conflict(
        store
            .update_many(GUN, &[new_file("timestamp", 1), new_file("timestamp", 1)])
            .await,
    );
    assert!(store.current(GUN).await.unwrap().is_empty());
    assert!(all_changes(store).await.is_empty());

    // Go's rule compares with rows stored before the call: two versions of one role in one call
    // are both stored, and each timestamp gets its record.
    store
        .update_many(GUN, &[new_file("timestamp", 2), new_file("timestamp", 1)])
        .await
        .unwrap();
    assert_eq!(store.current(GUN).await.unwrap()["timestamp"].version, 2);
    let versions: Vec<i64> = all_changes(store).await.iter().map(|change| change.version).collect();
    assert_eq!(versions, [2, 1]);
}

async fn current_picks_highest_per_role(store: &impl Store) {
    store
        .update_many(
            GUN,
            &[
                new_file("root", 1),
                new_file("targets", 1),
                new_file("targets/a", 1),
                new_file("targets/a/b", 1),
            ],
        )
        .await
        .unwrap();
    store
        .update_many(GUN, &[new_file("targets", 2), new_file("targets/a", 3)])
        .await
        .unwrap();
    store
        .update_many(GUN, &[new_file("targets/a", 4), new_file("snapshot", 7)])
        .await
        .unwrap();
    // GUNs sharing a prefix must not leak in.
    store
        .update_many("example.com/col", &[new_file("root", 9), new_file("targets/a", 9)])
        .await
        .unwrap();
    store
        .update_many("example.com/coll/x", &[new_file("targets/c", 1)])
        .await
        .unwrap();

    let current = store.current(GUN).await.unwrap();
    let versions: Vec<(&str, i64)> = current
        .iter()
        .map(|(role, file)| (role.as_str(), file.version))
        .collect();
    assert_eq!(
        versions,
        [
            ("root", 1),
            ("snapshot", 7),
            ("targets", 2),
            ("targets/a", 4),
            ("targets/a/b", 1)
        ]
    );
    assert_eq!(&*current["targets/a"].data, new_file("targets/a", 4).data.as_slice());
    for (role, file) in &current {
        assert_eq!(role, &file.role);
        assert_eq!(file.sha256, sha256_hex(&file.data));
    }

    let col = store.current("example.com/col").await.unwrap();
    assert_eq!(col.len(), 2);
    assert_eq!(col["root"].version, 9);
}

async fn by_checksum_is_gun_and_role_exact(store: &impl Store) {
    let root = new_file("root", 1);
    let root_sha = sha256_hex(&root.data);
    store
        .update_many(GUN, &[root.clone(), new_file("targets", 1)])
        .await
        .unwrap();
    store.update_many(GUN, &[new_file("root", 2)]).await.unwrap();

    // An old version stays reachable by checksum.
    let found = store.by_checksum(GUN, "root", &root_sha).await.unwrap().unwrap();
    assert_eq!(found.version, 1);
    assert_eq!(&*found.data, root.data.as_slice());

    // A root's checksum asked as `targets` (server-api.md §11 item 19), another GUN, a prefix of
    // the GUN, the upper-case form or an unknown checksum: nothing.
    assert_eq!(store.by_checksum(GUN, "targets", &root_sha).await.unwrap(), None);
    assert_eq!(
        store.by_checksum("example.com/other", "root", &root_sha).await.unwrap(),
        None
    );
    assert_eq!(
        store.by_checksum("example.com/col", "root", &root_sha).await.unwrap(),
        None
    );
    assert_eq!(
        store.by_checksum(GUN, "root", &root_sha.to_uppercase()).await.unwrap(),
        None
    );
    assert_eq!(
        store.by_checksum(GUN, "root", &sha256_hex(b"nothing")).await.unwrap(),
        None
    );
}

async fn by_version_is_exact(store: &impl Store) {
    store
        .update_many(GUN, &[new_file("root", 1), new_file("targets/a", 3)])
        .await
        .unwrap();
    store
        .update_many("example.com/col", &[new_file("root", 2)])
        .await
        .unwrap();

    assert_eq!(store.by_version(GUN, "targets/a", 3).await.unwrap().unwrap().version, 3);
    assert_eq!(store.by_version(GUN, "targets", 3).await.unwrap(), None);
    assert_eq!(store.by_version(GUN, "root", 2).await.unwrap(), None);
    assert_eq!(store.by_version(GUN, "root", 0).await.unwrap(), None);
    assert_eq!(store.by_version("example.com/col", "root", 1).await.unwrap(), None);
}

async fn delete_is_exact(store: &impl Store) {
    for gun in ["a", "ab", "a/b"] {
        store
            .update_many(
                gun,
                &[new_file("root", 1), new_file("targets/x", 1), new_file("timestamp", 1)],
            )
            .await
            .unwrap();
    }
    let records_before = all_changes(store).await.len();
    assert_eq!(records_before, 3);

    assert!(store.delete("a").await.unwrap());
    assert!(store.current("a").await.unwrap().is_empty());
    assert_eq!(store.by_version("a", "root", 1).await.unwrap(), None);
    let root_sha = sha256_hex(&new_file("root", 1).data);
    assert_eq!(store.by_checksum("a", "root", &root_sha).await.unwrap(), None);
    // Deleting `a` keeps `ab` and `a/b`.
    assert_eq!(store.current("ab").await.unwrap().len(), 3);
    assert_eq!(store.current("a/b").await.unwrap().len(), 3);

    // One deletion record: version 0, empty checksum (server-api.md §11 item 59).
    let changes = all_changes(store).await;
    assert_eq!(changes.len(), records_before + 1);
    let last = changes.last().unwrap();
    assert_eq!((last.gun.as_str(), last.version, last.sha256.as_str()), ("a", 0, ""));
    assert_eq!(last.category, ChangeCategory::Deletion);

    // Nothing left to delete: no record.
    assert!(!store.delete("a").await.unwrap());
    assert!(!store.delete("never.example/x").await.unwrap());
    assert_eq!(all_changes(store).await.len(), records_before + 1);

    // The GUN can be published again from version 1.
    store.update_many("a", &[new_file("root", 1)]).await.unwrap();
}

/// server-api.md §11 items 50–59, with the SQL semantics of §7.9.
async fn changefeed_paging(store: &impl Store) {
    const A: &str = "example.com/coll";
    const B: &str = "example.com/coll2";
    let mut timestamps = Vec::new();
    for (gun, version) in [(A, 1), (B, 1), (A, 2), (B, 2), (A, 3)] {
        let file = new_file_with("timestamp", version, gun);
        timestamps.push((gun, file.clone()));
        store
            .update_many(gun, &[new_file("snapshot", version), file])
            .await
            .unwrap();
    }
    assert!(store.delete(B).await.unwrap());

    // Item 50: a large page holds everything, oldest first.
    assert_eq!(ids(store, forward(0, 100)).await, [1, 2, 3, 4, 5, 6]);
    // Item 51: the two oldest.
    assert_eq!(ids(store, forward(0, 2)).await, [1, 2]);
    assert_eq!(ids(store, forward(4, 10)).await, [5, 6]);
    // Item 52: change_id -1 pages backwards from the newest.
    assert_eq!(ids(store, backward(-1, 2)).await, [5, 6]);
    // Item 53: records=-2, change_id=5 → IDs 3 and 4.
    assert_eq!(ids(store, backward(5, 2)).await, [3, 4]);
    // Item 54: records=-2 without change_id → the two newest.
    assert_eq!(ids(store, backward(0, 2)).await, [5, 6]);
    assert_eq!(ids(store, backward(2, 5)).await, [1]);
    assert_eq!(ids(store, backward(-1, 100)).await, [1, 2, 3, 4, 5, 6]);
    // Item 55: nothing after the newest; nothing before the oldest.
    assert!(ids(store, forward(6, 10)).await.is_empty());
    assert!(ids(store, backward(1, 10)).await.is_empty());
    // A non-positive limit selects nothing.
    assert!(ids(store, forward(0, 0)).await.is_empty());

    // Item 56: the per-GUN feed matches the GUN exactly.
    assert_eq!(ids(store, for_gun(A, forward(0, 10))).await, [1, 3, 5]);
    assert_eq!(ids(store, for_gun(A, forward(1, 1))).await, [3]);
    assert_eq!(ids(store, for_gun(A, backward(-1, 2))).await, [3, 5]);
    assert_eq!(ids(store, for_gun(B, backward(4, 10))).await, [2]);
    assert_eq!(ids(store, for_gun(B, backward(0, 10))).await, [2, 4, 6]);
    assert!(ids(store, for_gun("example.com/col", forward(0, 10))).await.is_empty());
    assert!(ids(store, for_gun("new.example/x", backward(-1, 10))).await.is_empty());

    // Items 57–59: record contents.
    let changes = all_changes(store).await;
    for (change, (gun, file)) in changes.iter().zip(&timestamps) {
        assert_eq!(change.gun, *gun);
        assert_eq!(change.version, file.version);
        assert_eq!(change.sha256, sha256_hex(&file.data));
        assert_eq!(change.category, ChangeCategory::Update);
    }
    // Item 58 through the store: the record's checksum is the stored timestamp's.
    let stored = store.by_version(A, "timestamp", 3).await.unwrap().unwrap();
    assert_eq!(changes[4].sha256, stored.sha256);
    let deletion = &changes[5];
    assert_eq!(
        (deletion.gun.as_str(), deletion.version, deletion.sha256.as_str()),
        (B, 0, "")
    );
    assert_eq!(deletion.category, ChangeCategory::Deletion);
    assert!(changes.windows(2).all(|pair| pair[0].created_at <= pair[1].created_at));
}

fn sealed_key(key_id: &str, role: &str, algorithm: &str) -> SealedKey {
    SealedKey {
        keywrap_alg: "PBES2-HS256+A128KW".into(),
        key_id: key_id.to_owned(),
        gun: GUN.to_owned(),
        role: role.to_owned(),
        algorithm: algorithm.to_owned(),
        public: format!("public of {key_id}").into_bytes(),
        sealed_private: format!("SEALED-SECRET-OF-{key_id}").into_bytes(),
        passphrase_alias: "alias1".to_owned(),
        used: false,
    }
}

async fn keys(store: &impl Store) {
    // `b…` is stored first: "oldest" is by insertion, not by key ID.
    let first = sealed_key("bbbb", "timestamp", "ecdsa");
    let second = sealed_key("aaaa", "timestamp", "ecdsa");
    store.put_key(&first).await.unwrap();
    store.put_key(&second).await.unwrap();
    assert_eq!(store.key("bbbb").await.unwrap(), Some(first.clone()));
    assert_eq!(store.key("aaaa").await.unwrap(), Some(second.clone()));
    assert_eq!(store.key("cccc").await.unwrap(), None);

    // The key ID is unique, and the error never shows key bytes.
    let mut again = sealed_key("bbbb", "snapshot", "ed25519");
    again.sealed_private = b"SEALED-SECRET-DUPLICATE".to_vec();
    let Err(StoreError::Backend(message)) = store.put_key(&again).await else {
        panic!("a duplicate key ID must fail");
    };
    assert!(!message.contains("SECRET"), "{message}");
    assert_eq!(store.key("bbbb").await.unwrap(), Some(first.clone()));

    assert_eq!(
        store.unused_key(GUN, "timestamp", "ecdsa").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.unused_key(GUN, "snapshot", "ecdsa").await.unwrap(), None);
    assert_eq!(store.unused_key(GUN, "timestamp", "ed25519").await.unwrap(), None);
    assert_eq!(
        store.unused_key("example.com/col", "timestamp", "ecdsa").await.unwrap(),
        None
    );

    store.mark_used("bbbb").await.unwrap();
    assert!(store.key("bbbb").await.unwrap().unwrap().used);
    assert_eq!(store.unused_key(GUN, "timestamp", "ecdsa").await.unwrap(), Some(second));
    store.mark_used("aaaa").await.unwrap();
    store.mark_used("aaaa").await.unwrap();
    assert_eq!(store.unused_key(GUN, "timestamp", "ecdsa").await.unwrap(), None);
    store.mark_used("unknown").await.unwrap();

    // A key stored as used is never handed out again.
    let used = SealedKey {
        used: true,
        ..sealed_key("dddd", "snapshot", "ecdsa")
    };
    store.put_key(&used).await.unwrap();
    assert_eq!(store.key("dddd").await.unwrap(), Some(used));
    assert_eq!(store.unused_key(GUN, "snapshot", "ecdsa").await.unwrap(), None);

    // Soft delete: gone for every call, also as a pending key; unknown IDs are fine.
    store.put_key(&sealed_key("eeee", "snapshot", "ecdsa")).await.unwrap();
    store.delete_key("eeee").await.unwrap();
    assert_eq!(store.key("eeee").await.unwrap(), None);
    assert_eq!(store.unused_key(GUN, "snapshot", "ecdsa").await.unwrap(), None);
    store.delete_key("unknown").await.unwrap();

    // Listing and re-sealing (deleted keys are not listed).
    let ids: Vec<String> = store.all_keys().await.unwrap().into_iter().map(|k| k.key_id).collect();
    assert!(
        !ids.contains(&"eeee".to_owned()) && ids.contains(&"dddd".to_owned()),
        "{ids:?}"
    );
    store.reseal_key("dddd", b"resealed", "new-alias").await.unwrap();
    let dddd = store.key("dddd").await.unwrap().unwrap();
    assert_eq!(
        (dddd.sealed_private.as_slice(), dddd.passphrase_alias.as_str()),
        (&b"resealed"[..], "new-alias")
    );
}

async fn concurrent_updates_one_wins(store: &impl Store) {
    const TASKS: usize = 8;
    for version in 1..=5 {
        let handles: Vec<_> = (0..TASKS)
            .map(|task| {
                let store = store.clone();
                tokio::spawn(async move {
                    let file = new_file_with("timestamp", version, &task.to_string());
                    store.update_many(GUN, &[new_file("snapshot", version), file]).await
                })
            })
            .collect();
        let mut wins = 0;
        for handle in handles {
            match handle.await.unwrap() {
                Ok(()) => wins += 1,
                Err(StoreError::VersionConflict) => {}
                Err(err) => panic!("unexpected error: {err}"),
            }
        }
        assert_eq!(wins, 1, "version {version}");
    }
    assert_eq!(all_changes(store).await.len(), 5);

    // Different GUNs never conflict.
    let handles: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .update_many(&format!("gun/{task}"), &[new_file("timestamp", 1)])
                    .await
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(all_changes(store).await.len(), 5 + TASKS);
}
