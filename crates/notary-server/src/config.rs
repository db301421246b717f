//! Go notary-server's JSON configuration file, parsed into a validated [`ServerConfig`]
//! (`shared/spec/server-behaviour.md` §11, with §8 for `repositories.gun_prefixes`, §9.1 for
//! `auth.options` and §10 for TLS files).
//!
//! A configuration written for Go's `notary-server -config` works unchanged:
//! - keys are looked up as viper does: case-insensitively, unknown keys ignored, `null` the same as
//!   absent, and every scalar read the way viper's `GetString` reads it (a number or boolean is
//!   turned into its text, so `"port": 7899` and `"port": "7899"` are the same);
//! - every scalar key can be overridden by `NOTARY_SERVER_` + the key path upper-cased with `.`
//!   replaced by `_` (an empty variable counts as unset, as in viper);
//! - checks run in Go's order and the first failure is returned with Go's message: read file →
//!   log level → GUN prefixes → bugsnag → trust service → storage → caching → listen address/TLS
//!   → token auth options (checked by Go when the server starts, after all of the others);
//! - relative paths under `server.*`, `trust_service.*` and the SQLite `storage.db_url` resolve
//!   against the configuration file's directory; `auth.options.rootcertbundle` does not (§9.1).
//!
//! Reading the file that way is [`notary_service_kit::config_doc`]'s, shared with notary-signer;
//! this module holds the server's keys and checks.
//!
//! This module only reads and checks the file: certificates, keys and databases are opened by
//! the modules that use them. The file is treated as hostile input: it is size-limited, and a
//! value of the wrong JSON type is an error naming its key rather than a guess.
//!
//! Deliberate differences from Go, each a clear start-up error where Go fails later or never:
//! only JSON is read (Go also reads YAML/TOML by extension); `server.http_addr` must be
//! `host:port` with a numeric port; a remote trust service needs `hostname` and a numeric
//! `port`; `rethinkdb` storage is refused. `sqlite`/`sqlite3` storage is our extension.

use std::path::{Path, PathBuf};

use notary_service_kit::config_doc::{Document, go_quote, listen_addr, member, scalar_text, wrong_type};
pub use notary_service_kit::config_doc::{LogLevel, SourceError, Storage as StorageConfig, TlsFiles};
// For the tests below.
#[cfg(test)]
use notary_service_kit::config_doc::{MAX_CONFIG_BYTES, number_text, resolve};
use notary_tuf::KeyType;
use serde_json::Value;

/// A validated notary-server configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// `server.http_addr`: the `host:port` to listen on. An empty host (Go's `:4443`, all
    /// interfaces) is given as `0.0.0.0`.
    pub http_addr: String,
    /// `server.tls_*`: TLS for the public listener; `None` serves plain HTTP (§10).
    pub tls: Option<TlsFiles>,
    /// `trust_service`: who signs server-made snapshot and timestamp metadata.
    pub trust_service: TrustServiceConfig,
    /// `storage`: where TUF metadata is kept.
    pub storage: StorageConfig,
    /// `auth`: token authentication, only when `auth.type` is `token` (§9).
    pub auth: Option<TokenAuthConfig>,
    /// `logging.level`, `error` by default.
    pub logging_level: LogLevel,
    /// `caching.max_age`: `Cache-Control` max-ages of metadata responses.
    pub caching: CachingConfig,
    /// `repositories.gun_prefixes`: when non-empty, every GUN must start with one of these (§8).
    pub gun_prefixes: Vec<String>,
}

/// The `trust_service` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustServiceConfig {
    /// `type: local`: in-process ED25519 keys; every other `trust_service` key is ignored.
    Local,
    /// `type: remote`: a notary-signer reached over mutually authenticated gRPC (§10).
    Remote {
        /// `hostname`: the signer's host, also the TLS server name.
        hostname: String,
        /// `port`: the signer's gRPC port.
        port: u16,
        /// `key_algorithm`: [`KeyType::Ecdsa`], [`KeyType::Ed25519`] or [`KeyType::Rsa`].
        key_algorithm: KeyType,
        /// `tls_ca_file`: the only CA trusted for the signer; `None` uses the system roots.
        tls_ca_file: Option<PathBuf>,
        /// `tls_client_cert` + `tls_client_key`: the client certificate shown to the signer.
        tls_client: Option<ClientCertFiles>,
    },
}

/// A client certificate and its key (`trust_service.tls_client_cert`, `.tls_client_key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// `auth` with `type: token`: docker/distribution's registry token protocol (§9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAuthConfig {
    /// `realm`: the token service URL put in the challenge.
    pub realm: String,
    /// `service`: the challenge `service` and the required JWT `aud`.
    pub service: String,
    /// `issuer`: the required JWT `iss`.
    pub issuer: String,
    /// `rootcertbundle`: PEM file of trust anchors, as written (not relative to the config, §9.1).
    pub rootcertbundle: PathBuf,
    /// `autoredirect`: the challenge realm becomes `https://<request Host>/auth/token`.
    pub autoredirect: bool,
}

/// `Cache-Control` max-ages in seconds (0 disables caching for that kind of response).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachingConfig {
    /// `caching.max_age.current_metadata`: responses for current metadata (default 300).
    pub current_max_age: u32,
    /// `caching.max_age.consistent_metadata`: responses by checksum (default 2592000, 30 days).
    pub consistent_max_age: u32,
}

