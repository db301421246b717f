//! The built-in (`"local"`) signing service (server-behaviour.md §3.3, §7): Go's local trust
//! service, made durable.
//!
//! - New keys are Ed25519, whatever `key_algorithm` says (§3.3), and sign with method `eddsa`.
//! - Each private key (its 32-byte seed) is sealed by a [`Sealer`] and stored in a [`KeyStore`];
//!   the sealed blob is bound to its row (key ID, GUN, role, algorithm), so a restart keeps the
//!   keys (unlike Go, §7.3) and a blob copied into another row does not open.
//! - `create_key` hands out the oldest key made for the GUN/role that never signed, else a new one
//!   (Go's SQL signer semantics, §7.1–§7.2, checklist 41–42); the first signature marks a key used.
//! - Unsealed keys are cached in memory, so signing does no key derivation and no database read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use aws_lc_rs::rand;
use aws_lc_rs::signature::Ed25519KeyPair;
use notary_storage::{KeyStore, SealedKey, StoreError};
use notary_tuf::metadata::Signature;
use notary_tuf::sign::PrivateKey;
use notary_tuf::{KeyId, KeyType, PublicKey};
use zeroize::Zeroizing;

use super::sealing::{SealError, Sealer};
use super::{TrustError, TrustService};

/// The local signing service: Ed25519 keys sealed at rest in a [`KeyStore`].
pub struct LocalTrust<K: KeyStore> {
    store: Arc<K>,
    sealer: Sealer,
    /// Unsealed keys by TUF key ID.
    keys: RwLock<HashMap<KeyId, Arc<CachedKey>>>,
    /// Serialises `create_key`, so concurrent requests for one GUN/role get the same pending key.
    creating: tokio::sync::Mutex<()>,
}

struct CachedKey {
    key: PrivateKey,
    public: PublicKey,
    /// Whether the store already records this key as used.
    used: AtomicBool,
}

impl<K: KeyStore> LocalTrust<K> {
    /// A service over `store` whose new keys are sealed by `sealer` (and stored with its alias).
    pub fn new(store: Arc<K>, sealer: Sealer) -> Self {
        LocalTrust {
            store,
            sealer,
            keys: RwLock::new(HashMap::new()),
            creating: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, key_id: &KeyId) -> Option<Arc<CachedKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key_id)
            .cloned()
    }

    fn cache(&self, key_id: KeyId, key: CachedKey) -> Arc<CachedKey> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(keys.entry(key_id).or_insert_with(|| Arc::new(key)))
    }

    /// The cached key, else the stored one unsealed (off the async workers: opening a blob
    /// sealed before a restart under a passphrase runs PBKDF2 once for its salt).
    async fn private_key(&self, key_id: &KeyId) -> Result<Arc<CachedKey>, TrustError> {
        if let Some(key) = self.cached(key_id) {
            return Ok(key);
        }
        let row = self
            .store
            .key(key_id.as_str())
            .await
            .map_err(unavailable)?
            .ok_or_else(|| TrustError::KeyNotFound(key_id.to_string()))?;
        if row.passphrase_alias != self.sealer.alias() {
            return Err(TrustError::Other(format!(
                "key {key_id} is sealed under secret {:?}, but this server's sealing secret is {:?}",
                row.passphrase_alias,
                self.sealer.alias()
            )));
        }
        let sealer = self.sealer.clone();
        let used = row.used;
        let key = tokio::task::spawn_blocking(move || unseal(&sealer, &row))
            .await
            .map_err(|_| TrustError::Other(format!("unsealing key {key_id} was interrupted")))??;
        let public = key.public_key();
        if public.key_id() != *key_id {
            return Err(TrustError::Other(format!("stored key {key_id} holds a different key")));
        }
        Ok(self.cache(
            key_id.clone(),
            CachedKey {
                key,
                public,
                used: AtomicBool::new(used),
            },
        ))
    }

    async fn generate(&self, gun: &str, role: &str) -> Result<PublicKey, TrustError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rand::fill(seed.as_mut_slice()).map_err(|_| TrustError::Other("the random generator failed".to_owned()))?;
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_slice())
            .map_err(|_| TrustError::Other("cannot build an ed25519 key".to_owned()))?;
        let key = PrivateKey::Ed25519(pair);
        let public = key.public_key();
        let key_id = public.key_id();
        let aad = row_aad(key_id.as_str(), gun, role, ALGORITHM);
        let sealed_private = self
            .sealer
            .seal(seed.as_slice(), &aad)
            .map_err(|e| sealing(&key_id, e))?;
        self.store
            .put_key(&SealedKey {
                keywrap_alg: notary_storage::LOCAL_SEAL_FORMAT.into(),
                key_id: key_id.to_string(),
                gun: gun.to_owned(),
                role: role.to_owned(),
                algorithm: ALGORITHM.to_owned(),
                public: public.public_bytes().to_vec(),
                sealed_private,
                passphrase_alias: self.sealer.alias().to_owned(),
                used: false,
            })
            .await
            .map_err(unavailable)?;
        tracing::info!(%gun, %role, key_id = %key_id, "created server-held ed25519 key");
        self.cache(
            key_id,
            CachedKey {
                key,
                public: public.clone(),
                used: AtomicBool::new(false),
            },
        );
        Ok(public)
    }
}

