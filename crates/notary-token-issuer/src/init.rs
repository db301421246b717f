//! `notary-token-issuer init DIR`: everything a newcomer needs for token auth in one command —
//! a root CA (what registries and notary-server trust as `rootcertbundle`), a token signing key
//! and certificate issued by it, a TLS certificate for the issuer itself, an htpasswd file with
//! one administrator and a random password, and a configuration granting that administrator
//! everything.
//!
//! # Security
//!
//! The root CA's private key is written too (mode 0600), so new signing certificates can be
//! issued later; move it somewhere offline once the setup works. Existing files are never
//! overwritten.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SecureRandom as _;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// What `init` sets up.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// The issuer's listen address (also put in the TLS certificate when it is an IP).
    pub listen: String,
    /// Extra host names for the issuer's TLS certificate.
    pub hosts: Vec<String>,
    /// The `iss` of the tokens.
    pub issuer: String,
    /// The services tokens are issued for.
    pub services: Vec<String>,
    /// The administrator's user name.
    pub admin: String,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            listen: crate::config::DEFAULT_HTTP_ADDR.to_owned(),
            hosts: Vec::new(),
            issuer: "notary-token-issuer".to_owned(),
            services: vec!["notary-server".to_owned(), "docker-registry".to_owned()],
            admin: "admin".to_owned(),
        }
    }
}

/// What `init` wrote.
#[derive(Debug)]
pub struct InitOutput {
    /// `config.json`.
    pub config: PathBuf,
    /// `root-ca.crt`: the `rootcertbundle` of registries and notary-server.
    pub root_cert: PathBuf,
    /// The token endpoint (`realm`); clients trust `root-ca.crt` for its https.
    pub realm: String,
    /// The administrator's generated password (shown once, stored only as a bcrypt hash).
    pub admin_password: Zeroizing<String>,
}

/// Why `init` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// A file `init` would write already exists.
    #[error("{0} already exists; init never overwrites files (choose an empty directory)")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("cannot generate certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// Randomness or hashing failed.
    #[error("cannot generate the administrator password")]
    Password,
    /// The listen address is not host:port.
    #[error("{0:?} is not host:port")]
    Listen(String),
}

/// File names inside the directory.
const FILES: [&str; 9] = [
    "root-ca.crt",
    "root-ca.key",
    "signing.crt",
    "signing.key",
    "tls.crt",
    "tls.key",
    "users.htpasswd",
    "config.json",
    "README.txt",
];

