//! Go notary-signer's JSON configuration file, parsed into a validated [`SignerConfig`]
//! (`shared/spec/signer.md` §8, with §2 for TLS and §6.1/§6.4 for storage and aliases).
//!
//! A configuration written for Go's `notary-signer -config` works unchanged:
//! - keys are looked up as viper does: case-insensitively, unknown keys ignored, `null` the same as
//!   absent, and every scalar read the way viper's `GetString` reads it (a number or boolean is
//!   turned into its text);
//! - every key read here can be overridden by `NOTARY_SIGNER_` + the key path upper-cased with `.`
//!   replaced by `_` (an empty variable counts as unset, as in viper), e.g.
//!   `NOTARY_SIGNER_STORAGE_DB_URL`; `NOTARY_SIGNER_DEFAULT_ALIAS` (Go's top-level `DEFAULT_ALIAS`
//!   key) is the fallback default alias when `storage.default_alias` is empty;
//! - checks run in Go's order and the first failure is returned with Go's message: read file →
//!   log level → bugsnag → TLS → `grpc_addr` → storage backend → database source → default alias;
//! - relative paths under `server.*` and the SQLite `storage.db_url` resolve against the
//!   configuration file's directory.
//!
//! Reading the file that way is [`notary_service_kit::config_doc`]'s, shared with notary-server;
//! this module holds the signer's keys and checks.
//!
//! This module only reads and checks the file: certificates, keys and databases are opened by
//! the code that uses them (a TLS file that cannot be loaded is for it to report, with Go's prefix
//! `unable to set up TLS: `). The file is treated as hostile input: it is size-limited, and a value
//! of the wrong JSON type is an error naming its key rather than a guess.
//!
//! Deliberate differences from Go, each a clear start-up error where Go fails later or never:
//! - only JSON is read (Go also reads YAML/TOML by extension);
//! - `server.grpc_addr` must be `host:port` with a numeric port;
//! - `rethinkdb` storage is refused;
//! - for a persistent backend, the default alias's passphrase variable `NOTARY_SIGNER_<ALIAS>` must
//!   be set and non-empty: Go starts without it and then fails every key creation with an opaque
//!   `Key creation failed` (signer.md §6.4, §11 item 25).
//!
//! `sqlite`/`sqlite3` storage is our extension (Go's packaged binary has no SQLite driver).

use std::path::{Path, PathBuf};

use notary_service_kit::config_doc::{Document, EnvLookup, go_quote, listen_addr};
pub use notary_service_kit::config_doc::{LogLevel, SourceError, Storage as SignerStorage, TlsFiles};
// For the tests below.
#[cfg(test)]
use notary_service_kit::config_doc::{MAX_CONFIG_BYTES, resolve};
#[cfg(test)]
use serde_json::Value;

use crate::keys::alias_env_var;

/// A validated notary-signer configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerConfig {
    /// `server.grpc_addr`: the `host:port` to serve gRPC on. An empty host (Go's `:7899`, all
    /// interfaces) is given as `0.0.0.0`.
    pub grpc_addr: String,
    /// `server.tls_*`: the signer only serves over TLS (§2).
    pub tls: TlsFiles,
    /// `storage`: where the sealed keys are kept.
    pub storage: SignerStorage,
    /// The alias new keys are sealed under: `storage.default_alias`, else the top-level
    /// `default_alias` (`NOTARY_SIGNER_DEFAULT_ALIAS`). Always set for a persistent backend, and
    /// its passphrase variable was set when the configuration was read; `None` for
    /// [`SignerStorage::Memory`], which Go never asks for one.
    pub default_alias: Option<String>,
    /// `logging.level`, `error` by default.
    pub logging_level: LogLevel,
}

