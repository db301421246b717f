//! A Go service's JSON configuration file, read the way viper reads it, for a service to validate.
//!
//! A [`Document`] is the parsed file with the environment overrides applied:
//! - the file is treated as hostile input: at most [`MAX_CONFIG_BYTES`], JSON only (a YAML, TOML…
//!   extension is refused rather than guessed at), and an object at the top level;
//! - keys are looked up as viper does: exactly, else case-insensitively; unknown keys are ignored
//!   and `null` is the same as absent;
//! - every scalar is read the way viper's `GetString` reads it (a number or boolean is turned into
//!   its text, so `"port": 7899` and `"port": "7899"` are the same), and a value of the wrong JSON
//!   type is an error naming its key;
//! - each key the service lists can be overridden by its prefix (e.g. `NOTARY_SERVER_`) + the key
//!   path upper-cased with `.` replaced by `_`; an empty variable counts as unset, as in viper;
//! - relative paths resolve against the configuration file's directory (Go's
//!   `GetPathRelativeToConfig`).
//!
//! The checks both services make with the same keys and messages live here too (Go's
//! `utils/configuration.go`): [`Document::log_level`], [`Document::check_bugsnag`] and
//! [`Document::storage`]. Their failures, and a wrong type, are a [`DocError`], which each
//! service turns into its own error type; a file that cannot be used at all is a [`SourceError`].

use std::fmt;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde_json::{Map, Number, Value};

/// Largest configuration accepted, in bytes.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Extensions viper would read as a format other than JSON.
const OTHER_FORMATS: &[&str] = &[
    "yaml",
    "yml",
    "toml",
    "hcl",
    "properties",
    "props",
    "prop",
    "ini",
    "env",
];

/// Looks up an environment variable: `None`, or an empty value, means unset.
pub type EnvLookup<'e> = &'e dyn Fn(&str) -> Option<String>;

/// Why the configuration bytes could not be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The file is larger than we are willing to read.
    #[error("the configuration is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The file extension names a format other than JSON.
    #[error("unsupported config type {extension:?}: only JSON configuration files are supported")]
    UnsupportedFormat {
        /// The extension, without the dot.
        extension: String,
    },
    /// The bytes are not JSON.
    #[error("invalid JSON: {0}")]
    Syntax(#[source] serde_json::Error),
    /// The JSON is not an object at the top level.
    #[error("the configuration must be a JSON object, not {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
}

/// A key of a [`Document`] refused by a check both services make, with Go's message where Go has
/// one. Each service has a variant of the same name and message in its own error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
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
    /// `logging.level` is not a logrus level (a number, such as the upstream docs' `2`, is not).
    #[error("not a valid logrus Level: {}", go_quote(value))]
    InvalidLogLevel {
        /// The value as written.
        value: String,
    },
    /// `reporting.bugsnag` has settings but no `api_key`.
    #[error("must provide an API key for bugsnag")]
    MissingBugsnagApiKey,
    /// `storage.backend` names no backend Go knows (notary-signer words this as Go's signer does:
    /// `… is not an allowed backend, must be one of: […]`).
    #[error("{backend} is not a supported storage backend")]
    UnsupportedBackend {
        /// The value as written (empty when missing).
        backend: String,
    },
    /// `storage.backend` is `rethinkdb`: one Go supports but these services do not implement.
    #[error("the {backend} storage backend is not implemented")]
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
}

