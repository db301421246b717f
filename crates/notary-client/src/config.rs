//! The client configuration file and trust pinning (`shared/spec/client.md` §2, §3).
//!
//! Go Notary reads `-c <file>` or `$HOME/.notary/config.json` with viper: JSON whose member names
//! (and the GUN keys of the `trust_pinning` maps) are case-insensitive. [`ClientConfig::parse`]
//! does that from bytes, with the home directory and working directory as parameters;
//! [`ClientConfig::load`] is the thin part that reads the file. The CLI then applies its flags
//! with [`ClientConfig::apply`].
//!
//! [`TrustPinningConfig::for_gun`] chooses the [`TrustPinning`] that `verify_root` applies to a
//! GUN's new root (§3): pinned key IDs for the exact GUN, else for the longest `prefix*`, else
//! the CA bundle of the longest GUN prefix, else trust on first use (or a refusal when TOFU is
//! disabled and nothing is trusted yet).
//!
//! Error texts are Go's (`* fatal: error opening config file: While parsing config: …`), for the
//! CLI to print after `* fatal: `.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};

use notary_tuf::cert::CaBundle;
use notary_tuf::verify::TrustPinning;
use notary_tuf::{Gun, KeyId};
use serde_json::{Map, Value};

/// Where the configuration comes from: the file to read and the directories paths are
/// resolved against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The configuration file (absolute): `-c` made absolute against `cwd`, else
    /// `<home>/.notary/config.json`.
    pub file: PathBuf,
    /// Whether the file was named with `-c` (then it must exist).
    pub required: bool,
    /// `$HOME`, when set and not empty.
    pub home: Option<PathBuf>,
    /// The current working directory (absolute).
    pub cwd: PathBuf,
    /// Warnings to log (Go's texts), e.g. when `$HOME` is not set.
    pub warnings: Vec<String>,
}

impl ConfigLocation {
    /// Chooses the file from the `-c` flag, `$HOME` (`None` or empty when unset) and the current
    /// working directory. Without a home directory Go warns and uses the working directory.
    pub fn new(config_flag: Option<&Path>, home: Option<&Path>, cwd: &Path) -> ConfigLocation {
        let home = home.filter(|h| !h.as_os_str().is_empty()).map(Path::to_path_buf);
        let mut warnings = Vec::new();
        if home.is_none() {
            warnings.push("cannot get current user home directory: environment variable not set".to_owned());
            warnings.push(format!(
                "notary will use {} to store configuration and keys",
                cwd.join(NOTARY_DIR).display()
            ));
        }
        let (file, required) = match config_flag.filter(|p| !p.as_os_str().is_empty()) {
            Some(flag) => (cwd.join(flag), true),
            None => (
                home.as_deref().unwrap_or(cwd).join(NOTARY_DIR).join("config.json"),
                false,
            ),
        };
        ConfigLocation {
            file,
            required,
            home,
            cwd: cwd.to_path_buf(),
            warnings,
        }
    }

    /// [`ConfigLocation::new`] with `$HOME` and the process's working directory.
    pub fn from_env(config_flag: Option<&Path>) -> io::Result<ConfigLocation> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cwd = std::env::current_dir()?;
        Ok(ConfigLocation::new(config_flag, home.as_deref(), &cwd))
    }

    /// The home directory, or the working directory when there is none.
    fn home_or_cwd(&self) -> &Path {
        self.home.as_deref().unwrap_or(&self.cwd)
    }

    /// The directory of the configuration file, against which its relative TLS paths resolve.
    fn config_dir(&self) -> &Path {
        self.file.parent().unwrap_or(&self.cwd)
    }
}

/// The client configuration, with every path resolved (absolute when the inputs were).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The trust directory (`trust_dir`, default `<home>/.notary`).
    pub trust_dir: PathBuf,
    /// How to reach the server.
    pub remote_server: RemoteServerConfig,
    /// Which root certificates to accept for a GUN's first root.
    pub trust_pinning: TrustPinningConfig,
    location: ConfigLocation,
}

/// The `remote_server` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteServerConfig {
    /// The server's base URL (default [`DEFAULT_SERVER_URL`]); its scheme is checked where it is
    /// used.
    pub url: String,
    /// PEM CA bundle used instead of the system roots.
    pub root_ca: Option<PathBuf>,
    /// Client certificate for mutual TLS.
    pub tls_client_cert: Option<PathBuf>,
    /// Key of the client certificate.
    pub tls_client_key: Option<PathBuf>,
    /// # Security
    /// `skipTLSVerify`: do not verify the server's certificate at all.
    pub skip_tls_verify: bool,
}