impl<K: KeyStore> TrustService for LocalTrust<K> {
    async fn key_info(&self, key_id: &KeyId) -> Result<Option<PublicKey>, TrustError> {
        if let Some(key) = self.cached(key_id) {
            return Ok(Some(key.public.clone()));
        }
        let Some(row) = self.store.key(key_id.as_str()).await.map_err(unavailable)? else {
            return Ok(None);
        };
        Ok(Some(stored_public(&row)?))
    }

    async fn create_key(&self, gun: &str, role: &str) -> Result<PublicKey, TrustError> {
        let _creating = self.creating.lock().await;
        if let Some(row) = self.store.unused_key(gun, role, ALGORITHM).await.map_err(unavailable)? {
            if row.passphrase_alias == self.sealer.alias() {
                return stored_public(&row);
            }
            // Not ours to sign with: leave it, and make a key this server can use.
            tracing::warn!(
                %gun, %role, key_id = %row.key_id, alias = %row.passphrase_alias,
                "pending key is sealed under another secret; creating a new key"
            );
        }
        self.generate(gun, role).await
    }

    async fn sign(&self, key_id: &KeyId, canonical: &[u8]) -> Result<Signature, TrustError> {
        let key = self.private_key(key_id).await?;
        // Marked before signing, so no signature exists from a key `create_key` might hand out
        // again. Concurrent first signatures may both mark: `mark_used` is idempotent.
        if !key.used.load(Ordering::Acquire) {
            self.store.mark_used(key_id.as_str()).await.map_err(unavailable)?;
            key.used.store(true, Ordering::Release);
        }
        key.key
            .sign(key_id.clone(), canonical)
            .map_err(|_| TrustError::Other(format!("signing with key {key_id} failed")))
    }
}

/// The private key in `row`, unsealed and checked against the row's public key.
fn unseal(sealer: &Sealer, row: &SealedKey) -> Result<PrivateKey, TrustError> {
    let key_id = KeyId::new(row.key_id.as_str());
    if row.algorithm != ALGORITHM {
        return Err(TrustError::Other(format!(
            "key {key_id} has algorithm {:?}; the local signing service only holds {ALGORITHM} keys",
            row.algorithm
        )));
    }
    let aad = row_aad(&row.key_id, &row.gun, &row.role, &row.algorithm);
    let seed = sealer
        .open(&row.sealed_private, &aad)
        .map_err(|e| sealing(&key_id, e))?;
    PrivateKey::ed25519_from_seed(&seed, &row.public)
        .map_err(|_| TrustError::Other(format!("stored key {key_id} does not match its public key")))
}