/// Implements `From<DocError>` for a service's own configuration error type, which has a variant
/// of the same name, fields and message for each [`DocError`] variant, so that `?` works on the
/// [`Document`] methods:
///
/// ```
/// use notary_service_kit::config_doc::Document;
///
/// #[derive(Debug)]
/// enum ConfigError {
///     WrongType { key: String, expected: &'static str, found: &'static str },
///     InvalidLogLevel { value: String },
///     MissingBugsnagApiKey,
///     UnsupportedBackend { backend: String },
///     UnimplementedBackend { backend: String },
///     MissingDatabaseSource { backend: String },
/// }
/// notary_service_kit::impl_from_doc_error!(ConfigError);
///
/// fn level(doc: &Document<'_>) -> Result<String, ConfigError> {
///     Ok(doc.log_level()?.to_string())
/// }
/// let doc = Document::from_json(br#"{"logging":{"level":[]}}"#, ".".as_ref(), "X_", &[], &|_| None).unwrap();
/// assert!(matches!(level(&doc), Err(ConfigError::WrongType { .. })));
/// ```
#[macro_export]
macro_rules! impl_from_doc_error {
    ($error:ty) => {
        impl ::core::convert::From<$crate::config_doc::DocError> for $error {
            fn from(err: $crate::config_doc::DocError) -> Self {
                use $crate::config_doc::DocError;
                match err {
                    DocError::WrongType { key, expected, found } => Self::WrongType { key, expected, found },
                    DocError::InvalidLogLevel { value } => Self::InvalidLogLevel { value },
                    DocError::MissingBugsnagApiKey => Self::MissingBugsnagApiKey,
                    DocError::UnsupportedBackend { backend } => Self::UnsupportedBackend { backend },
                    DocError::UnimplementedBackend { backend } => Self::UnimplementedBackend { backend },
                    DocError::MissingDatabaseSource { backend } => Self::MissingDatabaseSource { backend },
                }
            }
        }
    };
}

/// A logrus log level, as named in `logging.level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `panic`: only panics.
    Panic,
    /// `fatal`: only start-up failures and other fatal errors.
    Fatal,
    /// `error`, Go's default.
    Error,
    /// `warn` or `warning`.
    Warn,
    /// `info`: also one line per request or RPC.
    Info,
    /// `debug`.
    Debug,
    /// `trace`.
    Trace,
}