/// Why a configuration was refused. `Display` is Go notary-signer's message where Go has one.
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
    /// The bytes given to [`SignerConfig::from_json`] are not a JSON object.
    #[error("could not read config: {0}")]
    Source(#[source] SourceError),
    /// A value (or a section on its path) has a JSON type that cannot mean anything there.
    #[error("config key {key} must be {expected}, not {found}")]
    WrongType {
        /// The dotted key path.
        key: String,
        /// What the key takes.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `logging.level` is not a logrus level (a number, such as the upstream docs' `2`, is not).
    #[error("not a valid logrus Level: {}", go_quote(value))]
    InvalidLogLevel {
        /// The value as written.
        value: String,
    },
    /// `reporting.bugsnag` has settings but no `api_key`.
    #[error("must provide an API key for bugsnag")]
    MissingBugsnagApiKey,
    /// `server.tls_cert_file` or `server.tls_key_file` is missing: TLS is mandatory (§2).
    #[error("unable to set up TLS: {keys} not set (the signer only serves gRPC over TLS)")]
    MissingTls {
        /// The missing keys, e.g. `server.tls_cert_file and server.tls_key_file`.
        keys: &'static str,
    },
    /// `server.grpc_addr` is missing or empty.
    #[error("grpc listen address required for server")]
    MissingGrpcAddr,
    /// `server.grpc_addr` is not `host:port`.
    #[error(
        "invalid grpc listen address {}: expected host:port with a numeric port",
        go_quote(addr)
    )]
    InvalidGrpcAddr {
        /// The value as written.
        addr: String,
    },
    /// `storage.backend` is not one Go allows.
    #[error("{backend} is not an allowed backend, must be one of: [memory mysql sqlite3 rethinkdb postgres]")]
    UnsupportedBackend {
        /// The value as written (empty when missing).
        backend: String,
    },
    /// `storage.backend` is one Go allows but this signer does not implement.
    #[error("the {backend} storage backend is not implemented by this signer; use memory, sqlite3, postgres or mysql")]
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
    /// A persistent backend without a default alias (§6.4).
    #[error("must provide a default alias for the key DB")]
    MissingDefaultAlias,
    /// The default alias's passphrase variable is unset or empty (our fail-fast, not Go's).
    #[error("passphrase for the default alias {alias} is not set: export {variable}")]
    MissingPassphrase {
        /// The default alias.
        alias: String,
        /// Its variable, `NOTARY_SIGNER_<ALIAS>`.
        variable: String,
    },
}

notary_service_kit::impl_from_doc_error!(ConfigError);

impl SignerConfig {
    /// Reads and validates the configuration file at `path` (`notary-signer -config <path>`), with
    /// environment overrides and passphrase variables from this process's environment.
    pub fn load(path: &Path) -> Result<SignerConfig, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        let doc = Document::load(path, ENV_PREFIX, ENV_KEYS, &env).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        validate(&doc, &env)
    }

    /// Validates configuration bytes (§8). Relative paths resolve against `config_dir`; `env`
    /// looks up an environment variable (`None`, or an empty value, means unset).
    pub fn from_json(
        bytes: &[u8],
        config_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SignerConfig, ConfigError> {
        let doc = Document::from_json(bytes, config_dir, ENV_PREFIX, ENV_KEYS, env).map_err(ConfigError::Source)?;
        validate(&doc, env)
    }
}

/// All checks, in Go's order (§8: `parseSignerConfig`).
fn validate(doc: &Document<'_>, env: EnvLookup<'_>) -> Result<SignerConfig, ConfigError> {
    let logging_level = doc.log_level()?;
    doc.check_bugsnag()?;
    let (grpc_addr, tls) = listener(doc)?;
    let storage = doc.storage()?;
    let default_alias = match storage {
        SignerStorage::Memory => None,
        _ => Some(default_alias(doc, env)?),
    };
    Ok(SignerConfig {
        grpc_addr,
        tls,
        storage,
        default_alias,
        logging_level,
    })
}

/// Go's `getAddrAndTLSConfig`: the TLS files first (required), then `server.grpc_addr`.
fn listener(doc: &Document<'_>) -> Result<(String, TlsFiles), ConfigError> {
    let cert = doc.path("server.tls_cert_file")?;
    let key = doc.path("server.tls_key_file")?;
    let client_ca = doc.path("server.client_ca_file")?;
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => TlsFiles { cert, key, client_ca },
        (None, None) => {
            return Err(ConfigError::MissingTls {
                keys: "server.tls_cert_file and server.tls_key_file",
            });
        }
        (None, Some(_)) => {
            return Err(ConfigError::MissingTls {
                keys: "server.tls_cert_file",
            });
        }
        (Some(_), None) => {
            return Err(ConfigError::MissingTls {
                keys: "server.tls_key_file",
            });
        }
    };
    let addr = doc.string("server.grpc_addr")?;
    if addr.is_empty() {
        return Err(ConfigError::MissingGrpcAddr);
    }
    let grpc_addr = listen_addr(&addr).ok_or(ConfigError::InvalidGrpcAddr { addr })?;
    Ok((grpc_addr, tls))
}