/// Writes a complete setup into `dir` (created if missing).
pub fn init(dir: &Path, options: &InitOptions) -> Result<InitOutput, InitError> {
    let listen = notary_service_kit::config_doc::listen_addr(&options.listen)
        .ok_or_else(|| InitError::Listen(options.listen.clone()))?;
    for name in FILES {
        if dir.join(name).exists() {
            return Err(InitError::Exists(dir.join(name)));
        }
    }
    let dir_error = |source| InitError::Write {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(dir_error)?;
    // Absolute, so the printed snippets work from any directory.
    let dir = &std::fs::canonicalize(dir).map_err(dir_error)?;
    let now = OffsetDateTime::now_utc();

    let root_key = KeyPair::generate()?;
    let mut root = CertificateParams::new(Vec::<String>::new())?;
    root.distinguished_name
        .push(DnType::CommonName, format!("{} root CA", options.issuer));
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = now - Duration::hours(1);
    root.not_after = now + Duration::days(3650);
    let root_cert = root.self_signed(&root_key)?;
    let root_pem = root_cert.pem();
    let root_key_pem = Zeroizing::new(root_key.serialize_pem());
    let ca = Issuer::new(root, root_key);

    let signing_key = KeyPair::generate()?;
    let mut signing = CertificateParams::new(Vec::<String>::new())?;
    signing
        .distinguished_name
        .push(DnType::CommonName, format!("{} token signing", options.issuer));
    signing.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    signing.not_before = now - Duration::hours(1);
    signing.not_after = now + Duration::days(730);
    let signing_pem = signing.signed_by(&signing_key, &ca)?.pem();

    let host = listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
    let mut names = vec!["localhost".to_owned()];
    names.extend(options.hosts.iter().cloned());
    let tls_key = KeyPair::generate()?;
    let mut tls = CertificateParams::new(names)?;
    for ip in ["127.0.0.1", host.trim_start_matches('[').trim_end_matches(']')] {
        if let Ok(ip) = ip.parse::<std::net::IpAddr>()
            && !ip.is_unspecified()
            && !tls.subject_alt_names.contains(&SanType::IpAddress(ip))
        {
            tls.subject_alt_names.push(SanType::IpAddress(ip));
        }
    }
    tls.distinguished_name
        .push(DnType::CommonName, format!("{} https", options.issuer));
    tls.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    tls.not_before = now - Duration::hours(1);
    tls.not_after = now + Duration::days(730);
    let tls_pem = tls.signed_by(&tls_key, &ca)?.pem();

    let password = random_password()?;
    let hash = bcrypt::hash(password.as_bytes(), bcrypt::DEFAULT_COST).map_err(|_| InitError::Password)?;

    let config = json!({
        "server": {"http_addr": listen, "tls_cert_file": "tls.crt", "tls_key_file": "tls.key"},
        "logging": {"level": "info"},
        "token": {
            "issuer": options.issuer,
            "services": options.services,
            "expiration": crate::config::DEFAULT_EXPIRATION,
            "key_file": "signing.key",
            "cert_file": "signing.crt"
        },
        "users": {"htpasswd_file": "users.htpasswd"},
        "grants": [
            {"users": [options.admin], "prefix": "*", "actions": ["*"]},
            {"users": [options.admin], "type": "registry", "prefix": "catalog", "actions": ["*"]}
        ]
    });
    let display_host = if host == "0.0.0.0" { "127.0.0.1" } else { host };
    let port = listen.rsplit_once(':').map_or("", |(_, p)| p);
    let realm = format!("https://{display_host}:{port}/token");
    let root_path = dir.join("root-ca.crt");
    let readme = readme(&realm, &root_path, options);

    write(dir, "root-ca.crt", root_pem.as_bytes(), false)?;
    write(dir, "root-ca.key", root_key_pem.as_bytes(), true)?;
    write(dir, "signing.crt", signing_pem.as_bytes(), false)?;
    write(dir, "signing.key", signing_key.serialize_pem().as_bytes(), true)?;
    write(dir, "tls.crt", tls_pem.as_bytes(), false)?;
    write(dir, "tls.key", tls_key.serialize_pem().as_bytes(), true)?;
    write(
        dir,
        "users.htpasswd",
        format!("{}:{hash}\n", options.admin).as_bytes(),
        true,
    )?;
    let config_text = serde_json::to_string_pretty(&config).unwrap_or_default();
    write(dir, "config.json", format!("{config_text}\n").as_bytes(), false)?;
    write(dir, "README.txt", readme.as_bytes(), false)?;
    Ok(InitOutput {
        config: dir.join("config.json"),
        root_cert: root_path,
        realm,
        admin_password: password,
    })
}

/// A bcrypt hash of `password` at `cost` (`$2b$`, which htpasswd files, Go and this issuer
/// accept like `$2y$`).
pub fn hash_password(password: &[u8], cost: u32) -> Option<String> {
    bcrypt::hash(password, cost).ok()
}

/// 24 characters of URL-safe base64 from 18 random bytes.
fn random_password() -> Result<Zeroizing<String>, InitError> {
    let mut bytes = Zeroizing::new([0u8; 18]);
    aws_lc_rs::rand::SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| InitError::Password)?;
    Ok(Zeroizing::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()),
    ))
}

fn write(dir: &Path, name: &str, contents: &[u8], secret: bool) -> Result<(), InitError> {
    let path = dir.join(name);
    let error = |source| InitError::Write {
        path: path.clone(),
        source,
    };
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = open.open(&path).map_err(error)?;
    file.write_all(contents).map_err(error)?;
    Ok(())
}

fn readme(realm: &str, root: &Path, options: &InitOptions) -> String {
    let service = options.services.first().map_or("notary-server", String::as_str);
    let registry = options.services.get(1).map_or(service, String::as_str);
    format!(
        "Written by notary-token-issuer init.\n\
         \n\
         Start the issuer:   notary-token-issuer serve -config config.json\n\
         Token endpoint:     {realm}\n\
         Add users:          notary-token-issuer hash-password --user NAME >> users.htpasswd  (password on stdin)\n\
         Move root-ca.key offline once everything works.\n\
         \n\
         notary-server config (auth section):\n\
         \"auth\": {{\"type\": \"token\", \"options\": {{\"realm\": \"{realm}\", \"service\": \"{service}\", \
         \"issuer\": \"{issuer}\", \"rootcertbundle\": \"{root}\"}}}}\n\
         \n\
         Docker registry (distribution) config:\n\
         auth:\n  token:\n    realm: {realm}\n    service: {registry}\n    issuer: {issuer}\n    rootcertbundle: {root}\n\
         \n\
         Clients must trust root-ca.crt for the issuer's https (it also issued tls.crt).\n",
        issuer = options.issuer,
        root = root.display(),
    )
}
