//! Key generation (`shared/spec/keys.md` §5.5): ECDSA P-256 for every client-side role (what
//! `notary init` and `notary key generate` make) and Ed25519 for server-side keys held by a local
//! signer. Go refuses to generate RSA keys (`rsa keys can only be imported`), and so do we.

use std::fmt;

use notary_tuf::sign::PrivateKey;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::pkcs8;

/// The algorithms Notary generates keys for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on P-256: root, targets, snapshot and delegation keys.
    Ecdsa,
    /// Ed25519: server-managed timestamp/snapshot keys of Go's local trust service.
    Ed25519,
}

/// A freshly generated key together with its plaintext PKCS#8 encoding in Go's layout (the bytes
/// that [`KeyFile::encrypt`](crate::KeyFile::encrypt) encrypts).
///
/// `Debug` shows the key type and ID only.
pub struct GeneratedKey {
    key: PrivateKey,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl GeneratedKey {
    /// The signing key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// The plaintext `PrivateKeyInfo` in Go's layout (keys.md §5.3). Secret.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Splits into the key and its encoding.
    pub fn into_parts(self) -> (PrivateKey, Zeroizing<Vec<u8>>) {
        (self.key, self.pkcs8)
    }
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GeneratedKey").field(&self.key).finish()
    }
}

/// Generates a key of `algorithm` with the system's secure RNG.
pub fn generate(algorithm: KeyAlgorithm) -> Result<GeneratedKey, KeyError> {
    let key = match algorithm {
        KeyAlgorithm::Ecdsa => PrivateKey::generate_ecdsa(),
        KeyAlgorithm::Ed25519 => PrivateKey::generate_ed25519(),
    }
    .map_err(|_| KeyError::Generation)?;
    let pkcs8 = pkcs8::encode(&key)?;
    Ok(GeneratedKey { key, pkcs8 })
}

#[cfg(test)]
mod tests {
    use notary_tuf::KeyType;

    use super::*;

    #[test]
    fn generates_each_algorithm_with_matching_encoding() {
        for (algorithm, key_type) in [
            (KeyAlgorithm::Ecdsa, KeyType::Ecdsa),
            (KeyAlgorithm::Ed25519, KeyType::Ed25519),
        ] {
            let generated = generate(algorithm).unwrap();
            assert_eq!(generated.private_key().public_key().key_type(), &key_type);
            let reparsed = pkcs8::decode(generated.pkcs8_der()).unwrap();
            assert_eq!(reparsed.public_key(), generated.private_key().public_key());
            let debug = format!("{generated:?}");
            assert!(debug.starts_with("GeneratedKey(PrivateKey("), "{debug}");
        }
    }

    #[test]
    fn two_keys_differ() {
        let a = generate(KeyAlgorithm::Ecdsa).unwrap();
        let b = generate(KeyAlgorithm::Ecdsa).unwrap();
        assert_ne!(a.private_key().public_key(), b.private_key().public_key());
    }
}