impl LogLevel {
    /// The `tracing` filter directive showing this level and everything more severe (`panic`
    /// and `fatal` map to `error`, the most severe level `tracing` has).
    pub fn tracing_filter(self) -> &'static str {
        match self {
            LogLevel::Panic | LogLevel::Fatal | LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The logrus name (`warning`, not `warn`), as Go prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Panic => "panic",
            LogLevel::Fatal => "fatal",
            LogLevel::Error => "error",
            LogLevel::Warn => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

impl FromStr for LogLevel {
    type Err = DocError;

    /// logrus `ParseLevel`: case-insensitive. The error is [`DocError::InvalidLogLevel`].
    fn from_str(s: &str) -> Result<LogLevel, DocError> {
        Ok(match s.to_lowercase().as_str() {
            "panic" => LogLevel::Panic,
            "fatal" => LogLevel::Fatal,
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => return Err(DocError::InvalidLogLevel { value: s.to_owned() }),
        })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Certificate files of a TLS listener (`server.tls_cert_file`, `.tls_key_file`,
/// `.client_ca_file`), absolute or relative to the working directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// `server.tls_cert_file`: PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// `server.tls_key_file`: PEM private key.
    pub key: PathBuf,
    /// `server.client_ca_file`: when set, every client must present a certificate issued by this
    /// CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

/// The `storage` section: where a service keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// `backend: memory`: nothing survives a restart (for notary-signer: keys are lost, and no
    /// passphrase is needed).
    Memory,
    /// `backend: mysql`, `db_url` a Go MySQL DSN.
    Mysql {
        /// `db_url` as written.
        db_url: String,
    },
    /// `backend: postgres`, `db_url` a PostgreSQL connection string.
    Postgres {
        /// `db_url` as written.
        db_url: String,
    },
    /// `backend: sqlite` or `sqlite3` (our extension; Go 0.7 as packaged has no SQLite driver).
    Sqlite {
        /// The database file: `db_url` without a `sqlite:` or `file:` prefix (nor, with a
        /// prefix, a `?…` query), relative to the configuration file's directory.
        path: PathBuf,
    },
}

/// The parsed file with environment overrides applied, read the way viper reads it.
#[derive(Clone, Debug)]
pub struct Document<'a> {
    root: Map<String, Value>,
    dir: &'a Path,
}

impl<'a> Document<'a> {
    /// Reads the configuration file at `path` (at most [`MAX_CONFIG_BYTES`], JSON only) and applies
    /// the environment overrides of `env_keys` (see [`Document::from_json`]). Relative paths will
    /// resolve against the file's directory (`.` for a bare file name).
    pub fn load(
        path: &'a Path,
        env_prefix: &str,
        env_keys: &[&str],
        env: EnvLookup<'_>,
    ) -> Result<Document<'a>, SourceError> {
        let bytes = read_config_file(path)?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        Document::from_json(&bytes, dir, env_prefix, env_keys, env)
    }

    /// Parses configuration bytes, which must be a JSON object, and applies the environment: every
    /// key of `env_keys` (a dotted path, lower case) whose variable `env_prefix` + the path
    /// upper-cased with `.` replaced by `_` is set and non-empty is set to that variable's value,
    /// as viper's `AutomaticEnv` does (the environment wins over the file; a scalar in the way of
    /// a section is replaced). Relative paths resolve against `config_dir`.
    pub fn from_json(
        bytes: &[u8],
        config_dir: &'a Path,
        env_prefix: &str,
        env_keys: &[&str],
        env: EnvLookup<'_>,
    ) -> Result<Document<'a>, SourceError> {
        if bytes.len() > MAX_CONFIG_BYTES {
            return Err(SourceError::TooLarge {
                limit: MAX_CONFIG_BYTES,
            });
        }
        let mut root = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(SourceError::NotAnObject {
                    found: json_type(&other),
                });
            }
            Err(err) => return Err(SourceError::Syntax(err)),
        };
        apply_env(&mut root, env_prefix, env_keys, env);
        Ok(Document { root, dir: config_dir })
    }

    /// The directory relative paths resolve against.
    pub fn dir(&self) -> &'a Path {
        self.dir
    }

    /// The value at a dotted key; `None` when it or a section on its path is absent or `null`.
    pub fn lookup(&self, key: &str) -> Result<Option<&Value>, DocError> {
        let mut map = &self.root;
        let mut segments = key.split('.').peekable();
        let mut walked = 0;
        while let Some(segment) = segments.next() {
            walked += segment.len() + 1;
            let value = match member(map, segment) {
                None | Some(Value::Null) => return Ok(None),
                Some(value) => value,
            };
            if segments.peek().is_none() {
                return Ok(Some(value));
            }
            let Value::Object(inner) = value else {
                let section = key.get(..walked - 1).unwrap_or(key);
                return Err(wrong_type(section, "an object", value));
            };
            map = inner;
        }
        Ok(None)
    }

    /// viper's `GetString`: the text of a scalar, empty when unset.
    pub fn string(&self, key: &str) -> Result<String, DocError> {
        self.scalar(key, "a string")
    }

    /// The text of a scalar, empty when unset; a list or object is an error saying the key takes
    /// `expected` (e.g. `a number`).
    pub fn scalar(&self, key: &str, expected: &'static str) -> Result<String, DocError> {
        match self.lookup(key)? {
            None => Ok(String::new()),
            Some(value) => scalar_text(value, key, expected),
        }
    }

    /// Go's `GetPathRelativeToConfig`: unset when empty, else resolved against the config dir.
    pub fn path(&self, key: &str) -> Result<Option<PathBuf>, DocError> {
        let value = self.string(key)?;
        Ok((!value.is_empty()).then(|| resolve(self.dir, &value)))
    }

    /// `logging.level`, `error` when unset (Go's `ParseLogLevel`).
    pub fn log_level(&self) -> Result<LogLevel, DocError> {
        let level = self.string("logging.level")?;
        if level.is_empty() {
            return Ok(LogLevel::Error);
        }
        level.parse()
    }

    /// `reporting.bugsnag`: any setting requires `api_key` (Go's `ParseBugsnag`). Bugsnag
    /// reporting itself is not implemented, so the settings are not kept.
    pub fn check_bugsnag(&self) -> Result<(), DocError> {
        let api_key = self.string("reporting.bugsnag.api_key")?;
        let release_stage = self.string("reporting.bugsnag.release_stage")?;
        let endpoint = self.string("reporting.bugsnag.endpoint")?;
        if api_key.is_empty() && !(release_stage.is_empty() && endpoint.is_empty()) {
            return Err(DocError::MissingBugsnagApiKey);
        }
        Ok(())
    }

    /// `storage.backend` and, for a SQL backend, `storage.db_url`, required and non-empty (Go's
    /// `ParseStorage` and `ParseSQLStorage`; backend names are case-sensitive). A SQLite file
    /// resolves against the config dir; `rethinkdb` is refused.
    pub fn storage(&self) -> Result<Storage, DocError> {
        let backend = self.string("storage.backend")?;
        match backend.as_str() {
            "memory" => return Ok(Storage::Memory),
            "mysql" | "postgres" | "sqlite" | "sqlite3" => {}
            "rethinkdb" => return Err(DocError::UnimplementedBackend { backend }),
            _ => return Err(DocError::UnsupportedBackend { backend }),
        }
        let db_url = self.string("storage.db_url")?;
        if db_url.is_empty() {
            return Err(DocError::MissingDatabaseSource { backend });
        }
        Ok(match backend.as_str() {
            "mysql" => Storage::Mysql { db_url },
            "postgres" => Storage::Postgres { db_url },
            _ => {
                let file = sqlite_file(&db_url);
                if file.is_empty() {
                    return Err(DocError::MissingDatabaseSource { backend });
                }
                Storage::Sqlite {
                    path: resolve(self.dir, file),
                }
            }
        })
    }
}

