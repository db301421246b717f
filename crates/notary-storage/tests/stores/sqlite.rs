//! The SQLite stores under test, and what only a SQLite file does.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use notary_storage::sqlite::SqliteStore;
use notary_storage::{KeyStore, MetadataStore};
use time::OffsetDateTime;

use crate::{GUN, all_changes, assert_conflict, backward, ids, new_file, sealed_key};

/// A store under test; a file store's directory is removed on drop.
pub(crate) struct TestDb {
    pub(crate) store: SqliteStore,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub(crate) async fn file() -> TestDb {
        let dir = unique_dir();
        // A parent directory that does not exist yet: `open` creates it.
        let store = SqliteStore::open(&db_path(&dir)).await.unwrap();
        TestDb { store, dir: Some(dir) }
    }

    pub(crate) async fn memory() -> TestDb {
        TestDb {
            store: SqliteStore::open_in_memory().await.unwrap(),
            dir: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let dir = std::env::temp_dir().join(format!(
        "notary-storage-test-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("nested").join("notary.sqlite")
}

#[tokio::test]
async fn reopen_keeps_data() {
    let dir = unique_dir();
    let path = db_path(&dir);
    let files = [new_file("root", 1), new_file("targets", 1), new_file("timestamp", 1)];
    let key = sealed_key("kkkk", "timestamp", "ecdsa");

    let store = SqliteStore::open(&path).await.unwrap();
    store.update_many(GUN, &files).await.unwrap();
    store
        .update_many("example.com/gone", &[new_file("timestamp", 1)])
        .await
        .unwrap();
    assert!(store.delete("example.com/gone").await.unwrap());
    store.put_key(&key).await.unwrap();
    let current = store.current(GUN).await.unwrap();
    let changes = all_changes(&store).await;
    store.close().await;

    // Migrations are not applied twice, and everything committed is still there.
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.current(GUN).await.unwrap(), current);
    assert_eq!(all_changes(&store).await, changes);
    assert_eq!(store.key("kkkk").await.unwrap(), Some(key));
    assert_conflict(store.update_many(GUN, &[new_file("targets", 1)]).await);
    // Changefeed IDs keep increasing.
    store.update_many(GUN, &[new_file("timestamp", 2)]).await.unwrap();
    assert_eq!(ids(&store, backward(-1, 1)).await, [4]);
    store.check_health().await.unwrap();

    // A second store on the same file (another process, say) sees the same data.
    let other = SqliteStore::open(&path).await.unwrap();
    assert_eq!(other.current(GUN).await.unwrap()["timestamp"].version, 2);
    other.close().await;
    store.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
