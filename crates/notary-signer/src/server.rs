//! Assembles a running signer from a [`SignerConfig`]: key store, passphrases, mutual TLS, and the
//! gRPC services on one listener. `main.rs` only parses flags and logs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use notary_proto::health::health_server::HealthServer;
use notary_proto::signer::key_management_server::KeyManagementServer;
use notary_proto::signer::signer_server::SignerServer;
use notary_storage::any::AnyStore;
use notary_storage::sqlite::SqliteStore;
use tokio::net::TcpListener;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::config::{SignerConfig, SignerStorage};
use crate::keys::Passphrases;
use crate::service::{SignerHealth, SignerService};

/// How long in-flight requests may take to finish once shutdown began (as notary-server's).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The alias (and passphrase) used for the memory backend's keys, which never outlive the process.
const MEMORY_ALIAS: &str = "memory";

/// Why the signer could not start. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A backend that is valid Go configuration but not implemented here yet.
    #[error("storage backend {0} is not supported by this notary-signer (use sqlite, memory or postgres)")]
    UnsupportedBackend(&'static str),
    /// The database could not be opened.
    #[error("failed to create a new keydbstore: {0}")]
    Store(#[from] notary_storage::StoreError),
    /// TLS files.
    #[error("unable to set up TLS: {0}")]
    Tls(String),
    /// The listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, ready signer.
pub struct SignerServerHandle {
    listener: TcpListener,
    service: Arc<SignerService<AnyStore>>,
    tls: ServerTlsConfig,
    addr: SocketAddr,
    store: AnyStore,
}

impl SignerServerHandle {
    /// Opens storage, loads TLS and binds `listen` (default: the config's `grpc_addr`).
    pub async fn bind(config: &SignerConfig, listen: Option<&str>) -> Result<Self, StartError> {
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| StartError::Tls(format!("cannot read {}: {e}", path.display())))
        };
        let mut tls =
            ServerTlsConfig::new().identity(Identity::from_pem(read(&config.tls.cert)?, read(&config.tls.key)?));
        if let Some(ca) = &config.tls.client_ca {
            // Mutual TLS: clients must present a certificate issued by exactly this CA.
            tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        let (store, passphrases, alias) = match &config.storage {
            SignerStorage::Memory => {
                let mut secret = [0u8; 32];
                aws_lc_rs::rand::fill(&mut secret).map_err(|_| StartError::Tls("no randomness".into()))?;
                let passphrase = hex::encode(secret);
                let passphrases = Passphrases::from_lookup(move |_| Some(passphrase.clone()));
                (
                    AnyStore::Sqlite(SqliteStore::open_in_memory().await?),
                    passphrases,
                    MEMORY_ALIAS.to_owned(),
                )
            }
            SignerStorage::Sqlite { path } => (
                AnyStore::Sqlite(SqliteStore::open(path).await?),
                Passphrases::from_process_env(),
                config.default_alias.clone().unwrap_or_default(),
            ),
            #[cfg(feature = "postgres")]
            SignerStorage::Postgres { db_url } => (
                AnyStore::Postgres(notary_storage::postgres::PostgresStore::connect(db_url).await?),
                Passphrases::from_process_env(),
                config.default_alias.clone().unwrap_or_default(),
            ),
            #[cfg(not(feature = "postgres"))]
            SignerStorage::Postgres { .. } => return Err(StartError::UnsupportedBackend("postgres")),
            SignerStorage::Mysql { .. } => return Err(StartError::UnsupportedBackend("mysql")),
        };
        let addr = listen.unwrap_or(&config.grpc_addr);
        let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let service = Arc::new(SignerService::new(Arc::new(store.clone()), passphrases, alias));
        Ok(SignerServerHandle {
            listener,
            service,
            tls,
            addr,
            store,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves gRPC over TLS until `shutdown` completes, then lets in-flight requests finish for
    /// up to [`SHUTDOWN_GRACE`] (a client that never answers the HTTP/2 GOAWAY/PING exchange would
    /// otherwise hold the process forever) and closes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(self.listener);
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = Server::builder()
            .tls_config(self.tls)
            .map_err(|e| StartError::Tls(e.to_string()))?
            .add_service(KeyManagementServer::from_arc(self.service.clone()))
            .add_service(SignerServer::from_arc(self.service))
            .add_service(HealthServer::new(SignerHealth))
            .serve_with_incoming_shutdown(incoming, async move {
                shutdown.await;
                let _ = stopping_tx.send(());
            });
        let grace_over = async move {
            if stopping_rx.await.is_err() {
                // The server ended on its own: nothing to time out.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        let result = tokio::select! {
            result = serve => result.map_err(|e| StartError::Tls(e.to_string())),
            () = grace_over => {
                tracing::warn!("connections still open {SHUTDOWN_GRACE:?} after shutdown began; closing them");
                Ok(())
            }
        };
        self.store.close().await;
        result
    }
}