/// Reads at most [`MAX_CONFIG_BYTES`] of a JSON configuration file.
fn read_config_file(path: &Path) -> Result<Vec<u8>, SourceError> {
    if let Some(extension) = path.extension().and_then(|e| e.to_str())
        && OTHER_FORMATS.contains(&extension.to_ascii_lowercase().as_str())
    {
        return Err(SourceError::UnsupportedFormat {
            extension: extension.to_owned(),
        });
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    // One byte over the limit tells "exactly the limit" from "too large".
    file.take(MAX_CONFIG_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(SourceError::TooLarge {
            limit: MAX_CONFIG_BYTES,
        });
    }
    Ok(bytes)
}

/// Sets every key of `keys` whose `prefix…` variable is set and non-empty (see
/// [`Document::from_json`]).
fn apply_env(root: &mut Map<String, Value>, prefix: &str, keys: &[&str], env: EnvLookup<'_>) {
    'keys: for key in keys {
        let name = format!("{prefix}{}", key.to_ascii_uppercase().replace('.', "_"));
        let Some(value) = env(&name).filter(|v| !v.is_empty()) else {
            continue;
        };
        let (sections, last) = key.rsplit_once('.').unwrap_or(("", key));
        let mut map = &mut *root;
        for section in sections.split('.').filter(|s| !s.is_empty()) {
            let name = member_name(map, section);
            let slot = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            // Always an object by now; the `else` only satisfies the pattern.
            let Value::Object(inner) = slot else {
                continue 'keys;
            };
            map = inner;
        }
        let name = member_name(map, last);
        map.insert(name, Value::String(value));
    }
}

/// The name under which `map` holds `name` (matched case-insensitively), else `name` itself.
fn member_name(map: &Map<String, Value>, name: &str) -> String {
    if map.contains_key(name) {
        return name.to_owned();
    }
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// The member `name` of `map`, matched as viper does: exactly, else case-insensitively.
pub fn member<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// Go's `cast.ToString` of a JSON scalar; lists and objects are an error naming `key`.
pub fn scalar_text(value: &Value, key: &str, expected: &'static str) -> Result<String, DocError> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(number_text(n)),
        other => Err(wrong_type(key, expected, other)),
    }
}