/// Why a configuration was refused. `Display` is Go notary-server's message where Go has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read or is not a JSON object.
    #[error("Could not read config at :{}, viper error: {source}", path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// What went wrong.
        source: SourceError,
    },
    /// The bytes given to [`ServerConfig::from_json`] are not a JSON object.
    #[error("could not read config: {0}")]
    Source(#[source] SourceError),
    /// A value (or a section on its path) has a JSON type that cannot mean anything there.
    #[error("config key {key} must be {expected}, not {found}")]
    WrongType {
        /// The dotted key path, with `[i]` for list items.
        key: String,
        /// What the key takes.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `logging.level` is not a logrus level.
    #[error("not a valid logrus Level: {}", go_quote(value))]
    InvalidLogLevel {
        /// The value as written.
        value: String,
    },
    /// A `repositories.gun_prefixes` entry is not a clean relative path ending in `/` (§8).
    #[error("invalid GUN prefix {prefix}")]
    InvalidGunPrefix {
        /// The prefix as written.
        prefix: String,
    },
    /// `reporting.bugsnag` has settings but no `api_key`.
    #[error("must provide an API key for bugsnag")]
    MissingBugsnagApiKey,
    /// `trust_service.type` is neither `local` nor `remote`.
    #[error("must specify either a \"local\" or \"remote\" type for trust_service")]
    InvalidTrustServiceType {
        /// The value as written (empty when missing).
        value: String,
    },
    /// `trust_service.key_algorithm` is not `ecdsa`, `ed25519` or `rsa`.
    #[error("invalid key algorithm configured: {algorithm}")]
    InvalidKeyAlgorithm {
        /// The value as written.
        algorithm: String,
    },
    /// Only one of `trust_service.tls_client_cert` and `.tls_client_key` is set.
    #[error("either pass both client key and cert, or neither")]
    IncompleteSignerClientCert,
    /// A remote trust service without `trust_service.hostname`.
    #[error("trust_service.hostname is required for a \"remote\" trust_service")]
    MissingSignerHostname,
    /// A remote trust service whose `trust_service.port` is not a port number.
    #[error(
        "trust_service.port must be a port number between 1 and 65535, not {}",
        go_quote(value)
    )]
    InvalidSignerPort {
        /// The value as written (empty when missing).
        value: String,
    },
    /// `storage.backend` names no backend.
    #[error("{backend} is not a supported storage backend")]
    UnsupportedBackend {
        /// The value as written.
        backend: String,
    },
    /// `storage.backend` is one Go supports but this server does not implement.
    #[error("the {backend} storage backend is not implemented by this server; use sqlite3, postgres or memory")]
    UnimplementedBackend {
        /// The value as written.
        backend: String,
    },
    /// A SQL backend without `storage.db_url`.
    #[error("must provide a non-empty database source for {backend}")]
    MissingDatabaseSource {
        /// The backend as written.
        backend: String,
    },
    /// A `caching.max_age.*` value that is not an integer in 0…31536000.
    #[error("must specify a cache-control max-age between 0 and {MAX_CACHE_MAX_AGE}")]
    InvalidMaxAge {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
    },
    /// `server.http_addr` is missing or empty.
    #[error("http listen address required for server")]
    MissingHttpAddr,
    /// `server.http_addr` is not `host:port`.
    #[error(
        "invalid http listen address {}: expected host:port with a numeric port",
        go_quote(addr)
    )]
    InvalidHttpAddr {
        /// The value as written.
        addr: String,
    },
    /// Only some of `server.tls_cert_file`, `.tls_key_file` and `.client_ca_file` are set.
    #[error("either include both a cert and key file, or no TLS information at all to disable TLS")]
    IncompleteTls,
    /// `auth.type` is `token` but `auth.options` is not an object.
    #[error("auth.options must be a map[string]interface{{}}")]
    TokenAuthOptionsNotMap,
    /// A required token auth option is missing or not a string.
    #[error("token auth requires a valid option string: \"{name}\"")]
    TokenAuthOption {
        /// `realm`, `issuer`, `service` or `rootcertbundle`: the first one missing.
        name: &'static str,
    },
    /// `auth.options.autoredirect` is present but not a boolean.
    #[error("token auth requires a valid option bool: autoredirect")]
    TokenAuthAutoRedirect,
}

notary_service_kit::impl_from_doc_error!(ConfigError);

impl ServerConfig {
    /// Reads and validates the configuration file at `path` (`notary-server -config <path>`),
    /// with environment overrides from this process's environment.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        let doc = Document::load(path, ENV_PREFIX, ENV_KEYS, &env).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        validate(&doc)
    }

    /// Validates configuration bytes (§11). Relative paths resolve against `config_dir`; `env`
    /// looks up an environment variable (`None`, or an empty value, means unset).
    pub fn from_json(
        bytes: &[u8],
        config_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let doc = Document::from_json(bytes, config_dir, ENV_PREFIX, ENV_KEYS, env).map_err(ConfigError::Source)?;
        validate(&doc)
    }

    /// The configuration used when the server runs without a file: `127.0.0.1:4443` over plain
    /// HTTP, SQLite at `<data_dir>/notary-server.db`, local trust service, Go's defaults for the
    /// rest.
    pub fn default_embedded(data_dir: &Path) -> ServerConfig {
        ServerConfig {
            http_addr: DEFAULT_HTTP_ADDR.to_owned(),
            tls: None,
            trust_service: TrustServiceConfig::Local,
            storage: StorageConfig::Sqlite {
                path: data_dir.join(DEFAULT_SQLITE_FILE),
            },
            auth: None,
            logging_level: LogLevel::Error,
            caching: CachingConfig::default(),
            gun_prefixes: Vec::new(),
        }
    }
}

impl Default for CachingConfig {
    fn default() -> CachingConfig {
        CachingConfig {
            current_max_age: DEFAULT_CURRENT_MAX_AGE,
            consistent_max_age: DEFAULT_CONSISTENT_MAX_AGE,
        }
    }
}

/// All checks, in Go's order (§11).
fn validate(doc: &Document<'_>) -> Result<ServerConfig, ConfigError> {
    let logging_level = doc.log_level()?;
    let gun_prefixes = gun_prefixes(doc)?;
    doc.check_bugsnag()?;
    let trust_service = trust_service(doc)?;
    let storage = doc.storage()?;
    let caching = caching(doc)?;
    let (http_addr, tls) = listener(doc)?;
    let auth = auth(doc)?;
    Ok(ServerConfig {
        http_addr,
        tls,
        trust_service,
        storage,
        auth,
        logging_level,
        caching,
        gun_prefixes,
    })
}

/// §8: each prefix must be a clean relative path plus `/`. A string value is split at
/// whitespace (viper's `GetStringSlice`), which is also how the environment can set it.
fn gun_prefixes(doc: &Document<'_>) -> Result<Vec<String>, ConfigError> {
    const KEY: &str = "repositories.gun_prefixes";
    let prefixes = match doc.lookup(KEY)? {
        None => Vec::new(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| scalar_text(item, &format!("{KEY}[{i}]"), "a string"))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(wrong_type(KEY, "a list of strings", other).into()),
    };
    for prefix in &prefixes {
        let clean = go_path_clean(prefix.trim());
        if format!("{clean}/") != *prefix || clean.starts_with('/') || clean.starts_with("..") {
            return Err(ConfigError::InvalidGunPrefix { prefix: prefix.clone() });
        }
    }
    Ok(prefixes)
}

/// `trust_service` (§10): type, then key algorithm, then the client certificate pair.
fn trust_service(doc: &Document<'_>) -> Result<TrustServiceConfig, ConfigError> {
    match doc.string("trust_service.type")?.as_str() {
        "local" => return Ok(TrustServiceConfig::Local),
        "remote" => {}
        other => {
            return Err(ConfigError::InvalidTrustServiceType {
                value: other.to_owned(),
            });
        }
    }
    let key_algorithm = match doc.string("trust_service.key_algorithm")?.as_str() {
        "ecdsa" => KeyType::Ecdsa,
        "ed25519" => KeyType::Ed25519,
        "rsa" => KeyType::Rsa,
        other => {
            return Err(ConfigError::InvalidKeyAlgorithm {
                algorithm: other.to_owned(),
            });
        }
    };
    let tls_ca_file = doc.path("trust_service.tls_ca_file")?;
    let cert = doc.path("trust_service.tls_client_cert")?;
    let key = doc.path("trust_service.tls_client_key")?;
    let tls_client = match (cert, key) {
        (Some(cert), Some(key)) => Some(ClientCertFiles { cert, key }),
        (None, None) => None,
        _ => return Err(ConfigError::IncompleteSignerClientCert),
    };
    let hostname = doc.string("trust_service.hostname")?;
    if hostname.is_empty() {
        return Err(ConfigError::MissingSignerHostname);
    }
    let port = doc.string("trust_service.port")?;
    let port = match port.parse::<u16>() {
        Ok(n) if n != 0 => n,
        _ => return Err(ConfigError::InvalidSignerPort { value: port }),
    };
    Ok(TrustServiceConfig::Remote {
        hostname,
        port,
        key_algorithm,
        tls_ca_file,
        tls_client,
    })
}

