//! The issuer's JSON configuration, read with notary-server's conventions
//! ([`notary_service_kit::config_doc`]: size limit, case-insensitive keys, `NOTARY_TOKEN_ISSUER_`
//! environment overrides of the scalar keys, paths relative to the file):
//!
//! ```json
//! {
//!   "server": {"http_addr": "127.0.0.1:4431", "tls_cert_file": "tls.crt", "tls_key_file": "tls.key"},
//!   "logging": {"level": "info"},
//!   "token": {
//!     "issuer": "notary-token-issuer",
//!     "services": ["notary-server", "registry"],
//!     "expiration": 300,
//!     "key_file": "signing.key",
//!     "cert_file": "signing.crt"
//!   },
//!   "users": {"htpasswd_file": "users.htpasswd", "entries": ["ci:$2y$10$…"]},
//!   "grants": [
//!     {"users": ["alice"], "prefix": "team/", "actions": ["*"]},
//!     {"users": ["*"], "prefix": "team/", "actions": ["pull"]},
//!     {"anonymous": true, "prefix": "public/", "actions": ["pull"]},
//!     {"users": ["alice"], "type": "registry", "prefix": "catalog", "actions": ["*"]}
//!   ]
//! }
//! ```
//!
//! `token.service` (one string) may stand for `token.services`. `token.expiration` is the token
//! lifetime in seconds (default 300, at most a day). A grant applies to `users` (names, or `*`
//! for every authenticated user) and, with `"anonymous": true`, to everyone; `type` defaults to
//! `repository`; prefixes are matched as [`crate::grant`] describes.

use std::path::{Path, PathBuf};

use notary_service_kit::config_doc::{
    self, DocError, Document, LogLevel, SourceError, member, scalar_text, wrong_type,
};
use serde_json::Value;

use crate::grant::{Grant, NamePrefix, PrefixError, Subjects};

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "NOTARY_TOKEN_ISSUER_";
/// Keys the environment may override.
pub const ENV_KEYS: &[&str] = &[
    "server.http_addr",
    "server.tls_cert_file",
    "server.tls_key_file",
    "logging.level",
    "token.issuer",
    "token.service",
    "token.expiration",
    "token.key_file",
    "token.cert_file",
    "users.htpasswd_file",
];
/// Default token lifetime, seconds.
pub const DEFAULT_EXPIRATION: i64 = 300;
/// Longest token lifetime accepted, seconds.
pub const MAX_EXPIRATION: i64 = 86_400;
/// Default listen address.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:4431";

/// The parsed configuration; files are not read yet (see [`crate::server::load_issuer`]).
#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// `server.http_addr`.
    pub http_addr: String,
    /// `server.tls_cert_file` and `server.tls_key_file` (both or neither).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `logging.level`.
    pub log_level: LogLevel,
    /// `token.issuer`: the JWT `iss`.
    pub issuer: String,
    /// `token.services`: the accepted `service` values (each becomes an `aud`).
    pub services: Vec<String>,
    /// `token.expiration`, seconds.
    pub lifetime_seconds: i64,
    /// `token.key_file`: PEM private key.
    pub key_file: PathBuf,
    /// `token.cert_file`: PEM chain, the key's certificate first.
    pub cert_file: PathBuf,
    /// `users.htpasswd_file`.
    pub htpasswd_file: Option<PathBuf>,
    /// `users.entries`: htpasswd lines.
    pub user_entries: Vec<String>,
    /// `grants`.
    pub grants: Vec<Grant>,
}

