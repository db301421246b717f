//! Assembles a running server from a [`ServerConfig`]: opens the store, the signing service and
//! TLS, binds, and serves until a shutdown signal. `main.rs` only parses flags and logs.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use notary_storage::any::AnyStore;
use notary_storage::sqlite::SqliteStore;
use tokio::net::TcpListener;

use crate::config::{ServerConfig, StorageConfig, TokenAuthConfig, TrustServiceConfig};
use crate::http::auth::TokenAuth;
use crate::http::{self, App, HttpOptions};
use crate::metrics::Metrics;
use crate::service::{CachePolicy, Clock, Service};
use crate::trust::ConfiguredTrust;
use crate::trust::local::LocalTrust;
use crate::trust::remote::{RemoteOptions, RemoteTrust};
use crate::trust::sealing::Sealer;

/// Environment variable holding a passphrase for the local signing service's keys; when unset,
/// a random key file beside the database is used instead.
pub const PASSPHRASE_ENV: &str = "NOTARY_SERVER_LOCAL_TRUST_PASSPHRASE";

/// Why the server could not start. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The storage backend is valid Go configuration that this server does not implement yet.
    #[error("storage backend {0} is not supported by this notary-server (use sqlite, memory or postgres)")]
    UnsupportedBackend(&'static str),
    /// The remote trust service's settings are unusable.
    #[error("{0}")]
    Remote(#[from] crate::trust::remote::RemoteSetupError),
    /// `auth.options.rootcertbundle` cannot be read (Go's message, server-behaviour.md §9.1).
    #[error("unable to open token auth root certificate bundle file {path:?}: {source}")]
    AuthRootBundle {
        /// The path as configured.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `auth.options.rootcertbundle` holds no usable certificate.
    #[error("{0}")]
    AuthRoots(#[from] notary_auth::RootsError),
    /// PostgreSQL with the local trust service needs a passphrase every server shares.
    #[error(
        "storage backend postgres with trust_service type local needs NOTARY_SERVER_LOCAL_TRUST_PASSPHRASE (the same on every server using the database)"
    )]
    SharedSecretNeeded,
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] notary_storage::StoreError),
    /// The sealing secret could not be loaded.
    #[error("cannot load the key-sealing secret: {0}")]
    Sealing(#[from] crate::trust::sealing::SealError),
    /// TLS files.
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    app: Arc<App<AnyStore, ConfiguredTrust<AnyStore>>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    addr: SocketAddr,
    store: Arc<AnyStore>,
}

