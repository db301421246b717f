//! What every command needs: the configuration (file + flags), the trust directory, the key
//! store, passphrases and credentials, and a connection to the server when it is reachable.

use std::sync::Mutex;

use notary_client::config::{self, ClientConfig, ConfigLocation, Overrides};
use notary_client::key_store::KeyStore;
use notary_client::passphrase::Retriever;
use notary_client::remote::{Access, PemSource, Remote, RemoteConfig};
use notary_client::repository::Repository;
use notary_client::trust_dir::TrustDir;
use notary_tuf::Gun;
use notary_tuf::verify::TrustPinning;
use time::OffsetDateTime;

use crate::cli::GlobalArgs;
use crate::{Fatal, log, prompt};

/// The resolved configuration of one invocation.
pub(crate) struct Context {
    pub(crate) config: ClientConfig,
    /// Why [`Context::connect`] went offline (its `could not reach …` log text), so that a final
    /// `client is offline` can say whether the server was down, its TLS certificate untrusted, …
    offline_reason: Mutex<Option<String>>,
}

impl Context {
    /// Reads the config file (`-c`, else `~/.notary/config.json`) and applies the flags.
    pub(crate) fn new(global: &GlobalArgs) -> Result<Context, Fatal> {
        let location = ConfigLocation::from_env(global.config_file.as_deref())
            .map_err(|e| Fatal(format!("cannot read the current directory: {e}")))?;
        for warning in &location.warnings {
            log::warn(warning);
        }
        let mut config = ClientConfig::load(&location)?;
        config.apply(&Overrides {
            trust_dir: global.trust_dir.clone(),
            server_url: global.server.clone(),
            tls_ca_cert: global.tls_ca_cert.clone(),
            tls_client_cert: global.tls_cert.clone(),
            tls_client_key: global.tls_key.clone(),
        });
        Ok(Context {
            config,
            offline_reason: Mutex::new(None),
        })
    }

    /// Adds why the client went offline to a fatal `client is offline…` message that does not
    /// say it yet (Go's text stays first): `client is offline … (could not reach <url>: <error>)`.
    pub(crate) fn explain_offline(&self, fatal: Fatal) -> Fatal {
        let reason = self
            .offline_reason
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match reason {
            Some(reason) if fatal.0.starts_with("client is offline") && !fatal.0.contains("could not reach") => {
                Fatal(format!("{} ({reason})", fatal.0))
            }
            _ => fatal,
        }
    }

    /// The trust directory.
    pub(crate) fn trust_dir(&self) -> TrustDir {
        TrustDir::new(self.config.trust_dir.clone())
    }

    /// The changelist of `gun`.
    pub(crate) fn changelist(&self, gun: &Gun) -> Result<notary_client::changelist::Changelist, Fatal> {
        Ok(notary_client::changelist::Changelist::open(
            self.trust_dir().changelist_dir(gun),
        )?)
    }

    /// The key store (opening it creates `private/`, as Go does).
    pub(crate) fn key_store(&self) -> Result<KeyStore, Fatal> {
        Ok(KeyStore::open(&self.config.trust_dir)?)
    }

    /// Passphrases from `NOTARY_*_PASSPHRASE` or the terminal.
    pub(crate) fn passphrases(&self) -> Retriever {
        Retriever::from_env(Box::new(prompt::Terminal))
    }

    /// The server's host and port, as Go names it in messages.
    pub(crate) fn server_host(&self) -> String {
        let url = self.config.remote_server.url.as_str();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_owned()
    }

    /// Connects to the server (the `GET /v2/` ping). Unreachable: logs Go's error line and
    /// returns `None`, and the command goes on offline.
    pub(crate) fn connect(&self, gun: &Gun, access: Access) -> Result<Option<Remote>, Fatal> {
        let config = self.remote_config()?;
        match Remote::connect(&config, gun, access, prompt::Credentials::from_env()) {
            Ok(remote) => Ok(Some(remote)),
            Err(e) if e.is_network() => {
                let reason = format!("could not reach {}: {e}", self.config.remote_server.url);
                log::error(&reason);
                *self
                    .offline_reason
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reason);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn remote_config(&self) -> Result<RemoteConfig, Fatal> {
        let remote = &self.config.remote_server;
        let mut config = RemoteConfig::new(remote.url.clone());
        config.ca_bundle = remote.root_ca.clone().map(PemSource::Path);
        if let Some((cert, key)) = remote.client_identity()? {
            config.client_cert = Some(PemSource::Path(cert.to_owned()));
            config.client_key = Some(PemSource::Path(key.to_owned()));
        }
        config.skip_tls_verify = remote.skip_tls_verify;
        Ok(config)
    }

    /// A repository handle for `gun`, connected or offline.
    pub(crate) fn repository<'a>(
        &self,
        gun: &Gun,
        keys: &'a KeyStore,
        passphrases: &'a mut Retriever,
        remote: Option<Remote>,
    ) -> Result<Repository<'a>, Fatal> {
        let has_root = self
            .trust_dir()
            .cache(gun)
            .read("root", 1 << 27)
            .ok()
            .flatten()
            .is_some();
        let pinning = self
            .config
            .trust_pinning
            .for_gun(gun, has_root, config::read_ca_file)
            .unwrap_or_else(TrustPinning::from);
        Ok(Repository::new(
            gun.clone(),
            self.trust_dir(),
            keys,
            passphrases,
            remote,
            pinning,
            self.server_host(),
            OffsetDateTime::now_utc(),
        ))
    }
}

/// Parses a GUN argument.
pub(crate) fn gun(text: &str) -> Result<Gun, Fatal> {
    text.parse()
        .map_err(|e: notary_tuf::error::NameError| Fatal(e.to_string()))
}
