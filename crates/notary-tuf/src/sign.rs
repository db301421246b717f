//! Private keys and signing, sans I/O: the caller gets canonical bytes from
//! [`metadata::canonical_body`](crate::metadata::canonical_body), signs them here or anywhere else
//! (a remote signer), and assembles the file with [`metadata::envelope`](crate::metadata::envelope).

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

use crate::error::SignatureError;
use crate::key::{KeyId, KeyType, Method, PublicKey};
use crate::metadata::Signature;

/// A private key that can sign metadata: ECDSA P-256, Ed25519 or RSA (imported only, as in Go).
///
/// `Debug` shows the key type and ID only, never key material.
pub enum PrivateKey {
    /// ECDSA P-256; signs with method `ecdsa` (SHA-256, raw `r‖s`).
    Ecdsa(EcdsaKeyPair),
    /// Ed25519; signs with method `eddsa`.
    Ed25519(Ed25519KeyPair),
    /// RSA; signs with method `rsapss` (SHA-256, salt 32).
    Rsa(RsaKeyPair),
}

impl PrivateKey {
    /// A fresh ECDSA P-256 key (what Notary generates for every client-side role).
    pub fn generate_ecdsa() -> Result<PrivateKey, SignatureError> {
        EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map(PrivateKey::Ecdsa)
            .map_err(|_| SignatureError::SigningFailed)
    }

    /// A fresh Ed25519 key (what Go's local trust service generates).
    pub fn generate_ed25519() -> Result<PrivateKey, SignatureError> {
        Ed25519KeyPair::generate()
            .map(PrivateKey::Ed25519)
            .map_err(|_| SignatureError::SigningFailed)
    }

    /// An ECDSA P-256 key from its 32-byte private scalar and uncompressed public point.
    pub fn ecdsa_from_scalar(scalar: &[u8], public_point: &[u8]) -> Result<PrivateKey, SignatureError> {
        EcdsaKeyPair::from_private_key_and_public_key(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, scalar, public_point)
            .map(PrivateKey::Ecdsa)
            .map_err(|_| SignatureError::SigningFailed)
    }

    /// An Ed25519 key from its 32-byte seed and public key (checked to match).
    pub fn ed25519_from_seed(seed: &[u8], public: &[u8]) -> Result<PrivateKey, SignatureError> {
        Ed25519KeyPair::from_seed_and_public_key(seed, public)
            .map(PrivateKey::Ed25519)
            .map_err(|_| SignatureError::SigningFailed)
    }

    /// An RSA key from a PKCS#1 `RSAPrivateKey` DER.
    pub fn rsa_from_pkcs1(der: &[u8]) -> Result<PrivateKey, SignatureError> {
        RsaKeyPair::from_der(der)
            .map(PrivateKey::Rsa)
            .map_err(|_| SignatureError::SigningFailed)
    }

    /// The public key in metadata form (`ecdsa` / `ed25519` / `rsa`).
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Ecdsa(k) => PublicKey::new(KeyType::Ecdsa, spki(k.public_key().as_der())),
            PrivateKey::Ed25519(k) => PublicKey::new(KeyType::Ed25519, k.public_key().as_ref().to_vec()),
            PrivateKey::Rsa(k) => PublicKey::new(KeyType::Rsa, spki(k.public_key().as_der())),
        }
    }

    /// The method this key signs with.
    pub fn method(&self) -> Method {
        match self {
            PrivateKey::Ecdsa(_) => Method::Ecdsa,
            PrivateKey::Ed25519(_) => Method::Eddsa,
            PrivateKey::Rsa(_) => Method::RsaPss,
        }
    }

    /// Raw signature bytes over `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let rng = SystemRandom::new();
        match self {
            PrivateKey::Ecdsa(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignatureError::SigningFailed),
            PrivateKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            PrivateKey::Rsa(k) => {
                let mut out = vec![0; k.public_modulus_len()];
                k.sign(&sig::RSA_PSS_SHA256, &rng, message, &mut out)
                    .map_err(|_| SignatureError::SigningFailed)?;
                Ok(out)
            }
        }
    }

    /// A metadata signature over canonical bytes, listed under `key_id` (the TUF ID of the key as
    /// the role lists it: for certificate keys, the certificate's ID, keys.md §2.3).
    pub fn sign(&self, key_id: KeyId, canonical: &[u8]) -> Result<Signature, SignatureError> {
        Ok(Signature {
            key_id,
            method: self.method(),
            sig: self.sign_bytes(canonical)?,
        })
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let public = self.public_key();
        write!(f, "PrivateKey({} {})", public.key_type().as_str(), public.key_id())
    }
}

fn spki<E>(der: Result<aws_lc_rs::encoding::PublicKeyX509Der<'static>, E>) -> Vec<u8> {
    // Serialising an in-memory public key cannot fail short of allocation failure; an empty key
    // then fails every later verification instead of panicking here.
    der.map(|d| d.as_ref().to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn keys() -> Vec<PrivateKey> {
        vec![
            PrivateKey::generate_ecdsa().unwrap(),
            PrivateKey::generate_ed25519().unwrap(),
        ]
    }

    #[test]
    fn sign_then_verify_for_each_generated_type() {
        for key in keys() {
            let public = key.public_key();
            let s = key.sign(public.key_id(), b"canonical bytes").unwrap();
            public.verify(&s.method, b"canonical bytes", &s.sig).unwrap();
            assert!(public.verify(&s.method, b"canonical bytez", &s.sig).is_err());
            assert!(
                !format!("{key:?}").contains("private"),
                "Debug must not leak key material"
            );
        }
    }

    #[test]
    fn ecdsa_public_key_is_91_byte_spki() {
        let key = PrivateKey::generate_ecdsa().unwrap();
        assert_eq!(key.public_key().public_bytes().len(), 91);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn flipping_any_byte_breaks_the_signature(msg in prop::collection::vec(any::<u8>(), 1..200), pick in any::<prop::sample::Index>(), bit in 0u8..8) {
            for key in keys() {
                let public = key.public_key();
                let s = key.sign(public.key_id(), &msg).unwrap();
                prop_assert!(public.verify(&s.method, &msg, &s.sig).is_ok());
                let mut bad_msg = msg.clone();
                let i = pick.index(bad_msg.len());
                bad_msg[i] ^= 1 << bit;
                prop_assert!(public.verify(&s.method, &bad_msg, &s.sig).is_err());
                let mut bad_sig = s.sig.clone();
                let j = pick.index(bad_sig.len());
                bad_sig[j] ^= 1 << bit;
                prop_assert!(public.verify(&s.method, &msg, &bad_sig).is_err());
            }
        }
    }
}