/// The `trust_pinning` section (client.md §2, §3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustPinningConfig {
    /// GUN or `prefix*` (lower-cased, as viper stores map keys) → pinned root key IDs.
    pub certs: BTreeMap<String, Vec<String>>,
    /// GUN prefix (lower-cased) → PEM CA bundle (relative paths resolved against the working
    /// directory).
    pub ca: BTreeMap<String, PathBuf>,
    /// # Security
    /// When false (the default), a GUN with no pinning accepts its first root on first use.
    pub disable_tofu: bool,
}

/// Command-line flags that take precedence over the file: `-d`, `-s`, `--tlscacert`,
/// `--tlscert`, `--tlskey`. Empty values count as not given, as in Go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `-d/--trustDir`.
    pub trust_dir: Option<PathBuf>,
    /// `-s/--server`.
    pub server_url: Option<String>,
    /// `--tlscacert`.
    pub tls_ca_cert: Option<PathBuf>,
    /// `--tlscert`.
    pub tls_client_cert: Option<PathBuf>,
    /// `--tlskey`.
    pub tls_client_key: Option<PathBuf>,
}

impl ClientConfig {
    /// Parses the configuration file's bytes (`None`: there is no file) as Go's viper does:
    /// member names are case-insensitive, `trust_dir` expands a leading `~/` and is relative to
    /// the working directory, the TLS paths of `remote_server` are relative to the file's
    /// directory, the CA paths of `trust_pinning.ca` to the working directory.
    pub fn parse(location: &ConfigLocation, bytes: Option<&[u8]>) -> Result<ClientConfig, ConfigError> {
        let root = match bytes {
            Some(bytes) => parse_document(bytes).map_err(|reason| ConfigError::Parse {
                path: location.file.clone(),
                reason,
            })?,
            None => Map::new(),
        };
        let trust_dir = match member(&root, "trust_dir").and_then(go_string) {
            Some(dir) => location.cwd.join(expand_home(&dir, location.home.as_deref())),
            None => location.home_or_cwd().join(NOTARY_DIR),
        };
        let remote = member(&root, "remote_server").and_then(Value::as_object);
        let remote_string = |name: &str| remote.and_then(|r| member(r, name)).and_then(go_string);
        let relative_to_config = |p: String| Some(clean(&location.config_dir().join(p)));
        let remote_server = RemoteServerConfig {
            url: remote_string("url")
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned()),
            root_ca: remote_string("root_ca")
                .filter(|p| !p.is_empty())
                .and_then(relative_to_config),
            tls_client_cert: remote_string("tls_client_cert")
                .filter(|p| !p.is_empty())
                .and_then(relative_to_config),
            tls_client_key: remote_string("tls_client_key")
                .filter(|p| !p.is_empty())
                .and_then(relative_to_config),
            skip_tls_verify: remote.and_then(|r| member(r, "skiptlsverify")).is_some_and(go_bool),
        };
        let pinning = member(&root, "trust_pinning").and_then(Value::as_object);
        let trust_pinning = TrustPinningConfig {
            certs: pinned_certs(pinning.and_then(|p| member(p, "certs")))?,
            ca: pinning
                .and_then(|p| member(p, "ca"))
                .and_then(Value::as_object)
                .map(|ca| {
                    ca.iter()
                        .map(|(prefix, path)| {
                            let path = go_string(path).unwrap_or_default();
                            (prefix.to_lowercase(), location.cwd.join(path))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            disable_tofu: pinning.and_then(|p| member(p, "disable_tofu")).is_some_and(go_bool),
        };
        Ok(ClientConfig {
            trust_dir,
            remote_server,
            trust_pinning,
            location: location.clone(),
        })
    }

    /// Reads and parses `location.file` (at most [`MAX_CONFIG_SIZE`] bytes). A missing default
    /// file is no error; a missing `-c` file, an unreadable or unparsable one is.
    pub fn load(location: &ConfigLocation) -> Result<ClientConfig, ConfigError> {
        let open_error = |source| ConfigError::Open {
            path: location.file.clone(),
            source,
        };
        let file = match std::fs::File::open(&location.file) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !location.required => {
                return ClientConfig::parse(location, None);
            }
            Err(e) => return Err(open_error(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(open_error)?;
        if bytes.len() as u64 > MAX_CONFIG_SIZE {
            return Err(ConfigError::TooLarge {
                path: location.file.clone(),
                limit: MAX_CONFIG_SIZE,
            });
        }
        ClientConfig::parse(location, Some(&bytes))
    }

    /// Applies command-line flags: `-d` is made absolute against the working directory (a leading
    /// `~/` is expanded), `-s` replaces the URL, and the TLS flags are relative to the working
    /// directory.
    pub fn apply(&mut self, overrides: &Overrides) {
        let location = &self.location;
        let non_empty = |p: &Option<PathBuf>| p.clone().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = non_empty(&overrides.trust_dir) {
            self.trust_dir = match dir.to_str() {
                Some(text) if text.starts_with("~/") => location.cwd.join(expand_home(text, location.home.as_deref())),
                _ => clean(&location.cwd.join(dir)),
            };
        }
        if let Some(url) = overrides.server_url.clone().filter(|u| !u.is_empty()) {
            self.remote_server.url = url;
        }
        // Go makes these relative to the CWD, except that a `~/` path is kept and then taken as
        // relative to the configuration file's directory (nothing expands it).
        let tls_path = |p: PathBuf| match p.to_str() {
            Some(text) if text.starts_with("~/") => clean(&location.config_dir().join(p)),
            _ => clean(&location.cwd.join(p)),
        };
        if let Some(p) = non_empty(&overrides.tls_ca_cert) {
            self.remote_server.root_ca = Some(tls_path(p));
        }
        if let Some(p) = non_empty(&overrides.tls_client_cert) {
            self.remote_server.tls_client_cert = Some(tls_path(p));
        }
        if let Some(p) = non_empty(&overrides.tls_client_key) {
            self.remote_server.tls_client_key = Some(tls_path(p));
        }
    }

    /// Where this configuration was read from (or would have been).
    pub fn location(&self) -> &ConfigLocation {
        &self.location
    }
}

impl RemoteServerConfig {
    /// The mutual-TLS client certificate and key: both or neither.
    pub fn client_identity(&self) -> Result<Option<(&Path, &Path)>, ConfigError> {
        match (&self.tls_client_cert, &self.tls_client_key) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            _ => Err(ConfigError::IncompleteClientIdentity),
        }
    }
}

impl TrustPinningConfig {
    /// The pinning for `gun`'s new root, in Go's order (client.md §3): `certs` for the exact GUN;
    /// else the longest `certs` key `prefix*` whose prefix starts the GUN; else the `ca` bundle
    /// of the longest key that starts the GUN (read with `read_file`, which should limit the
    /// size, e.g. [`read_ca_file`]); else trust on first use, refused when `disable_tofu` is set
    /// and `has_trusted_root` is false.
    ///
    /// Go reports a CA bundle that cannot be loaded only when a root must be validated, as
    /// `could not validate the path to a trusted root: could not load root cert from CA path`:
    /// call this only then, and pass an error on as [`TrustPinning::from`] to get that message.
    pub fn for_gun(
        &self,
        gun: &Gun,
        has_trusted_root: bool,
        read_file: impl FnOnce(&Path) -> io::Result<Vec<u8>>,
    ) -> Result<TrustPinning, TrustPinningError> {
        let gun = gun.as_str();
        if let Some(ids) = self.certs.get(gun) {
            return Ok(TrustPinning::KeyIds(ids.iter().map(KeyId::new).collect()));
        }
        let wildcard = self
            .certs
            .iter()
            .filter(|(key, _)| key.strip_suffix('*').is_some_and(|prefix| gun.starts_with(prefix)))
            .max_by_key(|(key, _)| key.len());
        if let Some((_, ids)) = wildcard {
            return Ok(TrustPinning::KeyIds(ids.iter().map(KeyId::new).collect()));
        }
        let ca = self
            .ca
            .iter()
            .filter(|(prefix, _)| gun.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        if let Some((_, path)) = ca {
            let load_error = |reason: String| TrustPinningError::LoadCa {
                path: path.clone(),
                reason,
            };
            let bytes = read_file(path).map_err(|e| load_error(e.to_string()))?;
            let bundle = CaBundle::parse_pem(&bytes).map_err(|e| load_error(e.to_string()))?;
            return Ok(TrustPinning::Ca(bundle));
        }
        if self.disable_tofu && !has_trusted_root {
            return Ok(TrustPinning::Refuse(INVALID_TRUST_PINNING.to_owned()));
        }
        Ok(TrustPinning::TrustOnFirstUse)
    }
}

/// Reads a CA bundle for [`TrustPinningConfig::for_gun`], refusing files over
/// [`MAX_CA_BUNDLE_SIZE`].
pub fn read_ca_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CA_BUNDLE_SIZE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CA_BUNDLE_SIZE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "CA bundle too large"));
    }
    Ok(bytes)
}

/// A configuration that cannot be used. `Display` is Go's text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be opened or read (a missing `-c` file, a directory, no permission).
    #[error("error opening config file: {}", GoOsError { op: "open", path, source })]
    Open {
        /// The file.
        path: PathBuf,
        /// The system error.
        source: io::Error,
    },
    /// The file is larger than the limit.
    #[error("error opening config file: {} is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// [`MAX_CONFIG_SIZE`].
        limit: u64,
    },
    /// Not JSON, or JSON that is not an object.
    #[error("error opening config file: While parsing config: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Go's `encoding/json` message.
        reason: String,
    },
    /// A `trust_pinning.certs` value that is not an array of strings.
    #[error("invalid format for trust_pinning.certs")]
    InvalidCertsFormat {
        /// The GUN key whose value is wrong.
        gun: String,
    },
    /// Only one of the client certificate and key is configured.
    #[error("either pass both client key and cert, or neither")]
    IncompleteClientIdentity,
}

