//! Re-sealing every stored key under a new passphrase alias (`notary-signer -config FILE
//! -reseal-to ALIAS`): Go has no way to rotate the passphrase short of keeping every old alias's
//! variable set forever; this opens each key with its own alias's passphrase and seals it again
//! under the new one, row by row.

use notary_storage::KeyStore;

use crate::keys::{self, KeyAlgorithm, Passphrases};

/// What a re-seal did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResealReport {
    /// Keys now sealed under the new alias that were not before.
    pub resealed: usize,
    /// Keys that already were.
    pub unchanged: usize,
}

/// Why a re-seal stopped. Keys re-sealed before the failure stay re-sealed (each row is updated
/// on its own and stays readable under its recorded alias either way).
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// A key could not be opened or sealed (e.g. its alias's passphrase is not set).
    #[error("key {key_id}: {source}")]
    Key {
        /// The key.
        key_id: String,
        /// Why.
        source: keys::KeyError,
    },
    /// The store failed.
    #[error("{0}")]
    Store(#[from] notary_storage::StoreError),
}

/// Re-seals every key not yet under `new_alias` with that alias's passphrase.
pub async fn reseal_all<K: KeyStore>(
    store: &K,
    passphrases: &Passphrases,
    new_alias: &str,
) -> Result<ResealReport, ResealError> {
    // Fail before touching anything when the new alias has no passphrase.
    passphrases.passphrase(new_alias).map_err(|source| ResealError::Key {
        key_id: String::new(),
        source,
    })?;
    let mut report = ResealReport::default();
    for key in store.all_keys().await? {
        if key.passphrase_alias == new_alias {
            report.unchanged += 1;
            continue;
        }
        let fail = |source| ResealError::Key {
            key_id: key.key_id.clone(),
            source,
        };
        let algorithm: KeyAlgorithm = key.algorithm.parse().map_err(fail)?;
        let old_passphrase = passphrases.passphrase(&key.passphrase_alias).map_err(fail)?;
        let jwe = String::from_utf8(key.sealed_private.clone()).map_err(|_| {
            fail(keys::KeyError::Malformed {
                reason: "sealed key is not JWE text",
            })
        })?;
        let new_passphrase = passphrases.passphrase(new_alias).map_err(fail)?;
        let public = key.public.clone();
        let sealed = tokio::task::spawn_blocking(move || {
            let material = keys::open(&jwe, algorithm, old_passphrase, Some(&public))?;
            keys::seal(&material, new_passphrase)
        })
        .await
        .map_err(|_| {
            fail(keys::KeyError::Crypto {
                operation: "re-seal task",
            })
        })?
        .map_err(fail)?;
        store.reseal_key(&key.key_id, sealed.as_bytes(), new_alias).await?;
        report.resealed += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use notary_storage::SealedKey;
    use notary_storage::sqlite::SqliteStore;

    use super::*;

    fn passphrases() -> Passphrases {
        Passphrases::from_lookup(|name| match name {
            "NOTARY_SIGNER_OLD" => Some("old passphrase".into()),
            "NOTARY_SIGNER_NEW" => Some("new passphrase".into()),
            _ => None,
        })
    }

    #[tokio::test]
    async fn every_key_moves_to_the_new_alias_and_stays_usable() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        let mut ids = Vec::new();
        for algorithm in [KeyAlgorithm::Ecdsa, KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa] {
            let material = keys::generate(algorithm).unwrap();
            let jwe = keys::seal(&material, "old passphrase").unwrap();
            let key_id = material.key_id().as_str().to_owned();
            store
                .put_key(&SealedKey {
                    key_id: key_id.clone(),
                    gun: "example.com/g".into(),
                    role: "timestamp".into(),
                    algorithm: algorithm.as_str().into(),
                    public: material.public_bytes(),
                    sealed_private: jwe.into_bytes(),
                    passphrase_alias: "old".into(),
                    keywrap_alg: keys::KEYWRAP_ALG.into(),
                    used: false,
                })
                .await
                .unwrap();
            ids.push((key_id, algorithm, material.public_bytes()));
        }
        let report = reseal_all(&store, &passphrases(), "new").await.unwrap();
        assert_eq!(
            report,
            ResealReport {
                resealed: 3,
                unchanged: 0
            }
        );
        for (id, algorithm, public) in &ids {
            let key = store.key(id).await.unwrap().unwrap();
            assert_eq!(key.passphrase_alias, "new");
            let jwe = String::from_utf8(key.sealed_private).unwrap();
            assert!(keys::open(&jwe, *algorithm, "new passphrase", Some(public)).is_ok());
            assert!(keys::open(&jwe, *algorithm, "old passphrase", Some(public)).is_err());
        }
        let again = reseal_all(&store, &passphrases(), "new").await.unwrap();
        assert_eq!(
            again,
            ResealReport {
                resealed: 0,
                unchanged: 3
            }
        );
        // An alias without a passphrase stops before touching anything.
        assert!(reseal_all(&store, &passphrases(), "unset").await.is_err());
    }
}