/// The public key of a stored row, checked to have the row's key ID.
fn stored_public(row: &SealedKey) -> Result<PublicKey, TrustError> {
    let key_type = match row.algorithm.as_str() {
        "ecdsa" => KeyType::Ecdsa,
        "ed25519" => KeyType::Ed25519,
        "rsa" => KeyType::Rsa,
        other => {
            return Err(TrustError::Other(format!(
                "stored key {} has unknown algorithm {other:?}",
                row.key_id
            )));
        }
    };
    let public = PublicKey::new(key_type, row.public.clone());
    if public.key_id().as_str() != row.key_id {
        return Err(TrustError::Other(format!(
            "stored key {} does not match its public key",
            row.key_id
        )));
    }
    Ok(public)
}

/// The AEAD additional data binding a sealed key to its row: a label, then each field
/// length-prefixed (u32 big-endian), so no two rows share an encoding.
fn row_aad(key_id: &str, gun: &str, role: &str, algorithm: &str) -> Vec<u8> {
    let fields = [key_id, gun, role, algorithm];
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + fields.iter().map(|f| 4 + f.len()).sum::<usize>());
    aad.extend_from_slice(AAD_LABEL);
    for field in fields {
        // Lengths above u32::MAX cannot occur for names the server accepts; saturate regardless.
        aad.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(field.as_bytes());
    }
    aad
}

fn unavailable(err: StoreError) -> TrustError {
    TrustError::Unavailable(err.to_string())
}

fn sealing(key_id: &KeyId, err: SealError) -> TrustError {
    TrustError::Other(format!("key {key_id}: {err}"))
}