/// `caching.max_age.*`: Go's `strconv.Atoi` of the value's text, in 0…31536000.
fn caching(doc: &Document<'_>) -> Result<CachingConfig, ConfigError> {
    Ok(CachingConfig {
        current_max_age: max_age(doc, "caching.max_age.current_metadata", DEFAULT_CURRENT_MAX_AGE)?,
        consistent_max_age: max_age(doc, "caching.max_age.consistent_metadata", DEFAULT_CONSISTENT_MAX_AGE)?,
    })
}

fn max_age(doc: &Document<'_>, key: &'static str, default: u32) -> Result<u32, ConfigError> {
    let value = doc.scalar(key, "a number")?;
    if value.is_empty() {
        return Ok(default);
    }
    match value.parse::<i64>() {
        Ok(n) if (0..=i64::from(MAX_CACHE_MAX_AGE)).contains(&n) => {
            u32::try_from(n).map_err(|_| ConfigError::InvalidMaxAge { key, value })
        }
        _ => Err(ConfigError::InvalidMaxAge { key, value }),
    }
}

/// `server.http_addr`, then the TLS files (§10).
fn listener(doc: &Document<'_>) -> Result<(String, Option<TlsFiles>), ConfigError> {
    let addr = doc.string("server.http_addr")?;
    if addr.is_empty() {
        return Err(ConfigError::MissingHttpAddr);
    }
    let http_addr = listen_addr(&addr).ok_or(ConfigError::InvalidHttpAddr { addr })?;
    let cert = doc.path("server.tls_cert_file")?;
    let key = doc.path("server.tls_key_file")?;
    let client_ca = doc.path("server.client_ca_file")?;
    let tls = match (cert, key, client_ca) {
        (None, None, None) => None,
        (Some(cert), Some(key), client_ca) => Some(TlsFiles { cert, key, client_ca }),
        _ => return Err(ConfigError::IncompleteTls),
    };
    Ok((http_addr, tls))
}

/// `auth` (§9.1): only `type: token` enables anything; options are checked in Go's order.
fn auth(doc: &Document<'_>) -> Result<Option<TokenAuthConfig>, ConfigError> {
    if doc.string("auth.type")? != "token" {
        return Ok(None);
    }
    let Some(Value::Object(options)) = doc.lookup("auth.options")? else {
        return Err(ConfigError::TokenAuthOptionsNotMap);
    };
    let option = |name: &'static str| match member(options, name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ConfigError::TokenAuthOption { name }),
    };
    let realm = option("realm")?;
    let issuer = option("issuer")?;
    let service = option("service")?;
    let rootcertbundle = PathBuf::from(option("rootcertbundle")?);
    let autoredirect = match member(options, "autoredirect") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ConfigError::TokenAuthAutoRedirect),
    };
    Ok(Some(TokenAuthConfig {
        realm,
        service,
        issuer,
        rootcertbundle,
        autoredirect,
    }))
}