/// Why the configuration was refused; each message names the key to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be used at all.
    #[error("cannot read the configuration: {0}")]
    Source(#[from] SourceError),
    /// A check the server and signer configs share (wrong JSON type, log level).
    #[error(transparent)]
    Doc(#[from] DocError),
    /// A required key is missing or empty.
    #[error("config key {0} is required")]
    Missing(&'static str),
    /// A key has a value that cannot be used.
    #[error("config key {key}: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A grant prefix is malformed.
    #[error("config key {key}: {source}")]
    Prefix {
        /// The key.
        key: String,
        /// Why.
        source: PrefixError,
    },
}

impl IssuerConfig {
    /// Reads and checks the configuration file at `path` (environment overrides from the
    /// process environment).
    pub fn load(path: &Path) -> Result<IssuerConfig, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        let doc = Document::load(path, ENV_PREFIX, ENV_KEYS, &env)?;
        IssuerConfig::from_document(&doc)
    }

    /// Checks a parsed document.
    pub fn from_document(doc: &Document<'_>) -> Result<IssuerConfig, ConfigError> {
        let http_addr = match doc.string("server.http_addr")? {
            addr if addr.is_empty() => DEFAULT_HTTP_ADDR.to_owned(),
            addr => config_doc::listen_addr(&addr).ok_or_else(|| ConfigError::Invalid {
                key: "server.http_addr".into(),
                reason: format!("{addr:?} is not host:port"),
            })?,
        };
        let tls = match (doc.path("server.tls_cert_file")?, doc.path("server.tls_key_file")?) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "server.tls_cert_file".into(),
                    reason: "server.tls_cert_file and server.tls_key_file go together".into(),
                });
            }
        };
        let issuer = doc.string("token.issuer")?;
        if issuer.is_empty() {
            return Err(ConfigError::Missing("token.issuer"));
        }
        let mut services = string_list(doc, "token.services")?;
        let single = doc.string("token.service")?;
        if !single.is_empty() && !services.contains(&single) {
            services.push(single);
        }
        if services.is_empty() || services.iter().any(String::is_empty) {
            return Err(ConfigError::Missing("token.services"));
        }
        let lifetime_seconds = match doc.string("token.expiration")? {
            text if text.is_empty() => DEFAULT_EXPIRATION,
            text => text
                .parse::<i64>()
                .ok()
                .filter(|s| (10..=MAX_EXPIRATION).contains(s))
                .ok_or_else(|| ConfigError::Invalid {
                    key: "token.expiration".into(),
                    reason: format!("{text:?} is not a number of seconds from 10 to {MAX_EXPIRATION}"),
                })?,
        };
        let key_file = doc
            .path("token.key_file")?
            .ok_or(ConfigError::Missing("token.key_file"))?;
        let cert_file = doc
            .path("token.cert_file")?
            .ok_or(ConfigError::Missing("token.cert_file"))?;
        Ok(IssuerConfig {
            http_addr,
            tls,
            log_level: doc.log_level()?,
            issuer,
            services,
            lifetime_seconds,
            key_file,
            cert_file,
            htpasswd_file: doc.path("users.htpasswd_file")?,
            user_entries: string_list(doc, "users.entries")?,
            grants: grants(doc)?,
        })
    }
}

/// A list of strings (a single string counts as a list of one); absent → empty.
fn string_list(doc: &Document<'_>, key: &str) -> Result<Vec<String>, ConfigError> {
    match doc.lookup(key)? {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| Ok(scalar_text(v, &format!("{key}[{i}]"), "a string")?))
            .collect(),
        Some(value) => Ok(vec![scalar_text(value, key, "a list of strings")?]),
    }
}

/// The `grants` list.
fn grants(doc: &Document<'_>) -> Result<Vec<Grant>, ConfigError> {
    let items = match doc.lookup("grants")? {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(wrong_type("grants", "a list", other).into()),
    };
    items.iter().enumerate().map(|(i, item)| grant(item, i)).collect()
}

fn grant(item: &Value, index: usize) -> Result<Grant, ConfigError> {
    let at = |field: &str| format!("grants[{index}].{field}");
    let Value::Object(map) = item else {
        return Err(wrong_type(&format!("grants[{index}]"), "an object", item).into());
    };
    let list = |field: &str| -> Result<Vec<String>, ConfigError> {
        match member(map, field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Ok(scalar_text(v, &format!("{}[{i}]", at(field)), "a string")?))
                .collect(),
            Some(other) => Err(wrong_type(&at(field), "a list of strings", other).into()),
        }
    };
    let text = |field: &str| -> Result<String, ConfigError> {
        match member(map, field) {
            None => Ok(String::new()),
            Some(v) => Ok(scalar_text(v, &at(field), "a string")?),
        }
    };
    let anonymous = match member(map, "anonymous") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(other) => return Err(wrong_type(&at("anonymous"), "a boolean", other).into()),
    };
    let users = list("users")?;
    let subjects = match (anonymous, users.as_slice()) {
        (true, []) => Subjects::Anonymous,
        (true, _) => {
            return Err(ConfigError::Invalid {
                key: at("users"),
                reason: "a grant to anonymous applies to everyone: leave users out".into(),
            });
        }
        (false, []) => {
            return Err(ConfigError::Invalid {
                key: at("users"),
                reason: "name the users (or * for every authenticated user), or set anonymous: true".into(),
            });
        }
        (false, users) if users.iter().any(|u| u == "*") => Subjects::AnyUser,
        (false, users) => Subjects::Users(users.to_vec()),
    };
    let resource_type = match text("type")? {
        t if t.is_empty() => "repository".to_owned(),
        t if t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) => t,
        t => {
            return Err(ConfigError::Invalid {
                key: at("type"),
                reason: format!("{t:?} is not a resource type (lower-case letters and digits)"),
            });
        }
    };
    let prefix = text("prefix")?;
    if prefix.is_empty() {
        return Err(ConfigError::Invalid {
            key: at("prefix"),
            reason: "required (use * for every name)".into(),
        });
    }
    let prefix = NamePrefix::parse(&prefix).map_err(|source| ConfigError::Prefix {
        key: at("prefix"),
        source,
    })?;
    let actions = list("actions")?;
    let valid_action = |a: &String| a == "*" || (!a.is_empty() && a.bytes().all(|b| b.is_ascii_lowercase()));
    if actions.is_empty() || !actions.iter().all(valid_action) {
        return Err(ConfigError::Invalid {
            key: at("actions"),
            reason: "a non-empty list of actions (pull, push, delete…) or *".into(),
        });
    }
    Ok(Grant {
        subjects,
        resource_type,
        prefix,
        actions,
    })
}