/// A trust pinning that cannot be set up for a GUN. `Display` is Go's reason, which `verify_root`
/// reports after `could not validate the path to a trusted root: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustPinningError {
    /// The CA bundle could not be read or is not a PEM certificate bundle.
    #[error("could not load root cert from CA path")]
    LoadCa {
        /// The bundle's path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl From<TrustPinningError> for TrustPinning {
    /// A pinning that refuses every new root with the error's reason, as Go does.
    fn from(error: TrustPinningError) -> TrustPinning {
        TrustPinning::Refuse(error.to_string())
    }
}

/// Go's `*os.PathError` text: `open /path: no such file or directory`.
struct GoOsError<'a> {
    op: &'static str,
    path: &'a Path,
    source: &'a io::Error,
}

impl fmt::Display for GoOsError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.source.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            io::ErrorKind::IsADirectory => return write!(f, "read {}: is a directory", self.path.display()),
            _ => self.source.to_string(),
        };
        write!(f, "{} {}: {reason}", self.op, self.path.display())
    }
}

/// Parses the document as Go's `json.Unmarshal` into `map[string]interface{}`: syntax first, then
/// the top-level type (`null` is an empty map). Errors are Go's messages.
fn parse_document(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let text = String::from_utf8_lossy(bytes);
    let value: Value = serde_json::from_str(&text).map_err(|e| go_syntax_error(text.as_bytes(), &e))?;
    let kind = match value {
        Value::Object(map) => return Ok(map),
        Value::Null => return Ok(Map::new()),
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
    };
    Err(format!(
        "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    ))
}

/// Go's `encoding/json` syntax error for what serde_json found: `unexpected end of JSON input`,
/// or `invalid character 'x' <context>`.
fn go_syntax_error(text: &[u8], error: &serde_json::Error) -> String {
    if error.is_eof() {
        return "unexpected end of JSON input".to_owned();
    }
    let offset = byte_offset(text, error.line(), error.column());
    let Some(&found) = text.get(offset) else {
        return "unexpected end of JSON input".to_owned();
    };
    let message = error.to_string();
    let context = if message.starts_with("trailing characters") {
        "after top-level value".to_owned()
    } else if message.starts_with("key must be a string") || (message.starts_with("trailing comma") && found == b'}') {
        "looking for beginning of object key string".to_owned()
    } else if message.starts_with("expected `:`") {
        "after object key".to_owned()
    } else if message.starts_with("expected `,` or `}`") {
        "after object key:value pair".to_owned()
    } else if message.starts_with("expected `,` or `]`") {
        "after array element".to_owned()
    } else if message.starts_with("control character") {
        "in string literal".to_owned()
    } else if message.starts_with("invalid escape") {
        "in string escape code".to_owned()
    } else if message.starts_with("invalid number") {
        "in numeric literal".to_owned()
    } else if message.starts_with("expected ident") {
        literal_context(text, offset)
    } else {
        "looking for beginning of value".to_owned()
    };
    format!("invalid character {} {context}", go_quote_byte(found))
}

/// `in literal true (expecting 'e')` for a literal broken at `offset`.
fn literal_context(text: &[u8], offset: usize) -> String {
    let start = text[..offset]
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let literal = match text.get(start) {
        Some(b't') => "true",
        Some(b'f') => "false",
        _ => "null",
    };
    let expecting = literal.as_bytes().get(offset - start).copied().unwrap_or(b'?');
    format!("in literal {literal} (expecting {})", go_quote_byte(expecting))
}

/// The byte at serde_json's 1-based line and column (columns count bytes; the column of an error
/// is that of the offending byte, 0 when it is a newline).
fn byte_offset(text: &[u8], line: usize, column: usize) -> usize {
    let line_start = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(line.saturating_sub(2))
        .map_or(0, |(i, _)| if line >= 2 { i + 1 } else { 0 });
    match column {
        // Column 0: the error is at the newline that ended the previous line.
        0 => line_start.saturating_sub(1),
        _ => line_start + column - 1,
    }
}

/// Go's `quoteChar`: the byte as a rune, single-quoted, with Go's escapes.
fn go_quote_byte(b: u8) -> String {
    let inner = match b {
        b'\'' => "\\'".to_owned(),
        b'"' => "\"".to_owned(),
        b'\\' => "\\\\".to_owned(),
        b'\n' => "\\n".to_owned(),
        b'\r' => "\\r".to_owned(),
        b'\t' => "\\t".to_owned(),
        0x07 => "\\a".to_owned(),
        0x08 => "\\b".to_owned(),
        0x0b => "\\v".to_owned(),
        0x0c => "\\f".to_owned(),
        0x00..=0x1f | 0x7f => format!("\\x{b:02x}"),
        0x80..=0x9f | 0xad => format!("\\u{b:04x}"),
        _ => char::from(b).to_string(),
    };
    format!("'{inner}'")
}

/// A member looked up case-insensitively (viper lower-cases every key). `name` is lower case.
fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object
        .iter()
        .filter(|(key, value)| key.to_lowercase() == name && !value.is_null())
        .map(|(_, value)| value)
        .next_back()
}

/// `trust_pinning.certs`: a map of arrays of strings (anything but a map counts as empty, as
/// viper's `GetStringMap` does).
fn pinned_certs(value: Option<&Value>) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    let Some(map) = value.and_then(Value::as_object) else {
        return Ok(BTreeMap::new());
    };
    map.iter()
        .map(|(gun, ids)| {
            let invalid = || ConfigError::InvalidCertsFormat { gun: gun.clone() };
            let ids = ids
                .as_array()
                .ok_or_else(invalid)?
                .iter()
                .map(|id| id.as_str().map(str::to_owned).ok_or_else(invalid))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((gun.to_lowercase(), ids))
        })
        .collect()
}