impl Server {
    /// Opens storage and signing and binds `listen` (default: the config's `http_addr`).
    pub async fn bind(config: &ServerConfig, listen: Option<&str>, clock: Clock) -> Result<Server, StartError> {
        let (store, sealer) = match &config.storage {
            StorageConfig::Memory => {
                let mut secret = [0u8; 32];
                aws_lc_rs::rand::fill(&mut secret)
                    .map_err(|_| StartError::Sealing(crate::trust::sealing::SealError::RandomFailed))?;
                (
                    AnyStore::Sqlite(SqliteStore::open_in_memory().await?),
                    Sealer::from_key("memory", secret)?,
                )
            }
            StorageConfig::Sqlite { path } => {
                let store = AnyStore::Sqlite(SqliteStore::open(path).await?);
                let sealer = match std::env::var(PASSPHRASE_ENV) {
                    Ok(passphrase) if !passphrase.is_empty() => {
                        tokio::task::spawn_blocking(move || Sealer::from_passphrase("passphrase", &passphrase))
                            .await
                            .map_err(|_| StartError::Sealing(crate::trust::sealing::SealError::RandomFailed))??
                    }
                    _ => Sealer::load_or_create_key_file(&seal_key_path(path), "keyfile")?,
                };
                (store, sealer)
            }
            #[cfg(feature = "postgres")]
            StorageConfig::Postgres { db_url } => {
                // Every server on the database must open the same sealed keys: a shared passphrase,
                // not a key file beside one of them.
                let passphrase = std::env::var(PASSPHRASE_ENV)
                    .ok()
                    .filter(|p| !p.is_empty())
                    .ok_or(StartError::SharedSecretNeeded)?;
                let store = AnyStore::Postgres(notary_storage::postgres::PostgresStore::connect(db_url).await?);
                let sealer = tokio::task::spawn_blocking(move || Sealer::from_passphrase("passphrase", &passphrase))
                    .await
                    .map_err(|_| StartError::Sealing(crate::trust::sealing::SealError::RandomFailed))??;
                (store, sealer)
            }
            #[cfg(not(feature = "postgres"))]
            StorageConfig::Postgres { .. } => return Err(StartError::UnsupportedBackend("postgres")),
            StorageConfig::Mysql { .. } => return Err(StartError::UnsupportedBackend("mysql")),
        };
        let tls = match &config.tls {
            Some(files) => Some(crate::tls::server_config(
                &files.cert,
                &files.key,
                files.client_ca.as_deref(),
            )?),
            None => None,
        };
        let store = Arc::new(store);
        let trust = Arc::new(match &config.trust_service {
            TrustServiceConfig::Local => ConfiguredTrust::Local(LocalTrust::new(store.clone(), sealer)),
            TrustServiceConfig::Remote {
                hostname,
                port,
                key_algorithm,
                tls_ca_file,
                tls_client,
            } => ConfiguredTrust::Remote(RemoteTrust::connect_lazy(&RemoteOptions {
                hostname,
                port: *port,
                key_algorithm: key_algorithm.as_str(),
                ca_file: tls_ca_file.as_deref(),
                client_identity: tls_client.as_ref().map(|c| (c.cert.as_path(), c.key.as_path())),
            })?),
        });
        let cache_policy = match &*store {
            AnyStore::Sqlite(_) => CachePolicy::SoleWriter,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(_) => CachePolicy::SharedDatabase,
        };
        let auth = match &config.auth {
            Some(auth) => Some(Arc::new(token_auth(auth, clock.clone())?)),
            None => None,
        };
        let service = Service::new(store.clone(), trust, clock, Arc::new(Metrics::default()), cache_policy);
        let options = HttpOptions {
            current_max_age: config.caching.current_max_age,
            consistent_max_age: config.caching.consistent_max_age,
            gun_prefixes: config.gun_prefixes.clone(),
            auth,
        };
        let app = Arc::new(App::new(service, options));
        let addr = listen.unwrap_or(&config.http_addr);
        let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
        Ok(Server {
            listener,
            app,
            tls,
            addr,
            store,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients use (`http://…` or `https://…`).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Serves until `shutdown` completes, then drains in-flight requests and closes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        self.app.spawn_health_checks();
        http::serve(self.listener, self.app, self.tls, shutdown).await;
        self.store.close().await;
    }
}

/// Token auth from `auth.options`: the root bundle is read once, at start-up (§9.1).
fn token_auth(config: &TokenAuthConfig, clock: Clock) -> Result<TokenAuth, StartError> {
    let bundle = std::fs::read(&config.rootcertbundle).map_err(|source| StartError::AuthRootBundle {
        path: config.rootcertbundle.clone(),
        source,
    })?;
    let roots = notary_auth::TrustedRoots::from_pem(&bundle)?;
    let verifier = notary_auth::TokenVerifier::new(config.issuer.clone(), config.service.clone(), roots);
    Ok(TokenAuth::new(
        verifier,
        config.realm.clone(),
        config.autoredirect,
        clock,
    ))
}

/// Where the sealing key of a database lives: beside it, `<db>.seal-key`.
pub fn seal_key_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".seal-key");
    db.with_file_name(name)
}

/// The default data directory: `$NOTARY_SERVER_DATA_DIR`, else `$XDG_DATA_HOME/notary-server`,
/// else `~/.local/share/notary-server`, else `./notary-server-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOTARY_SERVER_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("notary-server");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/share/notary-server");
    }
    PathBuf::from("notary-server-data")
}
