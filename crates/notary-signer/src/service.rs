//! The gRPC services of signer.md §3–§5 over a [`KeyStore`]: KeyManagement (CreateKey, DeleteKey,
//! GetKeyInfo), Signer (Sign) and the standard health service, with Go's status codes and
//! messages.
//!
//! Keys are sealed with the default alias's passphrase when created and opened with their own
//! alias's passphrase when used; opened keys stay cached in memory (opening costs a deliberate
//! 600,000 PBKDF2 rounds), so signing is one map lookup and one signature.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use notary_proto::health::health_check_response::ServingStatus;
use notary_proto::health::health_server::Health;
use notary_proto::health::{HealthCheckRequest, HealthCheckResponse};
use notary_proto::signer::key_management_server::KeyManagement;
use notary_proto::signer::signer_server::Signer;
use notary_proto::signer::{
    Algorithm, CreateKeyRequest, GetKeyInfoResponse, KeyId, KeyInfo, PublicKey, Signature, SignatureRequest, Void,
};
use notary_storage::{KeyStore, SealedKey};
use tonic::{Request, Response, Status};

use crate::keys::{self, KeyAlgorithm, KeyMaterial, Passphrases};

/// The health-check names answered `SERVING` (besides the empty name).
pub const HEALTH_SERVICES: [&str; 2] = ["grpc.health.v1.Health.KeyManagement", "grpc.health.v1.Health.Signer"];

/// The signing service.
pub struct SignerService<K> {
    store: Arc<K>,
    passphrases: Passphrases,
    default_alias: String,
    opened: RwLock<HashMap<String, Arc<OpenedKey>>>,
    create_lock: tokio::sync::Mutex<()>,
}

/// A key ready to sign with.
struct OpenedKey {
    material: KeyMaterial,
    role: String,
    /// Whether the store already records a signature by this key.
    used: std::sync::atomic::AtomicBool,
}

impl<K: KeyStore> SignerService<K> {
    /// A service over `store`; new keys are sealed under `default_alias`, whose passphrase (like
    /// every alias's) comes from `passphrases`.
    pub fn new(store: Arc<K>, passphrases: Passphrases, default_alias: String) -> Self {
        SignerService {
            store,
            passphrases,
            default_alias,
            opened: RwLock::new(HashMap::new()),
            create_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The opened key, from the cache or the store; `None` when absent or not openable (missing
    /// or wrong passphrase: Go answers NOT_FOUND for both, signer.md §4.2).
    async fn opened(&self, key_id: &str) -> Option<Arc<OpenedKey>> {
        if let Some(key) = self.cache().get(key_id) {
            return Some(key.clone());
        }
        let sealed = self.store.key(key_id).await.ok()??;
        let algorithm: KeyAlgorithm = sealed.algorithm.parse().ok()?;
        let passphrase = match self.passphrases.passphrase(&sealed.passphrase_alias) {
            Ok(passphrase) => passphrase,
            Err(e) => {
                tracing::warn!(key_id, error = %e, "cannot open key");
                return None;
            }
        };
        let jwe = String::from_utf8(sealed.sealed_private.clone()).ok()?;
        let public = sealed.public.clone();
        let material = tokio::task::spawn_blocking(move || keys::open(&jwe, algorithm, passphrase, Some(&public)))
            .await
            .ok()?;
        let material = match material {
            Ok(material) => material,
            Err(e) => {
                tracing::warn!(key_id, error = %e, "cannot open key");
                return None;
            }
        };
        let opened = Arc::new(OpenedKey {
            material,
            role: sealed.role,
            used: std::sync::atomic::AtomicBool::new(sealed.used),
        });
        let mut cache = self.opened.write().unwrap_or_else(|p| p.into_inner());
        Some(cache.entry(key_id.to_owned()).or_insert(opened).clone())
    }

    fn cache(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<OpenedKey>>> {
        self.opened.read().unwrap_or_else(|p| p.into_inner())
    }

    async fn create(&self, request: CreateKeyRequest) -> Result<PublicKey, Status> {
        let Ok(algorithm) = request.algorithm.parse::<KeyAlgorithm>() else {
            return Err(Status::unknown(format!(
                "algorithm {} not supported for create key",
                request.algorithm
            )));
        };
        let failed = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, gun = request.gun, role = request.role, "key creation failed");
            Status::internal("Key creation failed")
        };
        // One creation at a time, so concurrent requests for one GUN/role get the same pending key.
        let _creating = self.create_lock.lock().await;
        if let Some(pending) = self
            .store
            .unused_key(&request.gun, &request.role, algorithm.as_str())
            .await
            .map_err(|e| failed(&e))?
        {
            return Ok(public_key_message(&pending.key_id, algorithm, pending.public));
        }
        let passphrase = self
            .passphrases
            .passphrase(&self.default_alias)
            .map_err(|e| failed(&e))?;
        let (material, jwe) = tokio::task::spawn_blocking(move || {
            let material = keys::generate(algorithm)?;
            let jwe = keys::seal(&material, passphrase)?;
            Ok::<_, keys::KeyError>((material, jwe))
        })
        .await
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))?;
        let key_id = material.key_id().as_str().to_owned();
        let public = material.public_bytes();
        self.store
            .put_key(&SealedKey {
                key_id: key_id.clone(),
                gun: request.gun.clone(),
                role: request.role.clone(),
                algorithm: algorithm.as_str().to_owned(),
                public: public.clone(),
                sealed_private: jwe.into_bytes(),
                passphrase_alias: self.default_alias.clone(),
                keywrap_alg: keys::KEYWRAP_ALG.to_owned(),
                used: false,
            })
            .await
            .map_err(|e| failed(&e))?;
        tracing::info!("CreateKey: Created KeyID {key_id}");
        let opened = Arc::new(OpenedKey {
            material,
            role: request.role,
            used: std::sync::atomic::AtomicBool::new(false),
        });
        self.opened
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key_id.clone(), opened);
        Ok(public_key_message(&key_id, algorithm, public))
    }
}