/// viper's `GetString`: strings as they are, numbers and booleans printed, anything else empty.
fn go_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => Some(String::new()),
    }
}

/// viper's `GetBool`: a boolean, or a string Go's `strconv.ParseBool` accepts; anything else
/// (numbers included) is false.
fn go_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"),
        _ => false,
    }
}

/// Go's `homedir.Expand`: `~` or a leading `~/` is the home directory (an empty one when there
/// is none, so `~/x` becomes `/x`, as observed); `~user/…` is left alone.
fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    let rest = match path.strip_prefix('~') {
        Some("") => "",
        Some(rest) if rest.starts_with('/') => rest.trim_start_matches('/'),
        _ => return PathBuf::from(path),
    };
    match home {
        Some(home) => home.join(rest),
        None if rest.is_empty() => PathBuf::new(),
        None => Path::new("/").join(rest),
    }
}

/// Go's `filepath.Clean`, lexically: no `.` components, `..` removes the previous component.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The default server URL of Notary 0.7.0 (not the docs' `https://notary.docker.io`).
pub const DEFAULT_SERVER_URL: &str = "https://notary-server:4443";

/// The largest configuration file read (it is input).
pub const MAX_CONFIG_SIZE: u64 = 1 << 20;

/// The largest CA bundle [`read_ca_file`] reads.
pub const MAX_CA_BUNDLE_SIZE: u64 = 16 << 20;

/// The directory under the home directory that holds `config.json` and the default trust dir.
const NOTARY_DIR: &str = ".notary";

/// Go's reason when TOFU is disabled and nothing pins the GUN.
const INVALID_TRUST_PINNING: &str = "invalid trust pinning specified";
