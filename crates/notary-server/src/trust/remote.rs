//! Go's `"remote"` trust service: a notary-signer over gRPC with mutual TLS
//! (server-behaviour.md §10, signer.md §4.5). Works against Go's notary-signer and ours.
//!
//! The connection is lazy (the server starts while the signer is down) and every call has a
//! deadline, so a dead signer costs a request at most [`CALL_TIMEOUT`] and answers 503 — reads of
//! metadata that needs no signing keep working.

use std::path::Path;
use std::time::Duration;

use notary_proto::health::health_check_response::ServingStatus;
use notary_proto::health::{HealthCheckRequest, health_client::HealthClient};
use notary_proto::signer::key_management_client::KeyManagementClient;
use notary_proto::signer::signer_client::SignerClient;
use notary_proto::signer::{CreateKeyRequest, KeyId as ProtoKeyId, SignatureRequest};
use notary_tuf::metadata::Signature;
use notary_tuf::{KeyId, KeyType, Method, PublicKey};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

use super::{TrustError, TrustService};

/// Deadline of every signer call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a TCP/TLS connection to the signer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The health-check service names notary-server asks for (signer.md §5).
pub const HEALTH_SERVICES: [&str; 2] = ["grpc.health.v1.Health.KeyManagement", "grpc.health.v1.Health.Signer"];

/// Where and how to reach the signer.
#[derive(Debug, Clone)]
pub struct RemoteOptions<'a> {
    /// `trust_service.hostname`: dialled, and the name the signer's certificate must carry.
    pub hostname: &'a str,
    /// `trust_service.port`.
    pub port: u16,
    /// `trust_service.key_algorithm` for new keys (`ecdsa`, `ed25519`).
    pub key_algorithm: &'a str,
    /// `trust_service.tls_ca_file`: the CA that signs the signer's certificate (required).
    pub ca_file: Option<&'a Path>,
    /// `tls_client_cert` + `tls_client_key`: our client certificate.
    pub client_identity: Option<(&'a Path, &'a Path)>,
}

/// Why the remote trust service could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RemoteSetupError {
    /// A TLS file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The endpoint or TLS settings are invalid.
    #[error("invalid signer connection settings: {0}")]
    Settings(String),
}

/// A signing service that is a notary-signer.
#[derive(Debug, Clone)]
pub struct RemoteTrust {
    channel: Channel,
    key_algorithm: String,
}

impl RemoteTrust {
    /// A lazily connecting client; nothing is dialled until the first call.
    pub fn connect_lazy(options: &RemoteOptions<'_>) -> Result<RemoteTrust, RemoteSetupError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| RemoteSetupError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let mut tls = ClientTlsConfig::new().domain_name(options.hostname);
        // Go falls back to the system roots; we ask for the CA that signs the signer (no system
        // roots are compiled in, and a signer is never a public web server).
        let ca = options.ca_file.ok_or_else(|| {
            RemoteSetupError::Settings("trust_service.tls_ca_file is required to check the signer's certificate".into())
        })?;
        tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
        if let Some((cert, key)) = options.client_identity {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        let endpoint = Endpoint::from_shared(format!("https://{}:{}", options.hostname, options.port))
            .map_err(|e| RemoteSetupError::Settings(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .tls_config(tls)
            .map_err(|e| RemoteSetupError::Settings(e.to_string()))?;
        Ok(RemoteTrust {
            channel: endpoint.connect_lazy(),
            key_algorithm: options.key_algorithm.to_owned(),
        })
    }

    /// The signer's health (signer.md §5): `Ok` when both services answer `SERVING`.
    pub async fn check_health(&self) -> Result<(), String> {
        let mut client = HealthClient::new(self.channel.clone());
        for service in HEALTH_SERVICES {
            let response = client
                .check(HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .map_err(|s| format!("rpc error: code = {:?} desc = {}", s.code(), s.message()))?;
            if response.into_inner().status != ServingStatus::Serving as i32 {
                return Err(format!("{service} is not serving"));
            }
        }
        Ok(())
    }
}

impl TrustService for RemoteTrust {
    async fn key_info(&self, key_id: &KeyId) -> Result<Option<PublicKey>, TrustError> {
        let request = ProtoKeyId {
            id: key_id.as_str().to_owned(),
        };
        match KeyManagementClient::new(self.channel.clone())
            .get_key_info(request)
            .await
        {
            Ok(response) => {
                let info = response.into_inner();
                let algorithm = info
                    .key_info
                    .and_then(|i| i.algorithm)
                    .map(|a| a.algorithm)
                    .unwrap_or_default();
                Ok(Some(public_key(&algorithm, info.public_key)?))
            }
            // NOT_FOUND means "not held" (signer.md §10 trap 4).
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(status_error(&status)),
        }
    }

    async fn create_key(&self, gun: &str, role: &str) -> Result<PublicKey, TrustError> {
        let request = CreateKeyRequest {
            algorithm: self.key_algorithm.clone(),
            gun: gun.to_owned(),
            role: role.to_owned(),
        };
        let key = KeyManagementClient::new(self.channel.clone())
            .create_key(request)
            .await
            .map_err(|s| status_error(&s))?
            .into_inner();
        let algorithm = key
            .key_info
            .and_then(|i| i.algorithm)
            .map(|a| a.algorithm)
            .unwrap_or_default();
        public_key(&algorithm, key.public_key)
    }

    async fn sign(&self, key_id: &KeyId, canonical: &[u8]) -> Result<Signature, TrustError> {
        let request = SignatureRequest {
            key_id: Some(ProtoKeyId {
                id: key_id.as_str().to_owned(),
            }),
            content: canonical.to_vec(),
        };
        let signature = SignerClient::new(self.channel.clone())
            .sign(request)
            .await
            .map_err(|s| status_error(&s))?
            .into_inner();
        let method = signature.algorithm.map(|a| a.algorithm).unwrap_or_default();
        Ok(Signature {
            key_id: key_id.clone(),
            method: Method::parse(&method),
            sig: signature.content,
        })
    }
}

fn public_key(algorithm: &str, public: Vec<u8>) -> Result<PublicKey, TrustError> {
    let key_type = match algorithm {
        "ecdsa" => KeyType::Ecdsa,
        "ed25519" => KeyType::Ed25519,
        "rsa" => KeyType::Rsa,
        other => {
            return Err(TrustError::Other(format!(
                "signer returned a key of unknown type {other:?}"
            )));
        }
    };
    Ok(PublicKey::new(key_type, public))
}

/// Connection-level failures are the signer being down (503); the rest are errors of the call.
fn status_error(status: &Status) -> TrustError {
    let text = format!("rpc error: code = {:?} desc = {}", status.code(), status.message());
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown
            if status.message().contains("transport") || status.code() != Code::Unknown =>
        {
            TrustError::Unavailable(text)
        }
        Code::NotFound => TrustError::KeyNotFound(status.message().to_owned()),
        _ => TrustError::Other(text),
    }
}
