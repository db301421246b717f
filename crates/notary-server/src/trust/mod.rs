//! The signing service for the metadata the server makes itself (snapshot and timestamp):
//! Go's `trust_service` (server-behaviour.md §3.3, §7).
//!
//! [`local::LocalTrust`] is Go's `"local"` type made durable: its keys are sealed with AES-256-GCM
//! and kept in the [`notary_storage::KeyStore`], so a restart keeps them. A remote notary-signer
//! (gRPC) is a second implementation of [`TrustService`].

pub mod local;
pub mod remote;
pub mod sealing;

use std::future::Future;

use notary_storage::KeyStore;
use notary_tuf::metadata::Signature;
use notary_tuf::{KeyId, PublicKey};

/// Why the signing service failed. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The service does not hold that key.
    #[error("key {0} not found")]
    KeyNotFound(String),
    /// The service is unreachable or its storage failed.
    #[error("signing service unavailable: {0}")]
    Unavailable(String),
    /// Anything else (bad stored key, unsupported algorithm).
    #[error("signing service error: {0}")]
    Other(String),
}

/// The operations the server needs from a signing service.
pub trait TrustService: Send + Sync + 'static {
    /// The public key of `key_id` if this service holds its private key.
    fn key_info(&self, key_id: &KeyId) -> impl Future<Output = Result<Option<PublicKey>, TrustError>> + Send;

    /// A key for `gun`/`role` (`snapshot` or `timestamp`): a key made for them that has not
    /// signed anything yet, else a new one.
    fn create_key(&self, gun: &str, role: &str) -> impl Future<Output = Result<PublicKey, TrustError>> + Send;

    /// Signs `canonical` (the canonical JSON of a `signed` body) with `key_id`.
    fn sign(&self, key_id: &KeyId, canonical: &[u8]) -> impl Future<Output = Result<Signature, TrustError>> + Send;

    /// The `Trust operational` health check: `Err` with the reason when the service is unusable.
    fn check_health(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }
}

/// The trust service a config selects: `local` or `remote`.
pub enum ConfiguredTrust<K: KeyStore> {
    /// Keys sealed in this server's database.
    Local(local::LocalTrust<K>),
    /// A notary-signer.
    Remote(remote::RemoteTrust),
}

impl<K: KeyStore> TrustService for ConfiguredTrust<K> {
    async fn key_info(&self, key_id: &KeyId) -> Result<Option<PublicKey>, TrustError> {
        match self {
            ConfiguredTrust::Local(t) => t.key_info(key_id).await,
            ConfiguredTrust::Remote(t) => t.key_info(key_id).await,
        }
    }

    async fn create_key(&self, gun: &str, role: &str) -> Result<PublicKey, TrustError> {
        match self {
            ConfiguredTrust::Local(t) => t.create_key(gun, role).await,
            ConfiguredTrust::Remote(t) => t.create_key(gun, role).await,
        }
    }

    async fn sign(&self, key_id: &KeyId, canonical: &[u8]) -> Result<Signature, TrustError> {
        match self {
            ConfiguredTrust::Local(t) => t.sign(key_id, canonical).await,
            ConfiguredTrust::Remote(t) => t.sign(key_id, canonical).await,
        }
    }

    async fn check_health(&self) -> Result<(), String> {
        match self {
            ConfiguredTrust::Local(_) => Ok(()),
            ConfiguredTrust::Remote(t) => t.check_health().await,
        }
    }
}