#[tonic::async_trait]
impl<K: KeyStore> KeyManagement for SignerService<K> {
    async fn create_key(&self, request: Request<CreateKeyRequest>) -> Result<Response<PublicKey>, Status> {
        self.create(request.into_inner()).await.map(Response::new)
    }

    async fn delete_key(&self, request: Request<KeyId>) -> Result<Response<Void>, Status> {
        let id = request.into_inner().id;
        self.opened.write().unwrap_or_else(|p| p.into_inner()).remove(&id);
        self.store.delete_key(&id).await.map_err(|e| {
            tracing::error!(error = %e, "key deletion failed");
            Status::internal(format!("Key deletion for KeyID {id} failed"))
        })?;
        Ok(Response::new(Void {}))
    }

    async fn get_key_info(&self, request: Request<KeyId>) -> Result<Response<GetKeyInfoResponse>, Status> {
        let id = request.into_inner().id;
        let Some(key) = self.opened(&id).await else {
            return Err(Status::not_found(format!("key {id} not found")));
        };
        Ok(Response::new(GetKeyInfoResponse {
            key_info: Some(key_info(&id, key.material.algorithm())),
            public_key: key.material.public_bytes(),
            role: key.role.clone(),
        }))
    }
}

#[tonic::async_trait]
impl<K: KeyStore> Signer for SignerService<K> {
    async fn sign(&self, request: Request<SignatureRequest>) -> Result<Response<Signature>, Status> {
        let request = request.into_inner();
        // Go crashes on a request without a key ID (signer.md §4.4); we answer NOT_FOUND.
        let id = request.key_id.map(|k| k.id).unwrap_or_default();
        let Some(key) = self.opened(&id).await else {
            return Err(Status::not_found(format!("signing key not found: {id}")));
        };
        // The key stops being "pending" before it signs anything (signer.md §6.5).
        if !key.used.swap(true, std::sync::atomic::Ordering::SeqCst)
            && let Err(e) = self.store.mark_used(&id).await
        {
            key.used.store(false, std::sync::atomic::Ordering::SeqCst);
            tracing::error!(error = %e, "cannot record key use");
            return Err(Status::internal(format!("Signing failed for KeyID {id}")));
        }
        let private = key.material.private_key();
        let signature = private.sign_bytes(&request.content).map_err(|e| {
            tracing::error!(error = %e, "signing failed");
            Status::internal(format!("Signing failed for KeyID {id}"))
        })?;
        tracing::debug!("Sign: Signed with KeyID {id}");
        Ok(Response::new(Signature {
            key_info: Some(key_info(&id, key.material.algorithm())),
            algorithm: Some(Algorithm {
                algorithm: private.method().as_str().to_owned(),
            }),
            content: signature,
        }))
    }
}

/// The standard health service: `SERVING` for `""` and the two notary names, NOT_FOUND
/// `unknown service` otherwise (signer.md §5).
#[derive(Debug, Default, Clone, Copy)]
pub struct SignerHealth;

#[tonic::async_trait]
impl Health for SignerHealth {
    async fn check(&self, request: Request<HealthCheckRequest>) -> Result<Response<HealthCheckResponse>, Status> {
        let service = request.into_inner().service;
        if service.is_empty() || HEALTH_SERVICES.contains(&service.as_str()) {
            Ok(Response::new(HealthCheckResponse {
                status: ServingStatus::Serving as i32,
            }))
        } else {
            Err(Status::not_found("unknown service"))
        }
    }
}

fn key_info(id: &str, algorithm: KeyAlgorithm) -> KeyInfo {
    KeyInfo {
        key_id: Some(KeyId { id: id.to_owned() }),
        algorithm: Some(Algorithm {
            algorithm: algorithm.as_str().to_owned(),
        }),
    }
}

fn public_key_message(id: &str, algorithm: KeyAlgorithm, public: Vec<u8>) -> PublicKey {
    PublicKey {
        key_info: Some(key_info(id, algorithm)),
        public_key: public,
    }
}