/// Go's `path.Clean` (slash-separated, lexical).
fn go_path_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// Prefix of the environment overrides (viper `SetEnvPrefix("NOTARY_SERVER")`).
const ENV_PREFIX: &str = "NOTARY_SERVER_";
/// Every key this module reads as a scalar (or whitespace-separated list), so every key the
/// environment can override.
const ENV_KEYS: &[&str] = &[
    "server.http_addr",
    "server.tls_cert_file",
    "server.tls_key_file",
    "server.client_ca_file",
    "trust_service.type",
    "trust_service.hostname",
    "trust_service.port",
    "trust_service.key_algorithm",
    "trust_service.tls_ca_file",
    "trust_service.tls_client_cert",
    "trust_service.tls_client_key",
    "storage.backend",
    "storage.db_url",
    "auth.type",
    "logging.level",
    "reporting.bugsnag.api_key",
    "reporting.bugsnag.release_stage",
    "reporting.bugsnag.endpoint",
    "caching.max_age.current_metadata",
    "caching.max_age.consistent_metadata",
    "repositories.gun_prefixes",
];
/// `notary.CurrentMetadataCacheMaxAge`: 5 minutes.
const DEFAULT_CURRENT_MAX_AGE: u32 = 300;
/// `notary.ConsistentMetadataCacheMaxAge`: 30 days.
const DEFAULT_CONSISTENT_MAX_AGE: u32 = 30 * 24 * 3600;
/// `notary.CacheMaxAgeLimit`: one year.
const MAX_CACHE_MAX_AGE: u32 = 365 * 24 * 3600;
/// Listen address without a configuration file.
const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:4443";
/// SQLite file name in the data directory without a configuration file.
const DEFAULT_SQLITE_FILE: &str = "notary-server.db";

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/etc/notary";

    /// A minimal valid configuration to which tests add or change keys.
    fn base() -> Value {
        serde_json::json!({
            "server": {"http_addr": "127.0.0.1:4443"},
            "trust_service": {"type": "local"},
            "storage": {"backend": "memory"}
        })
    }

    fn parse_env(json: &Value, vars: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        ServerConfig::from_json(json.to_string().as_bytes(), Path::new(DIR), &env)
    }

    fn parse(json: &Value) -> Result<ServerConfig, ConfigError> {
        parse_env(json, &[])
    }

    fn err(json: &Value) -> String {
        parse(json).unwrap_err().to_string()
    }

    /// `base()` with `value` set at the dotted `key`.
    fn with(key: &str, value: Value) -> Value {
        let mut doc = base();
        set(&mut doc, key, value);
        doc
    }

    fn set(doc: &mut Value, key: &str, value: Value) {
        let (sections, last) = key.rsplit_once('.').unwrap_or(("", key));
        let mut cur = doc;
        for s in sections.split('.').filter(|s| !s.is_empty()) {
            if !cur.get(s).is_some_and(Value::is_object) {
                cur[s] = serde_json::json!({});
            }
            cur = &mut cur[s];
        }
        cur[last] = value;
    }

    fn remove(doc: &mut Value, key: &str) {
        let (section, last) = key.split_once('.').unwrap();
        doc[section].as_object_mut().unwrap().remove(last);
    }

    fn token_options() -> Value {
        serde_json::json!({
            "realm": "https://auth.example.com/token",
            "service": "notary",
            "issuer": "auth.example.com",
            "rootcertbundle": "certs/root.pem"
        })
    }

    #[test]
    fn minimal_config_takes_go_defaults() {
        let config = parse(&base()).unwrap();
        assert_eq!(
            config,
            ServerConfig {
                http_addr: "127.0.0.1:4443".into(),
                tls: None,
                trust_service: TrustServiceConfig::Local,
                storage: StorageConfig::Memory,
                auth: None,
                logging_level: LogLevel::Error,
                caching: CachingConfig {
                    current_max_age: 300,
                    consistent_max_age: 2_592_000
                },
                gun_prefixes: vec![],
            }
        );
    }

    #[test]
    fn perf_harness_config() {
        let json = br#"{"server":{"http_addr":"127.0.0.1:24100"},"trust_service":{"type":"local"},"logging":{"level":"error"},"storage":{"backend":"memory"}}"#;
        let config = ServerConfig::from_json(json, Path::new("/tmp"), &|_| None).unwrap();
        assert_eq!(config.http_addr, "127.0.0.1:24100");
        assert_eq!(config.trust_service, TrustServiceConfig::Local);
        assert_eq!(config.storage, StorageConfig::Memory);
        assert_eq!(config.logging_level, LogLevel::Error);
        assert_eq!(config.tls, None);
        assert_eq!(config.auth, None);
    }

    /// The `server.json` that `shared/interop/start-reference-server.sh` writes (remote trust).
    #[test]
    fn interop_reference_config_remote() {
        let json = br#"{
  "server": {
    "http_addr": "127.0.0.1:4443",
    "tls_cert_file": "/srv/ref/tls/server.crt",
    "tls_key_file": "/srv/ref/tls/server.key"
  },
  "trust_service": {
    "type": "remote",
    "hostname": "127.0.0.1",
    "port": "17899",
    "key_algorithm": "ecdsa",
    "tls_ca_file": "/srv/ref/tls/ca.crt",
    "tls_client_cert": "/srv/ref/tls/client.crt",
    "tls_client_key": "/srv/ref/tls/client.key"
  },
  "logging": { "level": "info" },
  "storage": { "backend": "memory" }
}"#;
        let config = ServerConfig::from_json(json, Path::new("/srv/ref"), &|_| None).unwrap();
        assert_eq!(
            config.tls,
            Some(TlsFiles {
                cert: "/srv/ref/tls/server.crt".into(),
                key: "/srv/ref/tls/server.key".into(),
                client_ca: None
            })
        );
        assert_eq!(
            config.trust_service,
            TrustServiceConfig::Remote {
                hostname: "127.0.0.1".into(),
                port: 17899,
                key_algorithm: KeyType::Ecdsa,
                tls_ca_file: Some("/srv/ref/tls/ca.crt".into()),
                tls_client: Some(ClientCertFiles {
                    cert: "/srv/ref/tls/client.crt".into(),
                    key: "/srv/ref/tls/client.key".into()
                }),
            }
        );
        assert_eq!(config.logging_level, LogLevel::Info);
        assert_eq!(config.storage, StorageConfig::Memory);
    }

    #[test]
    fn interop_reference_config_local_and_numeric_port() {
        let local = br#"{"server":{"http_addr":"127.0.0.1:4443","tls_cert_file":"/t/server.crt",
            "tls_key_file":"/t/server.key"},"trust_service": { "type": "local" },
            "logging":{"level":"info"},"storage":{"backend":"memory"}}"#;
        let config = ServerConfig::from_json(local, Path::new("/t"), &|_| None).unwrap();
        assert_eq!(config.trust_service, TrustServiceConfig::Local);

        let remote = serde_json::json!({"type": "remote", "hostname": "signer", "port": 7899,
            "key_algorithm": "ed25519"});
        let TrustServiceConfig::Remote {
            port,
            key_algorithm,
            tls_ca_file,
            tls_client,
            ..
        } = parse(&with("trust_service", remote)).unwrap().trust_service
        else {
            panic!("expected remote");
        };
        assert_eq!(
            (port, key_algorithm, tls_ca_file, tls_client),
            (7899, KeyType::Ed25519, None, None)
        );
    }

    #[test]
    fn behaviour_51_non_token_auth_type_means_no_auth() {
        for auth_type in ["htpasswd", "", "Token", "silly"] {
            let doc = with("auth", serde_json::json!({"type": auth_type, "options": {"realm": 5}}));
            assert_eq!(parse(&doc).unwrap().auth, None, "{auth_type}");
        }
        let doc = with("auth", serde_json::json!({"type": "token", "options": token_options()}));
        assert_eq!(
            parse(&doc).unwrap().auth,
            Some(TokenAuthConfig {
                realm: "https://auth.example.com/token".into(),
                service: "notary".into(),
                issuer: "auth.example.com".into(),
                rootcertbundle: "certs/root.pem".into(),
                autoredirect: false,
            })
        );
        let mut options = token_options();
        options["autoredirect"] = true.into();
        let doc = with("auth", serde_json::json!({"type": "token", "options": options}));
        assert!(parse(&doc).unwrap().auth.unwrap().autoredirect);
    }

    #[test]
    fn behaviour_52_missing_http_addr() {
        let mut doc = base();
        remove(&mut doc, "server.http_addr");
        assert_eq!(err(&doc), "http listen address required for server");
        assert_eq!(
            err(&with("server.http_addr", "".into())),
            "http listen address required for server"
        );
        assert_eq!(
            err(&with("server", Value::Null)),
            "http listen address required for server"
        );
        let mut doc = base();
        doc.as_object_mut().unwrap().remove("server");
        assert!(matches!(parse(&doc), Err(ConfigError::MissingHttpAddr)));
    }

    #[test]
    fn http_addr_must_be_host_and_numeric_port() {
        for (addr, bound) in [
            ("127.0.0.1:4443", "127.0.0.1:4443"),
            ("localhost:0", "localhost:0"),
            ("[::1]:4443", "[::1]:4443"),
            (":4443", "0.0.0.0:4443"),
        ] {
            assert_eq!(parse(&with("server.http_addr", addr.into())).unwrap().http_addr, bound);
        }
        for addr in [
            "localhost",
            "127.0.0.1:",
            "127.0.0.1:https",
            "::1:4443",
            "[::1]4443",
            "a b:1",
            "h:65536",
        ] {
            assert_eq!(
                err(&with("server.http_addr", addr.into())),
                format!("invalid http listen address \"{addr}\": expected host:port with a numeric port")
            );
        }
    }

    #[test]
    fn behaviour_53_bad_trust_type() {
        let message = "must specify either a \"local\" or \"remote\" type for trust_service";
        for value in [
            serde_json::json!("Local"),
            serde_json::json!("signer"),
            serde_json::json!(""),
        ] {
            assert_eq!(err(&with("trust_service.type", value)), message);
        }
        let mut doc = base();
        remove(&mut doc, "trust_service.type");
        assert_eq!(err(&doc), message);

        let remote = |algo: &str| {
            with(
                "trust_service",
                serde_json::json!({"type": "remote", "hostname": "s", "port": 1, "key_algorithm": algo}),
            )
        };
        assert_eq!(err(&remote("dsa")), "invalid key algorithm configured: dsa");
        assert_eq!(err(&remote("ECDSA")), "invalid key algorithm configured: ECDSA");
        assert_eq!(err(&remote("")), "invalid key algorithm configured: ");
        for (algo, key_type) in [
            ("ecdsa", KeyType::Ecdsa),
            ("ed25519", KeyType::Ed25519),
            ("rsa", KeyType::Rsa),
        ] {
            let TrustServiceConfig::Remote { key_algorithm, .. } = parse(&remote(algo)).unwrap().trust_service else {
                panic!("expected remote");
            };
            assert_eq!(key_algorithm, key_type);
        }
        // Local ignores every other trust_service key, even nonsense ones.
        let doc = with(
            "trust_service",
            serde_json::json!({"type": "local", "key_algorithm": "dsa", "port": "x"}),
        );
        assert_eq!(parse(&doc).unwrap().trust_service, TrustServiceConfig::Local);
    }

    #[test]
    fn remote_trust_service_client_pair_host_and_port() {
        let remote = |extra: Value| {
            let mut ts = serde_json::json!({"type": "remote", "hostname": "signer", "port": "7899",
                "key_algorithm": "ecdsa"});
            for (k, v) in extra.as_object().unwrap() {
                ts[k] = v.clone();
            }
            with("trust_service", ts)
        };
        let pair = "either pass both client key and cert, or neither";
        assert_eq!(err(&remote(serde_json::json!({"tls_client_cert": "c.crt"}))), pair);
        assert_eq!(err(&remote(serde_json::json!({"tls_client_key": "c.key"}))), pair);
        // The pair is checked before the host and port.
        assert_eq!(
            err(&remote(serde_json::json!({"tls_client_key": "c.key", "hostname": ""}))),
            pair
        );
        assert_eq!(
            err(&remote(serde_json::json!({"hostname": ""}))),
            "trust_service.hostname is required for a \"remote\" trust_service"
        );
        for port in [
            serde_json::json!(""),
            serde_json::json!(0),
            serde_json::json!("abc"),
            serde_json::json!(70000),
        ] {
            let message = err(&remote(serde_json::json!({ "port": port })));
            assert!(
                message.starts_with("trust_service.port must be a port number"),
                "{message}"
            );
        }
    }

    #[test]
    fn behaviour_54_tls_pair() {
        let message = "either include both a cert and key file, or no TLS information at all to disable TLS";
        let server = |extra: Value| {
            let mut server = serde_json::json!({"http_addr": "127.0.0.1:4443"});
            for (k, v) in extra.as_object().unwrap() {
                server[k] = v.clone();
            }
            with("server", server)
        };
        for bad in [
            serde_json::json!({"tls_cert_file": "s.crt"}),
            serde_json::json!({"tls_key_file": "s.key"}),
            serde_json::json!({"client_ca_file": "ca.crt"}),
            serde_json::json!({"tls_cert_file": "s.crt", "client_ca_file": "ca.crt"}),
            serde_json::json!({"tls_cert_file": "s.crt", "tls_key_file": ""}),
        ] {
            assert_eq!(err(&server(bad)), message);
        }
        let tls = parse(&server(
            serde_json::json!({"tls_cert_file": "/a/s.crt", "tls_key_file": "/a/s.key"}),
        ))
        .unwrap()
        .tls
        .unwrap();
        assert_eq!(tls.client_ca, None);
        let tls = parse(&server(
            serde_json::json!({"tls_cert_file": "/a/s.crt", "tls_key_file": "/a/s.key",
            "client_ca_file": "/a/ca.crt"}),
        ))
        .unwrap()
        .tls
        .unwrap();
        assert_eq!(tls.client_ca, Some(PathBuf::from("/a/ca.crt")));
    }

    #[test]
    fn behaviour_55_gun_prefixes() {
        for bad in [
            "docker.io",
            "/abs/",
            "a//b/",
            "/",
            "",
            "a/./b/",
            "a/../b/",
            "../x/",
            "..foo/",
            " a/",
            "a/ ",
            "a/b",
        ] {
            let doc = with("repositories.gun_prefixes", serde_json::json!(["ok/", bad]));
            assert_eq!(err(&doc), format!("invalid GUN prefix {bad}"), "{bad:?}");
        }
        // "./" passes Go's check too (`path.Clean("./")` is "."), so it is accepted here as well.
        let good = serde_json::json!(["docker.io/", "localhost:5000/library/", "a.b/c-d_e/", "./"]);
        assert_eq!(
            parse(&with("repositories.gun_prefixes", good)).unwrap().gun_prefixes,
            ["docker.io/", "localhost:5000/library/", "a.b/c-d_e/", "./"]
        );
        // viper's GetStringSlice splits a plain string at whitespace.
        assert_eq!(
            parse(&with("repositories.gun_prefixes", "docker.io/  quay.io/".into()))
                .unwrap()
                .gun_prefixes,
            ["docker.io/", "quay.io/"]
        );
        assert_eq!(
            parse(&with("repositories.gun_prefixes", serde_json::json!([])))
                .unwrap()
                .gun_prefixes,
            Vec::<String>::new()
        );
        assert_eq!(
            err(&with("repositories.gun_prefixes", serde_json::json!({"a": "b/"}))),
            "config key repositories.gun_prefixes must be a list of strings, not an object"
        );
        assert_eq!(
            err(&with("repositories.gun_prefixes", serde_json::json!(["a/", ["b/"]]))),
            "config key repositories.gun_prefixes[1] must be a string, not a list"
        );
    }

    #[test]
    fn behaviour_56_cache_max_age_range() {
        let message = "must specify a cache-control max-age between 0 and 31536000";
        for key in [
            "caching.max_age.current_metadata",
            "caching.max_age.consistent_metadata",
        ] {
            for bad in [
                serde_json::json!(-1),
                serde_json::json!(31_536_001),
                serde_json::json!("abc"),
                serde_json::json!(1.5),
                serde_json::json!(" 10"),
                serde_json::json!(true),
                serde_json::json!("99999999999999999999"),
            ] {
                assert_eq!(err(&with(key, bad.clone())), message, "{key} = {bad}");
            }
        }
        let caching = |current: Value, consistent: Value| {
            let mut doc = with("caching.max_age.current_metadata", current);
            set(&mut doc, "caching.max_age.consistent_metadata", consistent);
            parse(&doc).unwrap().caching
        };
        assert_eq!(
            caching(serde_json::json!(0), serde_json::json!("31536000")),
            CachingConfig {
                current_max_age: 0,
                consistent_max_age: 31_536_000
            }
        );
        assert_eq!(
            caching(serde_json::json!("+60"), serde_json::json!(6e2)),
            CachingConfig {
                current_max_age: 60,
                consistent_max_age: 600
            }
        );
        // An empty string or null means the default, as in Go.
        assert_eq!(caching(serde_json::json!(""), Value::Null), CachingConfig::default());
    }

    #[test]
    fn behaviour_57_log_level_and_storage() {
        assert_eq!(
            err(&with("logging.level", "verbose".into())),
            "not a valid logrus Level: \"verbose\""
        );
        assert_eq!(
            err(&with("logging.level", "a\"b\n".into())),
            "not a valid logrus Level: \"a\\\"b\\n\""
        );
        assert_eq!(err(&with("logging.level", 3.into())), "not a valid logrus Level: \"3\"");
        for (name, level) in [
            ("panic", LogLevel::Panic),
            ("fatal", LogLevel::Fatal),
            ("error", LogLevel::Error),
            ("warn", LogLevel::Warn),
            ("warning", LogLevel::Warn),
            ("INFO", LogLevel::Info),
            ("Debug", LogLevel::Debug),
            ("trace", LogLevel::Trace),
            ("", LogLevel::Error),
        ] {
            assert_eq!(
                parse(&with("logging.level", name.into())).unwrap().logging_level,
                level,
                "{name}"
            );
        }

        assert_eq!(
            err(&with("storage", serde_json::json!({"backend": "mysql"}))),
            "must provide a non-empty database source for mysql"
        );
        assert_eq!(
            err(&with(
                "storage",
                serde_json::json!({"backend": "postgres", "db_url": ""})
            )),
            "must provide a non-empty database source for postgres"
        );
        assert_eq!(
            err(&with("storage", serde_json::json!({"backend": "sqlite3"}))),
            "must provide a non-empty database source for sqlite3"
        );
        assert_eq!(
            err(&with("storage.backend", "couchdb".into())),
            "couchdb is not a supported storage backend"
        );
        assert_eq!(
            err(&with("storage.backend", "Memory".into())),
            "Memory is not a supported storage backend"
        );
        let mut doc = base();
        remove(&mut doc, "storage.backend");
        assert_eq!(err(&doc), " is not a supported storage backend");
        assert!(matches!(
            parse(&with(
                "storage",
                serde_json::json!({"backend": "rethinkdb", "db_url": "h:28015"})
            )),
            Err(ConfigError::UnimplementedBackend { .. })
        ));

        let url = "user:pw@tcp(db:3306)/notary?parseTime=true";
        assert_eq!(
            parse(&with("storage", serde_json::json!({"backend": "mysql", "db_url": url})))
                .unwrap()
                .storage,
            StorageConfig::Mysql { db_url: url.into() }
        );
        let url = "postgres://server@db:5432/notaryserver?sslmode=verify-ca";
        assert_eq!(
            parse(&with(
                "storage",
                serde_json::json!({"backend": "postgres", "db_url": url})
            ))
            .unwrap()
            .storage,
            StorageConfig::Postgres { db_url: url.into() }
        );
    }

    #[test]
    fn sqlite_db_url_is_a_path_relative_to_the_config() {
        for (backend, url, path) in [
            ("sqlite", "notary.db", "/etc/notary/notary.db"),
            ("sqlite3", "data/../notary.db", "/etc/notary/notary.db"),
            ("sqlite3", "sqlite://notary.db", "/etc/notary/notary.db"),
            ("sqlite3", "sqlite:///var/lib/notary.db", "/var/lib/notary.db"),
            ("sqlite", "sqlite:db/x.db?mode=rwc", "/etc/notary/db/x.db"),
            ("sqlite3", "file:/var/x.db?cache=shared", "/var/x.db"),
            ("sqlite3", "file:///var/x.db", "/var/x.db"),
            ("sqlite3", "/abs/x.db", "/abs/x.db"),
        ] {
            let doc = with("storage", serde_json::json!({"backend": backend, "db_url": url}));
            assert_eq!(
                parse(&doc).unwrap().storage,
                StorageConfig::Sqlite { path: path.into() },
                "{url}"
            );
        }
        let doc = with(
            "storage",
            serde_json::json!({"backend": "sqlite3", "db_url": "sqlite://"}),
        );
        assert_eq!(err(&doc), "must provide a non-empty database source for sqlite3");
    }

    #[test]
    fn behaviour_58_token_auth_options() {
        let auth = |options: Value| with("auth", serde_json::json!({"type": "token", "options": options}));
        let opt = |name: &str| format!("token auth requires a valid option string: \"{name}\"");
        assert_eq!(err(&auth(serde_json::json!({"realm": "r"}))), opt("issuer"));
        assert_eq!(err(&auth(serde_json::json!({}))), opt("realm"));
        assert_eq!(
            err(&auth(serde_json::json!({"realm": "r", "issuer": "i"}))),
            opt("service")
        );
        assert_eq!(
            err(&auth(serde_json::json!({"realm": "r", "issuer": "i", "service": "s"}))),
            opt("rootcertbundle")
        );
        assert_eq!(
            err(&auth(
                serde_json::json!({"realm": 1, "issuer": "i", "service": "s", "rootcertbundle": "b"})
            )),
            opt("realm")
        );
        let mut options = token_options();
        options["autoredirect"] = "true".into();
        assert_eq!(
            err(&auth(options)),
            "token auth requires a valid option bool: autoredirect"
        );
        assert_eq!(err(&auth(Value::Null)), "auth.options must be a map[string]interface{}");
        assert_eq!(
            err(&auth("realm=x".into())),
            "auth.options must be a map[string]interface{}"
        );
        // Empty strings are strings: Go accepts them here (the bundle then fails to load).
        let empty = serde_json::json!({"realm": "", "issuer": "", "service": "", "rootcertbundle": ""});
        assert!(parse(&auth(empty)).unwrap().auth.is_some());
    }

    #[test]
    fn behaviour_59_bugsnag_needs_api_key() {
        let message = "must provide an API key for bugsnag";
        assert_eq!(
            err(&with("reporting.bugsnag.release_stage", "production".into())),
            message
        );
        assert_eq!(
            err(&with("reporting.bugsnag.endpoint", "https://b.example".into())),
            message
        );
        assert!(parse(&with("reporting.bugsnag.api_key", "k".into())).is_ok());
        assert!(parse(&with("reporting.bugsnag", serde_json::json!({}))).is_ok());
    }

    #[test]
    fn behaviour_60_relative_paths_resolve_against_the_config_dir() {
        let mut doc = with("server.tls_cert_file", "tls/server.crt".into());
        set(&mut doc, "server.tls_key_file", "./tls/../tls/server.key".into());
        set(&mut doc, "server.client_ca_file", "/abs/ca.crt".into());
        doc["trust_service"] = serde_json::json!({"type": "remote", "hostname": "signer", "port": 7899,
            "key_algorithm": "ecdsa", "tls_ca_file": "../ca.crt", "tls_client_cert": "client.crt",
            "tls_client_key": "keys/client.key"});
        doc["auth"] = serde_json::json!({"type": "token", "options": token_options()});
        let config = parse(&doc).unwrap();
        assert_eq!(
            config.tls,
            Some(TlsFiles {
                cert: "/etc/notary/tls/server.crt".into(),
                key: "/etc/notary/tls/server.key".into(),
                client_ca: Some("/abs/ca.crt".into()),
            })
        );
        let TrustServiceConfig::Remote {
            tls_ca_file,
            tls_client,
            ..
        } = config.trust_service
        else {
            panic!("expected remote");
        };
        assert_eq!(tls_ca_file, Some("/etc/ca.crt".into()));
        assert_eq!(
            tls_client,
            Some(ClientCertFiles {
                cert: "/etc/notary/client.crt".into(),
                key: "/etc/notary/keys/client.key".into()
            })
        );
        // §9.1: the token root bundle is not made relative to the config file.
        assert_eq!(config.auth.unwrap().rootcertbundle, PathBuf::from("certs/root.pem"));

        // A config dir of "." (Go's Dir("server.json")) leaves paths relative to the working dir.
        let config = ServerConfig::from_json(doc.to_string().as_bytes(), Path::new("."), &|_| None).unwrap();
        assert_eq!(config.tls.unwrap().cert, PathBuf::from("tls/server.crt"));
        assert_eq!(resolve(Path::new("."), "../x"), PathBuf::from("../x"));
        assert_eq!(resolve(Path::new("/"), "../x"), PathBuf::from("/x"));
        assert_eq!(resolve(Path::new("a"), ".."), PathBuf::from("."));
    }

    #[test]
    fn behaviour_61_env_overrides() {
        // Spec item 61: backend and trust service type from the environment win over the file.
        let mut doc = with("storage", serde_json::json!({"backend": "mysql"}));
        set(&mut doc, "trust_service.type", "remote".into());
        let config = parse_env(
            &doc,
            &[
                ("NOTARY_SERVER_STORAGE_BACKEND", "memory"),
                ("NOTARY_SERVER_TRUST_SERVICE_TYPE", "local"),
            ],
        )
        .unwrap();
        assert_eq!(config.storage, StorageConfig::Memory);
        assert_eq!(config.trust_service, TrustServiceConfig::Local);

        // Every scalar key, including sections missing from (or scalars in the way in) the file.
        let doc = serde_json::json!({"server": "nonsense", "logging": {"Level": "verbose"}});
        let config = parse_env(
            &doc,
            &[
                ("NOTARY_SERVER_SERVER_HTTP_ADDR", "0.0.0.0:4443"),
                ("NOTARY_SERVER_SERVER_TLS_CERT_FILE", "s.crt"),
                ("NOTARY_SERVER_SERVER_TLS_KEY_FILE", "s.key"),
                ("NOTARY_SERVER_SERVER_CLIENT_CA_FILE", "ca.crt"),
                ("NOTARY_SERVER_TRUST_SERVICE_TYPE", "remote"),
                ("NOTARY_SERVER_TRUST_SERVICE_HOSTNAME", "signer"),
                ("NOTARY_SERVER_TRUST_SERVICE_PORT", "7899"),
                ("NOTARY_SERVER_TRUST_SERVICE_KEY_ALGORITHM", "rsa"),
                ("NOTARY_SERVER_TRUST_SERVICE_TLS_CA_FILE", "signer-ca.crt"),
                ("NOTARY_SERVER_TRUST_SERVICE_TLS_CLIENT_CERT", "c.crt"),
                ("NOTARY_SERVER_TRUST_SERVICE_TLS_CLIENT_KEY", "c.key"),
                ("NOTARY_SERVER_STORAGE_BACKEND", "sqlite3"),
                ("NOTARY_SERVER_STORAGE_DB_URL", "notary.db"),
                ("NOTARY_SERVER_LOGGING_LEVEL", "debug"),
                ("NOTARY_SERVER_REPORTING_BUGSNAG_API_KEY", "k"),
                ("NOTARY_SERVER_REPORTING_BUGSNAG_RELEASE_STAGE", "s"),
                ("NOTARY_SERVER_REPORTING_BUGSNAG_ENDPOINT", "e"),
                ("NOTARY_SERVER_CACHING_MAX_AGE_CURRENT_METADATA", "10"),
                ("NOTARY_SERVER_CACHING_MAX_AGE_CONSISTENT_METADATA", "20"),
                ("NOTARY_SERVER_REPOSITORIES_GUN_PREFIXES", "a/ b/"),
            ],
        )
        .unwrap();
        assert_eq!(
            config,
            ServerConfig {
                http_addr: "0.0.0.0:4443".into(),
                tls: Some(TlsFiles {
                    cert: "/etc/notary/s.crt".into(),
                    key: "/etc/notary/s.key".into(),
                    client_ca: Some("/etc/notary/ca.crt".into()),
                }),
                trust_service: TrustServiceConfig::Remote {
                    hostname: "signer".into(),
                    port: 7899,
                    key_algorithm: KeyType::Rsa,
                    tls_ca_file: Some("/etc/notary/signer-ca.crt".into()),
                    tls_client: Some(ClientCertFiles {
                        cert: "/etc/notary/c.crt".into(),
                        key: "/etc/notary/c.key".into()
                    }),
                },
                storage: StorageConfig::Sqlite {
                    path: "/etc/notary/notary.db".into()
                },
                auth: None,
                logging_level: LogLevel::Debug,
                caching: CachingConfig {
                    current_max_age: 10,
                    consistent_max_age: 20
                },
                gun_prefixes: vec!["a/".into(), "b/".into()],
            }
        );

        // auth.type from the environment; the options still come from the file.
        let doc = with("auth.options", token_options());
        let config = parse_env(&doc, &[("NOTARY_SERVER_AUTH_TYPE", "token")]).unwrap();
        assert_eq!(config.auth.unwrap().service, "notary");

        // An empty variable is unset; an env value is checked like a file value.
        let config = parse_env(&base(), &[("NOTARY_SERVER_STORAGE_BACKEND", "")]).unwrap();
        assert_eq!(config.storage, StorageConfig::Memory);
        assert_eq!(
            parse_env(&base(), &[("NOTARY_SERVER_LOGGING_LEVEL", "loud")])
                .unwrap_err()
                .to_string(),
            "not a valid logrus Level: \"loud\""
        );
        // Every key in the list is one the parser reads, spelled as a path of two or more parts.
        assert!(ENV_KEYS.iter().all(|k| k.contains('.') && *k == k.to_lowercase()));
    }

    #[test]
    fn checks_run_in_go_order() {
        let mut doc = serde_json::json!({
            "server": {"tls_cert_file": "only.crt"},
            "logging": {"level": "verbose"},
            "repositories": {"gun_prefixes": ["bad"]},
            "reporting": {"bugsnag": {"endpoint": "e"}},
            "trust_service": {"type": "nope"},
            "storage": {"backend": "nope"},
            "caching": {"max_age": {"current_metadata": -1}},
            "auth": {"type": "token", "options": {}}
        });
        let fixes: [(&str, Value, &str); 8] = [
            ("logging.level", "info".into(), "not a valid logrus Level: \"verbose\""),
            (
                "repositories.gun_prefixes",
                serde_json::json!([]),
                "invalid GUN prefix bad",
            ),
            (
                "reporting.bugsnag",
                serde_json::json!({}),
                "must provide an API key for bugsnag",
            ),
            (
                "trust_service.type",
                "local".into(),
                "must specify either a \"local\" or \"remote\" type for trust_service",
            ),
            (
                "storage.backend",
                "memory".into(),
                "nope is not a supported storage backend",
            ),
            (
                "caching.max_age.current_metadata",
                60.into(),
                "must specify a cache-control max-age between 0 and 31536000",
            ),
            (
                "server.http_addr",
                "127.0.0.1:1".into(),
                "http listen address required for server",
            ),
            (
                "server.tls_key_file",
                "only.key".into(),
                "either include both a cert and key file, or no TLS information at all to disable TLS",
            ),
        ];
        for (key, fix, message) in fixes {
            assert_eq!(err(&doc), message);
            set(&mut doc, key, fix);
        }
        assert_eq!(err(&doc), "token auth requires a valid option string: \"realm\"");
        doc["auth"] = serde_json::json!({"type": "token", "options": token_options()});
        assert!(parse(&doc).is_ok());
    }

    #[test]
    fn hostile_input_is_refused_with_a_clear_error() {
        let dir = Path::new(DIR);
        let none = |_: &str| None;
        for (bytes, message) in [
            (
                &b"[]"[..],
                "could not read config: the configuration must be a JSON object, not a list",
            ),
            (
                b"null",
                "could not read config: the configuration must be a JSON object, not null",
            ),
            (
                b"\"x\"",
                "could not read config: the configuration must be a JSON object, not a string",
            ),
        ] {
            assert_eq!(
                ServerConfig::from_json(bytes, dir, &none).unwrap_err().to_string(),
                message
            );
        }
        for bytes in [&b""[..], b"{", b"{\"a\":1,}", b"\xff\xfe", b"{} {}"] {
            let message = ServerConfig::from_json(bytes, dir, &none).unwrap_err().to_string();
            assert!(message.starts_with("could not read config: invalid JSON"), "{message}");
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(ServerConfig::from_json(deep.as_bytes(), dir, &none).is_err());
        let deep = format!("{{\"server\":{}1{}}}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(ServerConfig::from_json(deep.as_bytes(), dir, &none).is_err());

        let mut big = base().to_string().into_bytes();
        big.pop();
        big.extend_from_slice(format!(",\"pad\":\"{}\"}}", "x".repeat(MAX_CONFIG_BYTES)).as_bytes());
        assert_eq!(
            ServerConfig::from_json(&big, dir, &none).unwrap_err().to_string(),
            "could not read config: the configuration is larger than 1048576 bytes"
        );

        assert_eq!(
            err(&with("server.http_addr", serde_json::json!(["127.0.0.1:1"]))),
            "config key server.http_addr must be a string, not a list"
        );
        assert_eq!(
            err(&with("server", "127.0.0.1:1".into())),
            "config key server must be an object, not a string"
        );
        assert_eq!(
            err(&with("caching.max_age", 5.into())),
            "config key caching.max_age must be an object, not a number"
        );
        assert_eq!(
            err(&with("caching.max_age.current_metadata", serde_json::json!({}))),
            "config key caching.max_age.current_metadata must be a number, not an object"
        );
        assert_eq!(
            err(&with("trust_service.type", serde_json::json!({"local": true}))),
            "config key trust_service.type must be a string, not an object"
        );
    }

    #[test]
    fn keys_are_case_insensitive_and_unknown_keys_ignored() {
        let doc = serde_json::json!({
            "Server": {"HTTP_ADDR": "127.0.0.1:9"},
            "TRUST_SERVICE": {"Type": "local"},
            "storage": {"Backend": "memory", "extra": [1, 2]},
            "notifications": {"endpoints": []},
            "unknown": null
        });
        assert_eq!(parse(&doc).unwrap().http_addr, "127.0.0.1:9");
        // The environment overrides a key whatever its case in the file.
        let config = parse_env(&doc, &[("NOTARY_SERVER_SERVER_HTTP_ADDR", "127.0.0.1:10")]).unwrap();
        assert_eq!(config.http_addr, "127.0.0.1:10");
    }

    #[test]
    fn scalars_are_read_as_viper_reads_them() {
        assert_eq!(number_text(&serde_json::from_str("7899").unwrap()), "7899");
        assert_eq!(number_text(&serde_json::from_str("-1").unwrap()), "-1");
        assert_eq!(number_text(&serde_json::from_str("1e3").unwrap()), "1000");
        assert_eq!(number_text(&serde_json::from_str("1.5").unwrap()), "1.5");
        assert_eq!(
            number_text(&serde_json::from_str("18446744073709551615").unwrap()),
            "18446744073709551615"
        );
        assert_eq!(go_quote("tab\there\u{1}\u{85}é"), "\"tab\\there\\x01\\u0085é\"");
        assert_eq!(go_path_clean("a/b/../../.."), "..");
        assert_eq!(go_path_clean("/../a//b/./"), "/a/b");
    }

    #[test]
    fn log_level_names_and_filters() {
        let all = [
            LogLevel::Panic,
            LogLevel::Fatal,
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ];
        let filters: Vec<_> = all.iter().map(|l| l.tracing_filter()).collect();
        assert_eq!(filters, ["error", "error", "error", "warn", "info", "debug", "trace"]);
        for level in all {
            assert_eq!(level.to_string().parse::<LogLevel>().unwrap(), level);
        }
        assert_eq!(LogLevel::Warn.to_string(), "warning");
    }

    #[test]
    fn default_embedded_config() {
        let config = ServerConfig::default_embedded(Path::new("/var/lib/notary"));
        assert_eq!(config.http_addr, "127.0.0.1:4443");
        assert_eq!(
            config.storage,
            StorageConfig::Sqlite {
                path: "/var/lib/notary/notary-server.db".into()
            }
        );
        assert_eq!(config.trust_service, TrustServiceConfig::Local);
        assert_eq!((config.tls, config.auth), (None, None));
        assert_eq!(config.caching, CachingConfig::default());
    }

    #[test]
    fn load_reads_the_file_and_resolves_against_its_dir() {
        let work = notary_testkit::WorkDir::new("server-config");
        let mut doc = with("server.tls_cert_file", "tls/s.crt".into());
        set(&mut doc, "server.tls_key_file", "tls/s.key".into());
        let path = work.write("server.json", doc.to_string().as_bytes());
        let config = ServerConfig::load(&path).unwrap();
        assert_eq!(config.tls.unwrap().cert, work.path("tls/s.crt"));

        let missing = work.path("missing.json");
        let message = ServerConfig::load(&missing).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "Could not read config at :{}, viper error: ",
                missing.display()
            )),
            "{message}"
        );

        let bad = work.write("bad.json", b"[1]");
        let message = ServerConfig::load(&bad).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "Could not read config at :{}, viper error: the configuration must be a JSON object, not a list",
                bad.display()
            )
        );

        let big = work.write("big.json", &vec![b' '; MAX_CONFIG_BYTES + 1]);
        assert!(matches!(
            ServerConfig::load(&big),
            Err(ConfigError::Read {
                source: SourceError::TooLarge { .. },
                ..
            })
        ));
        let yaml = work.write("server.yaml", b"server: {}");
        assert!(matches!(
            ServerConfig::load(&yaml),
            Err(ConfigError::Read {
                source: SourceError::UnsupportedFormat { .. },
                ..
            })
        ));
        // Validation errors keep Go's message, not wrapped in the read error.
        let path = work.write(
            "no-addr.json",
            br#"{"trust_service":{"type":"local"},"storage":{"backend":"memory"}}"#,
        );
        assert_eq!(
            ServerConfig::load(&path).unwrap_err().to_string(),
            "http listen address required for server"
        );
        work.done();
    }
}