/// Go's `getDefaultAlias` (§6.4): `storage.default_alias`, else the top-level `default_alias`
/// (`NOTARY_SIGNER_DEFAULT_ALIAS`). Then, unlike Go, its passphrase variable must be set.
fn default_alias(doc: &Document<'_>, env: EnvLookup<'_>) -> Result<String, ConfigError> {
    let mut alias = doc.string("storage.default_alias")?;
    if alias.is_empty() {
        alias = doc.string("default_alias")?;
    }
    if alias.is_empty() {
        return Err(ConfigError::MissingDefaultAlias);
    }
    let variable = alias_env_var(&alias);
    if env(&variable).is_none_or(|value| value.is_empty()) {
        return Err(ConfigError::MissingPassphrase { alias, variable });
    }
    Ok(alias)
}

/// Prefix of the environment overrides (viper `SetEnvPrefix("NOTARY_SIGNER")`).
const ENV_PREFIX: &str = "NOTARY_SIGNER_";
/// Every key this module reads, so every key the environment can override. `default_alias` is
/// Go's top-level `DEFAULT_ALIAS` key, i.e. `NOTARY_SIGNER_DEFAULT_ALIAS`.
const ENV_KEYS: &[&str] = &[
    "server.grpc_addr",
    "server.tls_cert_file",
    "server.tls_key_file",
    "server.client_ca_file",
    "storage.backend",
    "storage.db_url",
    "storage.default_alias",
    "default_alias",
    "logging.level",
    "reporting.bugsnag.api_key",
    "reporting.bugsnag.release_stage",
    "reporting.bugsnag.endpoint",
];

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/etc/notary";

    /// A minimal valid configuration to which tests add or change keys.
    fn base() -> Value {
        serde_json::json!({
            "server": {"grpc_addr": "127.0.0.1:7899", "tls_cert_file": "signer.crt", "tls_key_file": "signer.key"},
            "storage": {"backend": "memory"}
        })
    }

    /// `base()` on SQLite with default alias `alias1`.
    fn sql() -> Value {
        let mut doc = base();
        doc["storage"] = serde_json::json!({"backend": "sqlite3", "db_url": "keys.db", "default_alias": "alias1"});
        doc
    }

    fn parse_env(json: &Value, vars: &[(&str, &str)]) -> Result<SignerConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        SignerConfig::from_json(json.to_string().as_bytes(), Path::new(DIR), &env)
    }

    /// Parses with `NOTARY_SIGNER_ALIAS1` set, as the spec's checklist setup has it.
    fn parse(json: &Value) -> Result<SignerConfig, ConfigError> {
        parse_env(json, &[("NOTARY_SIGNER_ALIAS1", "passphrase1")])
    }

    fn err(json: &Value) -> String {
        parse(json).unwrap_err().to_string()
    }

    /// `doc` with `value` set at the dotted `key`.
    fn with(mut doc: Value, key: &str, value: Value) -> Value {
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

    #[test]
    fn minimal_config_takes_go_defaults() {
        assert_eq!(
            parse(&base()).unwrap(),
            SignerConfig {
                grpc_addr: "127.0.0.1:7899".into(),
                tls: TlsFiles {
                    cert: "/etc/notary/signer.crt".into(),
                    key: "/etc/notary/signer.key".into(),
                    client_ca: None,
                },
                storage: SignerStorage::Memory,
                default_alias: None,
                logging_level: LogLevel::Error,
            }
        );
        // Go's `:port` listens on every interface.
        let config = parse(&with(base(), "server.grpc_addr", ":7899".into())).unwrap();
        assert_eq!(config.grpc_addr, "0.0.0.0:7899");
    }

    /// The `signer.json` that `shared/interop/start-reference-server.sh` writes.
    #[test]
    fn interop_reference_config() {
        let json = br#"{
  "server": {
    "grpc_addr": "127.0.0.1:17899",
    "tls_cert_file": "/srv/ref/tls/signer.crt",
    "tls_key_file": "/srv/ref/tls/signer.key",
    "client_ca_file": "/srv/ref/tls/ca.crt"
  },
  "logging": { "level": "info" },
  "storage": { "backend": "memory" }
}"#;
        let config = SignerConfig::from_json(json, Path::new("/srv/ref"), &|_| None).unwrap();
        assert_eq!(
            config,
            SignerConfig {
                grpc_addr: "127.0.0.1:17899".into(),
                tls: TlsFiles {
                    cert: "/srv/ref/tls/signer.crt".into(),
                    key: "/srv/ref/tls/signer.key".into(),
                    client_ca: Some("/srv/ref/tls/ca.crt".into()),
                },
                storage: SignerStorage::Memory,
                default_alias: None,
                logging_level: LogLevel::Info,
            }
        );
    }

    /// The example of signer.md §8, with `NOTARY_SIGNER_ALIAS1` set.
    #[test]
    fn spec_example_config() {
        let json = serde_json::json!({
          "server": {"grpc_addr": ":7899", "tls_cert_file": "signer.crt", "tls_key_file": "signer.key",
                     "client_ca_file": "ca.crt"},
          "logging": {"level": "info"},
          "storage": {"backend": "postgres",
                      "db_url": "postgres://signer@db:5432/notarysigner?sslmode=verify-full",
                      "default_alias": "alias1"}
        });
        assert_eq!(
            parse(&json).unwrap(),
            SignerConfig {
                grpc_addr: "0.0.0.0:7899".into(),
                tls: TlsFiles {
                    cert: "/etc/notary/signer.crt".into(),
                    key: "/etc/notary/signer.key".into(),
                    client_ca: Some("/etc/notary/ca.crt".into()),
                },
                storage: SignerStorage::Postgres {
                    db_url: "postgres://signer@db:5432/notarysigner?sslmode=verify-full".into()
                },
                default_alias: Some("alias1".into()),
                logging_level: LogLevel::Info,
            }
        );
        let mysql = with(json, "storage.backend", "mysql".into());
        assert!(matches!(parse(&mysql).unwrap().storage, SignerStorage::Mysql { .. }));
    }

    #[test]
    fn signer_28_default_alias_env() {
        // Without storage.default_alias, NOTARY_SIGNER_DEFAULT_ALIAS supplies it.
        let mut doc = sql();
        remove(&mut doc, "storage.default_alias");
        let config = parse_env(
            &doc,
            &[("NOTARY_SIGNER_DEFAULT_ALIAS", "x"), ("NOTARY_SIGNER_X", "secret")],
        )
        .unwrap();
        assert_eq!(config.default_alias.as_deref(), Some("x"));
        // ... and so does Go's top-level DEFAULT_ALIAS key in the file (viper is case-insensitive).
        let config = parse_env(
            &with(doc.clone(), "DEFAULT_ALIAS", "fromfile".into()),
            &[("NOTARY_SIGNER_FROMFILE", "secret")],
        )
        .unwrap();
        assert_eq!(config.default_alias.as_deref(), Some("fromfile"));

        // storage.default_alias wins over NOTARY_SIGNER_DEFAULT_ALIAS...
        let config = parse_env(
            &sql(),
            &[("NOTARY_SIGNER_DEFAULT_ALIAS", "x"), ("NOTARY_SIGNER_ALIAS1", "secret")],
        )
        .unwrap();
        assert_eq!(config.default_alias.as_deref(), Some("alias1"));
        // ... and NOTARY_SIGNER_STORAGE_DEFAULT_ALIAS overrides the file.
        let config = parse_env(
            &sql(),
            &[
                ("NOTARY_SIGNER_STORAGE_DEFAULT_ALIAS", "y"),
                ("NOTARY_SIGNER_DEFAULT_ALIAS", "x"),
                ("NOTARY_SIGNER_Y", "secret"),
            ],
        )
        .unwrap();
        assert_eq!(config.default_alias.as_deref(), Some("y"));

        // The memory store never asks for an alias.
        let config = parse_env(&base(), &[("NOTARY_SIGNER_DEFAULT_ALIAS", "x")]).unwrap();
        assert_eq!(config.default_alias, None);
    }

    #[test]
    fn signer_29_missing_default_alias() {
        for (backend, db_url) in [
            ("postgres", "postgres://signer@db/notarysigner"),
            ("mysql", "signer@tcp(db:3306)/notarysigner"),
            ("sqlite3", "keys.db"),
            ("sqlite", "keys.db"),
        ] {
            let doc = with(
                base(),
                "storage",
                serde_json::json!({"backend": backend, "db_url": db_url}),
            );
            assert_eq!(err(&doc), "must provide a default alias for the key DB");
            let doc = with(doc, "storage.default_alias", "".into());
            assert_eq!(err(&doc), "must provide a default alias for the key DB");
        }
        // Memory needs none.
        assert!(parse(&base()).is_ok());
    }

    #[test]
    fn missing_default_alias_passphrase_fails_fast() {
        let message = "passphrase for the default alias alias1 is not set: export NOTARY_SIGNER_ALIAS1";
        assert_eq!(parse_env(&sql(), &[]).unwrap_err().to_string(), message);
        assert_eq!(
            parse_env(&sql(), &[("NOTARY_SIGNER_ALIAS1", "")])
                .unwrap_err()
                .to_string(),
            message
        );
        // Another alias's variable does not count.
        assert!(matches!(
            parse_env(&sql(), &[("NOTARY_SIGNER_OLD", "x")]).unwrap_err(),
            ConfigError::MissingPassphrase { .. }
        ));
        // The variable name follows signer.md §6.4: upper case, `.` → `_`.
        let doc = with(sql(), "storage.default_alias", "team.Alias".into());
        assert_eq!(
            parse_env(&doc, &[]).unwrap_err().to_string(),
            "passphrase for the default alias team.Alias is not set: export NOTARY_SIGNER_TEAM_ALIAS"
        );
        let config = parse_env(&doc, &[("NOTARY_SIGNER_TEAM_ALIAS", "p")]).unwrap();
        assert_eq!(config.default_alias.as_deref(), Some("team.Alias"));
        // The memory store needs no passphrase.
        assert!(parse_env(&base(), &[]).is_ok());
    }

    #[test]
    fn signer_30_missing_tls_or_addr() {
        let mut doc = base();
        remove(&mut doc, "server.tls_cert_file");
        remove(&mut doc, "server.tls_key_file");
        assert_eq!(
            err(&doc),
            "unable to set up TLS: server.tls_cert_file and server.tls_key_file not set \
             (the signer only serves gRPC over TLS)"
        );
        // Go checks TLS before the address.
        remove(&mut doc, "server.grpc_addr");
        assert!(err(&doc).starts_with("unable to set up TLS: "));
        // A client CA alone is not TLS either.
        let doc = with(doc, "server.client_ca_file", "ca.crt".into());
        assert!(err(&doc).starts_with("unable to set up TLS: "));

        let mut doc = base();
        remove(&mut doc, "server.tls_key_file");
        assert_eq!(
            err(&doc),
            "unable to set up TLS: server.tls_key_file not set (the signer only serves gRPC over TLS)"
        );
        let mut doc = base();
        remove(&mut doc, "server.tls_cert_file");
        assert!(err(&doc).starts_with("unable to set up TLS: server.tls_cert_file not set"));

        let mut doc = base();
        remove(&mut doc, "server.grpc_addr");
        assert_eq!(err(&doc), "grpc listen address required for server");
        assert_eq!(
            err(&with(base(), "server.grpc_addr", "".into())),
            "grpc listen address required for server"
        );
        for bad in ["7899", "localhost", "host:port", "a b:1", "[::1:1", "::1:1"] {
            assert_eq!(
                err(&with(base(), "server.grpc_addr", bad.into())),
                format!("invalid grpc listen address \"{bad}\": expected host:port with a numeric port")
            );
        }
        for good in ["[::1]:7899", "localhost:0", "0.0.0.0:7899"] {
            assert_eq!(
                parse(&with(base(), "server.grpc_addr", good.into())).unwrap().grpc_addr,
                good
            );
        }
    }

    #[test]
    fn signer_31_bad_backend() {
        let allowed = "must be one of: [memory mysql sqlite3 rethinkdb postgres]";
        assert_eq!(
            err(&with(base(), "storage.backend", "file".into())),
            format!("file is not an allowed backend, {allowed}")
        );
        // Go's exact text for a missing backend: an empty name, then the message.
        let mut doc = base();
        remove(&mut doc, "storage.backend");
        assert_eq!(err(&doc), format!(" is not an allowed backend, {allowed}"));
        // Backend names are case-sensitive, as in Go.
        assert_eq!(
            err(&with(base(), "storage.backend", "Memory".into())),
            format!("Memory is not an allowed backend, {allowed}")
        );
        assert_eq!(
            err(&with(base(), "storage.backend", "rethinkdb".into())),
            "the rethinkdb storage backend is not implemented by this signer; use memory, sqlite3, postgres or mysql"
        );
        for backend in ["mysql", "postgres", "sqlite3", "sqlite"] {
            let doc = with(sql(), "storage.backend", backend.into());
            let mut doc = with(doc, "storage.db_url", "".into());
            assert_eq!(
                err(&doc),
                format!("must provide a non-empty database source for {backend}")
            );
            remove(&mut doc, "storage.db_url");
            assert_eq!(
                err(&doc),
                format!("must provide a non-empty database source for {backend}")
            );
        }
        assert_eq!(
            err(&with(sql(), "storage.db_url", "sqlite://?mode=rwc".into())),
            "must provide a non-empty database source for sqlite3"
        );
    }

    #[test]
    fn signer_32_numeric_log_level() {
        assert_eq!(
            err(&with(base(), "logging.level", 2.into())),
            "not a valid logrus Level: \"2\""
        );
        assert_eq!(
            err(&with(base(), "logging.level", "verbose".into())),
            "not a valid logrus Level: \"verbose\""
        );
        let config = parse(&with(base(), "logging.level", "debug".into())).unwrap();
        assert_eq!(config.logging_level, LogLevel::Debug);
        let config = parse(&with(base(), "logging.level", "WARNING".into())).unwrap();
        assert_eq!(config.logging_level, LogLevel::Warn);
    }

    #[test]
    fn relative_paths_resolve_against_the_config_dir() {
        let doc = serde_json::json!({
            "server": {"grpc_addr": "127.0.0.1:7899", "tls_cert_file": "tls/signer.crt",
                       "tls_key_file": "../private/signer.key", "client_ca_file": "/abs/ca.crt"},
            "storage": {"backend": "sqlite3", "db_url": "./data/../keys.db", "default_alias": "alias1"}
        });
        let config = parse(&doc).unwrap();
        assert_eq!(
            config.tls,
            TlsFiles {
                cert: "/etc/notary/tls/signer.crt".into(),
                key: "/etc/private/signer.key".into(),
                client_ca: Some("/abs/ca.crt".into()),
            }
        );
        assert_eq!(
            config.storage,
            SignerStorage::Sqlite {
                path: "/etc/notary/keys.db".into()
            }
        );
        for (db_url, path) in [
            ("sqlite:keys.db", "/etc/notary/keys.db"),
            ("sqlite:///var/lib/keys.db?mode=rwc", "/var/lib/keys.db"),
            ("file:sub/keys.db?cache=shared", "/etc/notary/sub/keys.db"),
            ("/var/lib/notary/keys.db", "/var/lib/notary/keys.db"),
        ] {
            let config = parse(&with(sql(), "storage.db_url", db_url.into())).unwrap();
            assert_eq!(config.storage, SignerStorage::Sqlite { path: path.into() }, "{db_url}");
        }
        // Database URLs of other backends are kept as written.
        let doc = with(sql(), "storage.backend", "postgres".into());
        let doc = with(doc, "storage.db_url", "postgres://u@h/db?sslmode=disable".into());
        assert_eq!(
            parse(&doc).unwrap().storage,
            SignerStorage::Postgres {
                db_url: "postgres://u@h/db?sslmode=disable".into()
            }
        );
        // A config dir of "." (Go's Dir("signer.json")) leaves paths relative to the working dir.
        let config = SignerConfig::from_json(base().to_string().as_bytes(), Path::new("."), &|_| None).unwrap();
        assert_eq!(config.tls.cert, PathBuf::from("signer.crt"));
        assert_eq!(resolve(Path::new("."), "../x"), PathBuf::from("../x"));
        assert_eq!(resolve(Path::new("/"), "../x"), PathBuf::from("/x"));
    }

    #[test]
    fn env_overrides_every_key() {
        let doc = serde_json::json!({"server": "nonsense", "logging": {"Level": "verbose"}});
        let config = parse_env(
            &doc,
            &[
                ("NOTARY_SIGNER_SERVER_GRPC_ADDR", "0.0.0.0:7899"),
                ("NOTARY_SIGNER_SERVER_TLS_CERT_FILE", "s.crt"),
                ("NOTARY_SIGNER_SERVER_TLS_KEY_FILE", "s.key"),
                ("NOTARY_SIGNER_SERVER_CLIENT_CA_FILE", "ca.crt"),
                ("NOTARY_SIGNER_STORAGE_BACKEND", "postgres"),
                ("NOTARY_SIGNER_STORAGE_DB_URL", "postgres://signer@db/keys"),
                ("NOTARY_SIGNER_STORAGE_DEFAULT_ALIAS", "alias2"),
                ("NOTARY_SIGNER_LOGGING_LEVEL", "debug"),
                ("NOTARY_SIGNER_REPORTING_BUGSNAG_API_KEY", "k"),
                ("NOTARY_SIGNER_REPORTING_BUGSNAG_RELEASE_STAGE", "s"),
                ("NOTARY_SIGNER_REPORTING_BUGSNAG_ENDPOINT", "e"),
                ("NOTARY_SIGNER_ALIAS2", "secret"),
            ],
        )
        .unwrap();
        assert_eq!(
            config,
            SignerConfig {
                grpc_addr: "0.0.0.0:7899".into(),
                tls: TlsFiles {
                    cert: "/etc/notary/s.crt".into(),
                    key: "/etc/notary/s.key".into(),
                    client_ca: Some("/etc/notary/ca.crt".into()),
                },
                storage: SignerStorage::Postgres {
                    db_url: "postgres://signer@db/keys".into()
                },
                default_alias: Some("alias2".into()),
                logging_level: LogLevel::Debug,
            }
        );
        // An empty variable is unset; an env value is checked like a file value.
        let config = parse_env(&base(), &[("NOTARY_SIGNER_STORAGE_BACKEND", "")]).unwrap();
        assert_eq!(config.storage, SignerStorage::Memory);
        assert_eq!(
            parse_env(&base(), &[("NOTARY_SIGNER_STORAGE_BACKEND", "file")])
                .unwrap_err()
                .to_string(),
            "file is not an allowed backend, must be one of: [memory mysql sqlite3 rethinkdb postgres]"
        );
        assert!(ENV_KEYS.iter().all(|k| *k == k.to_lowercase()));
    }

    #[test]
    fn checks_run_in_go_order() {
        let mut doc = serde_json::json!({
            "server": {"tls_cert_file": "only.crt"},
            "logging": {"level": 2},
            "reporting": {"bugsnag": {"endpoint": "e"}},
            "storage": {"backend": "postgres"}
        });
        let fixes: [(&str, Value, &str); 6] = [
            ("logging.level", "info".into(), "not a valid logrus Level: \"2\""),
            (
                "reporting.bugsnag",
                serde_json::json!({}),
                "must provide an API key for bugsnag",
            ),
            (
                "server.tls_key_file",
                "only.key".into(),
                "unable to set up TLS: server.tls_key_file not set (the signer only serves gRPC over TLS)",
            ),
            (
                "server.grpc_addr",
                "127.0.0.1:7899".into(),
                "grpc listen address required for server",
            ),
            (
                "storage.db_url",
                "postgres://db/keys".into(),
                "must provide a non-empty database source for postgres",
            ),
            (
                "storage.default_alias",
                "alias1".into(),
                "must provide a default alias for the key DB",
            ),
        ];
        for (key, fix, message) in fixes {
            assert_eq!(err(&doc), message);
            set(&mut doc, key, fix);
        }
        assert_eq!(
            parse_env(&doc, &[]).unwrap_err().to_string(),
            "passphrase for the default alias alias1 is not set: export NOTARY_SIGNER_ALIAS1"
        );
        assert!(parse(&doc).is_ok());
        // The backend is checked before its database source.
        let doc = with(doc, "storage.backend", "file".into());
        assert!(err(&doc).starts_with("file is not an allowed backend"));
    }

    #[test]
    fn hostile_input_is_refused_with_a_clear_error() {
        let dir = Path::new(DIR);
        let none = |_: &str| None;
        assert_eq!(
            SignerConfig::from_json(b"[]", dir, &none).unwrap_err().to_string(),
            "could not read config: the configuration must be a JSON object, not a list"
        );
        for bytes in [&b""[..], b"{", b"{\"a\":1,}", b"\xff\xfe", b"{} {}"] {
            let message = SignerConfig::from_json(bytes, dir, &none).unwrap_err().to_string();
            assert!(message.starts_with("could not read config: invalid JSON"), "{message}");
        }
        let deep = format!("{{\"server\":{}1{}}}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(SignerConfig::from_json(deep.as_bytes(), dir, &none).is_err());
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_CONFIG_BYTES));
        assert_eq!(
            SignerConfig::from_json(big.as_bytes(), dir, &none)
                .unwrap_err()
                .to_string(),
            "could not read config: the configuration is larger than 1048576 bytes"
        );
        assert_eq!(
            err(&with(base(), "server.grpc_addr", serde_json::json!(["127.0.0.1:1"]))),
            "config key server.grpc_addr must be a string, not a list"
        );
        assert_eq!(
            err(&with(base(), "storage", "memory".into())),
            "config key storage must be an object, not a string"
        );
        assert_eq!(
            err(&with(sql(), "storage.default_alias", serde_json::json!({"a": 1}))),
            "config key storage.default_alias must be a string, not an object"
        );
    }

    #[test]
    fn keys_are_case_insensitive_and_unknown_keys_ignored() {
        let doc = serde_json::json!({
            "Server": {"GRPC_ADDR": "127.0.0.1:9", "Tls_Cert_File": "c", "tls_key_file": "k"},
            "STORAGE": {"Backend": "memory", "extra": [1, 2]},
            "unknown": null
        });
        assert_eq!(parse(&doc).unwrap().grpc_addr, "127.0.0.1:9");
        let config = parse_env(&doc, &[("NOTARY_SIGNER_SERVER_GRPC_ADDR", "127.0.0.1:10")]).unwrap();
        assert_eq!(config.grpc_addr, "127.0.0.1:10");
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
    }

    #[test]
    fn load_reads_the_file_and_resolves_against_its_dir() {
        let dir = std::env::temp_dir().join(format!("notary-signer-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("signer.json");
        std::fs::write(&path, base().to_string()).unwrap();
        let config = SignerConfig::load(&path).unwrap();
        assert_eq!(config.tls.cert, dir.join("signer.crt"));

        let missing = dir.join("missing.json");
        let message = SignerConfig::load(&missing).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "Could not read config at :{}, viper error: ",
                missing.display()
            )),
            "{message}"
        );
        let bad = dir.join("bad.json");
        std::fs::write(&bad, b"[1]").unwrap();
        assert_eq!(
            SignerConfig::load(&bad).unwrap_err().to_string(),
            format!(
                "Could not read config at :{}, viper error: the configuration must be a JSON object, not a list",
                bad.display()
            )
        );
        let yaml = dir.join("signer.yaml");
        std::fs::write(&yaml, b"server: {}").unwrap();
        assert!(matches!(
            SignerConfig::load(&yaml),
            Err(ConfigError::Read {
                source: SourceError::UnsupportedFormat { .. },
                ..
            })
        ));
        // Validation errors keep Go's message, not wrapped in the read error.
        let no_addr = dir.join("no-addr.json");
        let mut doc = base();
        remove(&mut doc, "server.grpc_addr");
        std::fs::write(&no_addr, doc.to_string()).unwrap();
        assert_eq!(
            SignerConfig::load(&no_addr).unwrap_err().to_string(),
            "grpc listen address required for server"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