/// A JSON number as Go prints the `float64` it decodes to (`'f'` format, shortest), keeping
/// integers exact.
pub fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    n.as_f64().map(|f| f.to_string()).unwrap_or_else(|| n.to_string())
}

/// [`DocError::WrongType`]: `key` takes `expected` but holds `found`.
pub fn wrong_type(key: &str, expected: &'static str, found: &Value) -> DocError {
    DocError::WrongType {
        key: key.to_owned(),
        expected,
        found: json_type(found),
    }
}

/// The JSON type of `value`, as the messages name it (`a string`, `an object`, `null`…).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `addr` as a bindable `host:port` (empty host → `0.0.0.0`), or `None` if it is not one: the
/// host is a name, an IPv4 address or a bracketed IPv6 address, the port a number (Go would
/// also take a service name).
pub fn listen_addr(addr: &str) -> Option<String> {
    let (host, port) = addr.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        if inner.is_empty() || inner.contains(['[', ']']) {
            return None;
        }
    } else if host.contains([':', '[', ']']) || host.contains(char::is_whitespace) {
        return None;
    }
    if host.is_empty() {
        return Some(format!("0.0.0.0:{port}"));
    }
    Some(addr.to_owned())
}

/// The file named by a SQLite `db_url`: a plain path, or one behind `sqlite://`, `sqlite:`,
/// `file://` or `file:` (then without any `?…` query).
pub fn sqlite_file(db_url: &str) -> &str {
    let Some(rest) = ["sqlite://", "sqlite:", "file://", "file:"]
        .iter()
        .find_map(|prefix| db_url.strip_prefix(prefix))
    else {
        return db_url;
    };
    rest.split_once('?').map_or(rest, |(file, _)| file)
}

