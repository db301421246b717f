//! Assembles a running issuer from an [`IssuerConfig`]: reads the key, chain, users and TLS
//! files, binds, and serves until shutdown. `main.rs` only parses flags and logs.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::config::IssuerConfig;
use crate::http::{self, App};
use crate::issuer::Issuer;
use crate::token::{KeyError, SigningKey};
use crate::users::{Users, UsersError};

/// Why the issuer could not start; each message names the file or setting to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The signing key or its chain is unusable.
    #[error("token.key_file / token.cert_file: {0}")]
    Key(#[from] KeyError),
    /// The users are unusable.
    #[error("users: {0}")]
    Users(#[from] UsersError),
    /// The TLS files are unusable.
    #[error("server.tls_cert_file / server.tls_key_file: {0}")]
    Tls(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, ready issuer.
pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<Arc<rustls::ServerConfig>>,
    addr: SocketAddr,
}

impl Server {
    /// Reads every file the configuration names and binds `listen` (default: `server.http_addr`).
    pub async fn bind(config: &IssuerConfig, listen: Option<&str>) -> Result<Server, StartError> {
        let issuer = load_issuer(config, OffsetDateTime::now_utc())?;
        let tls = match &config.tls {
            Some((cert, key)) => Some(tls_config(cert, key)?),
            None => None,
        };
        let addr = listen.unwrap_or(&config.http_addr);
        let bind_error = |source| StartError::Bind {
            addr: addr.to_owned(),
            source,
        };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            app: Arc::new(App::new(issuer)),
            tls,
            addr,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token endpoint (the `realm` to configure in registries and notary-server).
    pub fn realm(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{}", self.addr, http::TOKEN_PATH)
    }

    /// Serves until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        http::serve(self.listener, self.app, self.tls, shutdown).await;
    }
}

/// The issuer of `config`: key and chain checked against each other and `now`, users read
/// from the htpasswd file and the inline entries.
pub fn load_issuer(config: &IssuerConfig, now: OffsetDateTime) -> Result<Issuer, StartError> {
    let key_pem = zeroize::Zeroizing::new(read(&config.key_file)?);
    let chain_pem = read(&config.cert_file)?;
    let key = SigningKey::from_pem(&key_pem, &chain_pem, now.unix_timestamp())?;
    let htpasswd = match &config.htpasswd_file {
        Some(path) => Some((
            path.display().to_string(),
            String::from_utf8(read(path)?).map_err(|_| StartError::Read {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"),
            })?,
        )),
        None => None,
    };
    let entries = config.user_entries.join("\n");
    let mut sources: Vec<(&str, &str)> = Vec::new();
    if let Some((name, text)) = &htpasswd {
        sources.push((name, text));
    }
    sources.push(("users.entries", &entries));
    let users = Users::from_htpasswd(&sources)?;
    Ok(Issuer::new(
        config.issuer.clone(),
        config.services.clone(),
        config.lifetime_seconds,
        key,
        users,
        config.grants.clone(),
    ))
}

fn read(path: &Path) -> Result<Vec<u8>, StartError> {
    std::fs::read(path).map_err(|source| StartError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, StartError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| StartError::Tls(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(StartError::Tls(format!("{}: no certificate", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| StartError::Tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| StartError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