/// The algorithm of every key this service makes (Go's local trust service: §3.3).
const ALGORITHM: &str = "ed25519";
const SEED_LEN: usize = 32;
const AAD_LABEL: &[u8] = b"notary-rs local trust key v1\0";

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use notary_tuf::Method;

    use super::*;

    /// A key store in a map; `put_order` keeps "oldest first".
    #[derive(Default)]
    struct MapStore {
        rows: Mutex<BTreeMap<String, (u64, SealedKey)>>,
        mark_calls: Mutex<u32>,
    }

    impl KeyStore for MapStore {
        async fn put_key(&self, key: &SealedKey) -> Result<(), StoreError> {
            let mut rows = self.rows.lock().unwrap();
            let order = rows.len() as u64;
            assert!(rows.insert(key.key_id.clone(), (order, key.clone())).is_none());
            Ok(())
        }

        async fn key(&self, key_id: &str) -> Result<Option<SealedKey>, StoreError> {
            Ok(self.rows.lock().unwrap().get(key_id).map(|(_, k)| k.clone()))
        }

        async fn unused_key(&self, gun: &str, role: &str, algorithm: &str) -> Result<Option<SealedKey>, StoreError> {
            let rows = self.rows.lock().unwrap();
            Ok(rows
                .values()
                .filter(|(_, k)| !k.used && k.gun == gun && k.role == role && k.algorithm == algorithm)
                .min_by_key(|(order, _)| *order)
                .map(|(_, k)| k.clone()))
        }

        async fn delete_key(&self, key_id: &str) -> Result<(), StoreError> {
            self.rows.lock().unwrap().remove(key_id);
            Ok(())
        }

        async fn all_keys(&self) -> Result<Vec<SealedKey>, StoreError> {
            Ok(self.rows.lock().unwrap().values().map(|(_, k)| k.clone()).collect())
        }

        async fn reseal_key(&self, key_id: &str, sealed: &[u8], alias: &str) -> Result<(), StoreError> {
            if let Some((_, k)) = self.rows.lock().unwrap().get_mut(key_id) {
                k.sealed_private = sealed.to_vec();
                k.passphrase_alias = alias.to_owned();
            }
            Ok(())
        }

        async fn mark_used(&self, key_id: &str) -> Result<(), StoreError> {
            *self.mark_calls.lock().unwrap() += 1;
            if let Some((_, k)) = self.rows.lock().unwrap().get_mut(key_id) {
                k.used = true;
            }
            Ok(())
        }
    }

    fn sealer() -> Sealer {
        Sealer::from_key("test-key", [3u8; 32]).unwrap()
    }

    fn trust() -> (Arc<MapStore>, LocalTrust<MapStore>) {
        let store = Arc::new(MapStore::default());
        (Arc::clone(&store), LocalTrust::new(Arc::clone(&store), sealer()))
    }

    #[tokio::test]
    async fn create_key_returns_the_pending_key_until_it_signs() {
        let (store, trust) = trust();
        let a = trust.create_key("example.com/app", "timestamp").await.unwrap();
        assert_eq!(a.key_type(), &KeyType::Ed25519);
        assert_eq!(a.public_bytes().len(), 32);
        assert_eq!(trust.create_key("example.com/app", "timestamp").await.unwrap(), a);
        // Other role or GUN: another key.
        let snapshot = trust.create_key("example.com/app", "snapshot").await.unwrap();
        let other_gun = trust.create_key("example.com/other", "timestamp").await.unwrap();
        assert_ne!(snapshot, a);
        assert_ne!(other_gun, a);

        trust.sign(&a.key_id(), b"{}").await.unwrap();
        trust.sign(&a.key_id(), b"{}").await.unwrap();
        assert_eq!(
            *store.mark_calls.lock().unwrap(),
            1,
            "only the first signature marks the key"
        );
        let b = trust.create_key("example.com/app", "timestamp").await.unwrap();
        assert_ne!(b, a);
        assert_eq!(trust.create_key("example.com/app", "timestamp").await.unwrap(), b);
    }

    #[tokio::test]
    async fn signature_verifies_with_the_returned_public_key() {
        let (_, trust) = trust();
        let public = trust.create_key("gun", "timestamp").await.unwrap();
        let canonical = br#"{"_type":"Timestamp","version":1}"#;
        let sig = trust.sign(&public.key_id(), canonical).await.unwrap();
        assert_eq!(sig.key_id, public.key_id());
        assert_eq!(sig.method, Method::Eddsa);
        public.verify(&sig.method, canonical, &sig.sig).unwrap();
        assert!(public.verify(&sig.method, b"other", &sig.sig).is_err());
    }

    #[tokio::test]
    async fn key_info_by_tuf_key_id() {
        let (store, trust) = trust();
        let public = trust.create_key("gun", "snapshot").await.unwrap();
        assert_eq!(trust.key_info(&public.key_id()).await.unwrap(), Some(public.clone()));
        assert_eq!(trust.key_info(&KeyId::new("ab".repeat(32))).await.unwrap(), None);
        // From the store too (a fresh service with an empty cache).
        let fresh = LocalTrust::new(store, sealer());
        assert_eq!(fresh.key_info(&public.key_id()).await.unwrap(), Some(public));
    }

    #[tokio::test]
    async fn unknown_key_cannot_sign() {
        let (_, trust) = trust();
        let err = trust.sign(&KeyId::new("cd".repeat(32)), b"{}").await.unwrap_err();
        assert!(matches!(err, TrustError::KeyNotFound(_)), "{err}");
    }

    #[tokio::test]
    async fn stored_row_is_sealed_and_bound_to_its_row() {
        let (store, trust) = trust();
        let public = trust.create_key("gun", "timestamp").await.unwrap();
        let row = store.key(public.key_id().as_str()).await.unwrap().unwrap();
        assert_eq!(row.algorithm, "ed25519");
        assert_eq!(row.passphrase_alias, "test-key");
        assert_eq!(row.public, public.public_bytes());
        assert!(!row.used);

        let seed = sealer()
            .open(
                &row.sealed_private,
                &row_aad(&row.key_id, "gun", "timestamp", "ed25519"),
            )
            .unwrap();
        assert_eq!(seed.len(), 32);
        assert!(!row.sealed_private.windows(8).any(|w| seed.windows(8).any(|s| s == w)));

        // The same blob moved into another row (the snapshot key of the same GUN) fails to open.
        let other = trust.create_key("gun", "snapshot").await.unwrap();
        {
            let mut rows = store.rows.lock().unwrap();
            rows.get_mut(other.key_id().as_str()).unwrap().1.sealed_private = row.sealed_private.clone();
        }
        let fresh = LocalTrust::new(Arc::clone(&store), sealer());
        assert!(matches!(
            fresh.sign(&other.key_id(), b"{}").await,
            Err(TrustError::Other(_))
        ));
        // Opening with the wrong secret fails too, without leaking anything but the key ID.
        let wrong = LocalTrust::new(store, Sealer::from_key("test-key", [4u8; 32]).unwrap());
        let err = wrong.sign(&public.key_id(), b"{}").await.unwrap_err().to_string();
        assert!(err.contains("wrong secret"), "{err}");
    }

    #[tokio::test]
    async fn keys_survive_a_new_service_over_the_same_store() {
        let (store, trust) = trust();
        let public = trust.create_key("gun", "timestamp").await.unwrap();
        drop(trust);
        let restarted = LocalTrust::new(Arc::clone(&store), sealer());
        let sig = restarted.sign(&public.key_id(), b"{}").await.unwrap();
        public.verify(&sig.method, b"{}", &sig.sig).unwrap();
        assert!(store.key(public.key_id().as_str()).await.unwrap().unwrap().used);
    }

    #[tokio::test]
    async fn another_alias_is_refused_at_signing_and_not_handed_out() {
        let (store, trust) = trust();
        let public = trust.create_key("gun", "timestamp").await.unwrap();
        let other = LocalTrust::new(Arc::clone(&store), Sealer::from_key("rotated", [3u8; 32]).unwrap());
        let err = other.sign(&public.key_id(), b"{}").await.unwrap_err().to_string();
        assert!(err.contains("rotated"), "{err}");
        assert_ne!(other.create_key("gun", "timestamp").await.unwrap(), public);
    }

    #[tokio::test]
    async fn restart_over_sqlite_signs_with_the_old_key() {
        use notary_storage::sqlite::SqliteStore;
        use notary_testkit::WorkDir;

        let dir = WorkDir::new("local-trust-restart");
        let (db, key_file) = (dir.path("notary.db"), dir.path("sealing.key"));

        let store = Arc::new(SqliteStore::open(&db).await.unwrap());
        let sealer = Sealer::load_or_create_key_file(&key_file, "default").unwrap();
        let trust = LocalTrust::new(Arc::clone(&store), sealer);
        let public = trust.create_key("example.com/app", "timestamp").await.unwrap();
        assert_eq!(trust.create_key("example.com/app", "timestamp").await.unwrap(), public);
        drop(trust);
        store.close().await;
        drop(store);

        let store = Arc::new(SqliteStore::open(&db).await.unwrap());
        let sealer = Sealer::load_or_create_key_file(&key_file, "default").unwrap();
        let trust = LocalTrust::new(Arc::clone(&store), sealer);
        assert_eq!(trust.key_info(&public.key_id()).await.unwrap(), Some(public.clone()));
        assert_eq!(trust.create_key("example.com/app", "timestamp").await.unwrap(), public);
        let canonical = br#"{"_type":"Timestamp"}"#;
        let sig = trust.sign(&public.key_id(), canonical).await.unwrap();
        public.verify(&sig.method, canonical, &sig.sig).unwrap();
        assert!(store.key(public.key_id().as_str()).await.unwrap().unwrap().used);
        assert_ne!(trust.create_key("example.com/app", "timestamp").await.unwrap(), public);
        store.close().await;
        dir.done();
    }

    #[test]
    fn aad_fields_cannot_run_together() {
        assert_ne!(row_aad("ab", "c", "d", "e"), row_aad("a", "bc", "d", "e"));
    }
}