/// Go's `GetPathRelativeToConfig`: absolute paths as written, relative ones joined to `dir` and
/// cleaned lexically (`filepath.Clean`).
pub fn resolve(dir: &Path, value: &str) -> PathBuf {
    let path = Path::new(value);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let mut parts: Vec<Component<'_>> = Vec::new();
    let joined = dir.join(path);
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

/// Go's `%q` of a string: double-quoted, with `"`, `\` and control characters escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() && u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "NOTARY_TEST_";
    const KEYS: &[&str] = &["server.addr", "a.b.c", "top", "logging.level"];

    fn doc<'a>(json: &str, vars: &[(&str, &str)]) -> Result<Document<'a>, SourceError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Document::from_json(json.as_bytes(), Path::new("/etc/notary"), PREFIX, KEYS, &env)
    }

    #[test]
    fn env_overrides_under_the_prefix() {
        let vars = [
            ("NOTARY_TEST_SERVER_ADDR", "env:1"),
            ("NOTARY_TEST_A_B_C", "deep"),
            ("NOTARY_TEST_TOP", "top"),
            ("NOTARY_TEST_LOGGING_LEVEL", ""),
            ("NOTARY_TEST_OTHER", "ignored"),
        ];
        let d = doc(
            r#"{"Server": {"ADDR": "file:1"}, "a": 5, "logging": {"level": "info"}}"#,
            &vars,
        )
        .unwrap();
        assert_eq!(d.string("server.addr").unwrap(), "env:1");
        assert_eq!(d.string("a.b.c").unwrap(), "deep");
        assert_eq!(d.string("top").unwrap(), "top");
        assert_eq!(d.log_level().unwrap(), LogLevel::Info);
        assert_eq!(d.string("other").unwrap(), "");
    }

    #[test]
    fn scalars_types_and_paths() {
        let d = doc(
            r#"{"n": 7899, "f": 1.5, "b": true, "l": [1], "s": {"x": null}, "p": "../x/./y"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(d.string("n").unwrap(), "7899");
        assert_eq!(d.string("f").unwrap(), "1.5");
        assert_eq!(d.string("b").unwrap(), "true");
        assert_eq!(d.string("s.x").unwrap(), "");
        assert_eq!(
            d.string("l").unwrap_err().to_string(),
            "config key l must be a string, not a list"
        );
        assert_eq!(
            d.scalar("n.deeper", "a number").unwrap_err().to_string(),
            "config key n must be an object, not a number"
        );
        assert_eq!(d.path("p").unwrap(), Some(PathBuf::from("/etc/x/y")));
        assert_eq!(d.path("missing").unwrap(), None);
        assert_eq!(d.dir(), Path::new("/etc/notary"));
    }

    #[test]
    fn source_errors() {
        assert_eq!(
            doc("[]", &[]).unwrap_err().to_string(),
            "the configuration must be a JSON object, not a list"
        );
        assert!(doc("{", &[]).unwrap_err().to_string().starts_with("invalid JSON"));
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_CONFIG_BYTES));
        assert_eq!(
            doc(&big, &[]).unwrap_err().to_string(),
            "the configuration is larger than 1048576 bytes"
        );
        let yaml = Path::new("/nonexistent/config.YML");
        assert!(matches!(
            Document::load(yaml, PREFIX, KEYS, &|_| None),
            Err(SourceError::UnsupportedFormat { extension }) if extension == "YML"
        ));
    }

    #[test]
    fn shared_checks_have_go_messages() {
        let d = doc(
            r#"{"logging": {"level": 2}, "reporting": {"bugsnag": {"endpoint": "e"}}}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            d.log_level().unwrap_err().to_string(),
            "not a valid logrus Level: \"2\""
        );
        assert_eq!(
            d.check_bugsnag().unwrap_err().to_string(),
            "must provide an API key for bugsnag"
        );
        assert_eq!(
            d.storage().unwrap_err().to_string(),
            " is not a supported storage backend"
        );
        let d = doc(r#"{"storage": {"backend": "postgres"}}"#, &[]).unwrap();
        assert_eq!(
            d.storage().unwrap_err().to_string(),
            "must provide a non-empty database source for postgres"
        );
        assert_eq!(doc("{}", &[]).unwrap().log_level().unwrap(), LogLevel::Error);
        let storage = |backend: &str| {
            let json = format!(r#"{{"storage": {{"backend": "{backend}", "db_url": "sqlite:keys.db?mode=rwc"}}}}"#);
            doc(&json, &[]).unwrap().storage()
        };
        assert_eq!(
            storage("sqlite3").unwrap(),
            Storage::Sqlite {
                path: "/etc/notary/keys.db".into()
            }
        );
        assert_eq!(
            storage("mysql").unwrap(),
            Storage::Mysql {
                db_url: "sqlite:keys.db?mode=rwc".into()
            }
        );
        assert_eq!(storage("memory").unwrap(), Storage::Memory);
        assert!(matches!(
            storage("rethinkdb"),
            Err(DocError::UnimplementedBackend { .. })
        ));
        assert!(matches!(storage("Memory"), Err(DocError::UnsupportedBackend { .. })));
    }

    #[test]
    fn helpers() {
        assert_eq!(listen_addr(":1"), Some("0.0.0.0:1".into()));
        assert_eq!(listen_addr("[::1]:1"), Some("[::1]:1".into()));
        assert_eq!(listen_addr("::1:1"), None);
        assert_eq!(sqlite_file("file:///a.db?x=1"), "/a.db");
        assert_eq!(sqlite_file("a.db?x=1"), "a.db?x=1");
        assert_eq!(resolve(Path::new("a"), ".."), PathBuf::from("."));
        assert_eq!(go_quote("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\x01\"");
        assert_eq!("WARNING".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert_eq!(LogLevel::Warn.to_string(), "warning");
    }
}
