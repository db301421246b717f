//! The client's HTTP access to a notary server (`shared/spec/client.md` §5.1, §5.3–§5.6): a
//! synchronous client for the `/v2/<gun>/_trust/tuf/` endpoints, with Go Notary 0.7's ping,
//! size limits, status mapping, TLS settings and docker/distribution token authentication.
//!
//! [`Remote::connect`] pings `GET <url>/v2/`; an error there means "go offline" (Go logs
//! `could not reach <url>: <err>` and continues without a server). The methods download bytes
//! within a size limit and leave all verification to the caller.
//!
//! This module reads a monotonic clock (token lifetimes) and the proxy environment variables
//! (`HTTPS_PROXY`, …, through reqwest), and never logs tokens or passwords.

mod auth;
mod error;

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use notary_tuf::{Gun, PublicKey, RoleName};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};

pub use auth::{Anonymous, CredentialSource, Credentials, NotaryAuthError, credentials_from_notary_auth};
pub use error::{Rejection, RemoteError};

use auth::{Authorizer, Challenge, Identity};

/// How to reach a notary server: the `remote_server` section of the configuration plus the
/// `-s`, `--tlscacert`, `--tlscert`, `--tlskey` flags (client.md §2, §5.5).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RemoteConfig {
    /// The server URL, `http(s)://host[:port][/prefix]`.
    pub url: String,
    /// PEM CA bundle that **replaces** the system roots.
    pub ca_bundle: Option<PemSource>,
    /// Client certificate (PEM) for mutual TLS; needs [`RemoteConfig::client_key`].
    pub client_cert: Option<PemSource>,
    /// Its private key (PEM); needs [`RemoteConfig::client_cert`].
    pub client_key: Option<PemSource>,
    /// Go's `skipTLSVerify`.
    ///
    /// # Security
    ///
    /// `true` accepts any server certificate: a network attacker can then read the traffic and
    /// tokens and withhold updates (metadata signatures are still checked).
    pub skip_tls_verify: bool,
}

impl RemoteConfig {
    /// A configuration for `url` with system roots, no client certificate, verification on.
    pub fn new(url: impl Into<String>) -> RemoteConfig {
        RemoteConfig {
            url: url.into(),
            ca_bundle: None,
            client_cert: None,
            client_key: None,
            skip_tls_verify: false,
        }
    }
}

/// PEM data, in memory or in a file read at [`Remote::connect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemSource {
    /// A file path.
    Path(PathBuf),
    /// The PEM text.
    Pem(Vec<u8>),
}

impl PemSource {
    fn read(&self) -> Result<Vec<u8>, String> {
        match self {
            PemSource::Path(path) => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())),
            PemSource::Pem(pem) => Ok(pem.clone()),
        }
    }
}

/// What the operation needs from the server: the token scope's actions (client.md §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `pull`: `list`, `lookup`, `verify`, `delegation list`. Tries anonymously first.
    Pull,
    /// `push,pull`: `init`, `publish`, every `-p`.
    PushPull,
    /// `*`: `delete --remote`, `key rotate` of a server-managed key.
    Admin,
}

impl Access {
    /// The actions of the token scope `repository:<gun>:<actions>`.
    pub fn actions(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::PushPull => "push,pull",
            Access::Admin => "*",
        }
    }
}

/// An online connection to one repository (GUN) of a notary server.
#[derive(Debug)]
pub struct Remote {
    client: Client,
    base: String,
    access: Access,
    auth: Authorizer,
}

impl Remote {
    /// Builds the HTTP client from `config` and pings `GET <url>/v2/` (5 s timeout). 2xx and
    /// 401 mean online (a 401's `WWW-Authenticate` challenges are kept for every later request);
    /// anything else is an error after which the caller works offline, except the configuration
    /// errors ([`RemoteError::is_network`] is false for them).
    pub fn connect(
        config: &RemoteConfig,
        gun: &Gun,
        access: Access,
        credentials: impl CredentialSource + 'static,
    ) -> Result<Remote, RemoteError> {
        let server = server_url(&config.url)?;
        let client = build_client(config)?;
        let ping = format!("{server}/v2/");
        let response = client
            .get(&ping)
            .timeout(PING_TIMEOUT)
            .send()
            .map_err(|e| RemoteError::from_reqwest(&ping, &e))?;
        let status = response.status();
        let challenges = if status == StatusCode::UNAUTHORIZED {
            challenges(&response)
        } else if status.is_success() {
            Vec::new()
        } else {
            return Err(RemoteError::PingStatus {
                status: status.as_u16(),
            });
        };
        Ok(Remote {
            base: format!("{server}/v2/{}/_trust/tuf/", gun.as_str()),
            auth: Authorizer::new(challenges, gun.as_str(), access, Box::new(credentials)),
            client,
            access,
        })
    }

    /// `GET root.json` (100 MiB limit).
    pub fn root(&self) -> Result<Vec<u8>, RemoteError> {
        self.fetch("root", MAX_ROOT_SIZE)
    }

    /// `GET <version>.root.json` (100 MiB limit), for the root rotation walk.
    pub fn root_version(&self, version: u64) -> Result<Vec<u8>, RemoteError> {
        self.fetch(&format!("{version}.root"), MAX_ROOT_SIZE)
    }

    /// `GET timestamp.json` (1 MiB limit).
    pub fn timestamp(&self) -> Result<Vec<u8>, RemoteError> {
        self.fetch("timestamp", MAX_TIMESTAMP_SIZE)
    }

    /// `GET <role>.<sha256 hex>.json` with the `length` the parent metadata gives as limit.
    pub fn by_checksum(&self, role: &RoleName, sha256_hex: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        self.fetch(&format!("{role}.{sha256_hex}"), limit)
    }

    /// `GET <role>.key`: the public key of a server-managed role (256 KiB limit).
    pub fn key(&self, role: &RoleName) -> Result<PublicKey, RemoteError> {
        let url = format!("{}{role}.key", self.base);
        let response = self.send(&url, |client| client.get(&url))?;
        let response = check_status(response, &format!("{role} key"))?;
        parse_key(role, &read_limited(&url, response, MAX_KEY_SIZE)?)
    }

    /// `POST <role>.key`: asks the server to rotate the key of a server-managed role, returning
    /// the new public key.
    pub fn rotate_key(&self, role: &RoleName) -> Result<PublicKey, RemoteError> {
        let url = format!("{}{role}.key", self.base);
        let response = self.send(&url, |client| client.post(&url))?;
        let response = check_status(response, &format!("{role} key"))?;
        parse_key(role, &read_limited(&url, response, MAX_KEY_SIZE)?)
    }

    /// `POST` of all `files` (role name, bytes) in one `multipart/form-data` body, one part per
    /// file named `files` with the role as file name (client.md §5.1).
    pub fn publish(&self, files: &[(RoleName, Vec<u8>)]) -> Result<(), RemoteError> {
        let boundary = random_boundary()?;
        let body = multipart_body(&boundary, files);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let url = self.base.clone();
        let response = self.send(&url, |client| {
            client
                .post(&url)
                .header(CONTENT_TYPE, content_type.as_str())
                .body(body.clone())
        })?;
        check_status(response, "POST metadata endpoint").map(drop)
    }

    /// `DELETE`: removes all the repository's metadata from the server (`delete --remote`).
    pub fn delete(&self) -> Result<(), RemoteError> {
        let url = self.base.clone();
        let response = self.send(&url, |client| client.delete(&url))?;
        check_status(response, "DELETE metadata for GUN endpoint").map(drop)
    }

    /// The base URL `<url>/v2/<gun>/_trust/tuf/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn fetch(&self, name: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        let url = format!("{}{name}.json", self.base);
        let response = self.send(&url, |client| client.get(&url))?;
        let response = check_status(response, name)?;
        read_limited(&url, response, limit)
    }

    /// Sends the request built by `build`, authorised: reads first anonymously and, on 401,
    /// once more with credentials; writes with credentials only (client.md §5.6).
    fn send(&self, url: &str, build: impl Fn(&Client) -> RequestBuilder) -> Result<Response, RemoteError> {
        let identities: &[Identity] = match self.access {
            Access::Pull => &[Identity::Anonymous, Identity::Credentialed],
            Access::PushPull | Access::Admin => &[Identity::Credentialed],
        };
        let mut last = None;
        for identity in identities {
            let request = self.auth.authorize(&self.client, build(&self.client), *identity)?;
            let response = request.send().map_err(|e| RemoteError::from_reqwest(url, &e))?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            last = Some(response);
        }
        match last {
            // Refused and no credentials were sent: the user is not logged in, even when the
            // challenge says `insufficient_scope` (issuers hand anonymous clients tokens with
            // whatever anonymous may do, so a missing login shows up as a missing scope).
            Some(response) if self.auth.sent_credentials() => Ok(response),
            _ => Err(RemoteError::Unauthorized),
        }
    }
}

/// Checks the URL is `http(s)://…` and drops trailing slashes (the ping keeps a path prefix).
fn server_url(url: &str) -> Result<String, RemoteError> {
    let invalid = || RemoteError::InvalidUrl { url: url.to_owned() };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid());
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn build_client(config: &RemoteConfig) -> Result<Client, RemoteError> {
    let mut builder = Client::builder()
        .timeout(None::<Duration>)
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_keepalive(KEEPALIVE)
        .tls_version_min(reqwest::tls::Version::TLS_1_2)
        .tls_danger_accept_invalid_certs(config.skip_tls_verify);
    if let Some(bundle) = &config.ca_bundle {
        let pem = bundle.read().map_err(|reason| RemoteError::CaBundle { reason })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| RemoteError::CaBundle { reason: e.to_string() })?;
        if certs.is_empty() {
            return Err(RemoteError::CaBundle {
                reason: "no certificate found".into(),
            });
        }
        builder = builder.tls_certs_only(certs);
    }
    match (&config.client_cert, &config.client_key) {
        (None, None) => {}
        (Some(cert), Some(key)) => {
            let identity_error = |reason| RemoteError::ClientIdentity { reason };
            let mut pem = cert.read().map_err(identity_error)?;
            pem.push(b'\n');
            pem.extend_from_slice(&key.read().map_err(identity_error)?);
            let identity =
                reqwest::Identity::from_pem(&pem).map_err(|e| RemoteError::ClientIdentity { reason: e.to_string() })?;
            builder = builder.identity(identity);
        }
        _ => return Err(RemoteError::IncompleteClientIdentity),
    }
    builder
        .build()
        .map_err(|e| RemoteError::ClientSetup { reason: e.to_string() })
}

/// Every `WWW-Authenticate` challenge of a 401 ping.
fn challenges(response: &Response) -> Vec<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(Challenge::parse)
        .collect()
}

/// Go's `translateStatusToError` (client.md §5.1): only 200 is success.
fn check_status(response: Response, resource: &str) -> Result<Response, RemoteError> {
    match response.status().as_u16() {
        200 => Ok(response),
        400 => {
            let url = response.url().to_string();
            let body = read_limited(&url, response, MAX_ERROR_SIZE).unwrap_or_default();
            Err(RemoteError::Rejected(Rejection::parse(&body)))
        }
        401 if insufficient_scope(&response) => Err(RemoteError::Forbidden { status: 401 }),
        401 => Err(RemoteError::Unauthorized),
        403 => Err(RemoteError::Forbidden { status: 403 }),
        404 => Err(RemoteError::NotFound {
            resource: resource.to_owned(),
        }),
        status => Err(RemoteError::ServerUnavailable { status }),
    }
}

/// A 401 whose Bearer challenge says the token lacks the needed scope (RFC 6750 §3.1).
fn insufficient_scope(response: &Response) -> bool {
    challenges(response)
        .iter()
        .any(|c| c.param("error") == Some("insufficient_scope"))
}

/// Reads at most `limit` bytes; a `Content-Length` above the limit is a bad response (§5.3),
/// a longer body without one is cut at the limit (the caller's hash check then fails).
pub(crate) fn read_limited(url: &str, response: Response, limit: u64) -> Result<Vec<u8>, RemoteError> {
    if response.content_length().is_some_and(|length| length > limit) {
        return Err(RemoteError::BadResponse);
    }
    // Pre-size to the announced length (no regrowth copies of a multi-megabyte targets file),
    // but never more than INITIAL_BUFFER on the word of the server alone.
    let capacity = response.content_length().unwrap_or(0).min(limit).min(INITIAL_BUFFER);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    response
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|e| RemoteError::Transport {
            url: url.to_owned(),
            detail: e.to_string(),
        })?;
    Ok(body)
}

fn parse_key(role: &RoleName, body: &[u8]) -> Result<PublicKey, RemoteError> {
    serde_json::from_slice(body).map_err(|e| RemoteError::BadServerKey {
        role: role.to_string(),
        reason: e.to_string(),
    })
}

/// Go's `mime/multipart` layout: `--B` CRLF, headers, CRLF, data, then CRLF `--B` … and the
/// closing CRLF `--B--` CRLF.
fn multipart_body(boundary: &str, files: &[(RoleName, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::with_capacity(files.iter().map(|(_, data)| data.len() + 200).sum::<usize>() + 100);
    for (index, (role, data)) in files.iter().enumerate() {
        let separator = if index == 0 { "" } else { "\r\n" };
        let filename = role.as_str().replace('\\', "\\\\").replace('"', "\\\"");
        body.extend_from_slice(
            format!(
                "{separator}--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// 30 random bytes in hex, like Go's `multipart.Writer`.
fn random_boundary() -> Result<String, RemoteError> {
    let mut bytes = [0u8; 30];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| RemoteError::ClientSetup {
        reason: "no randomness for the multipart boundary".into(),
    })?;
    Ok(hex::encode(bytes))
}

/// Go's ping timeout.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Go's dial timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Go's TCP keep-alive period.
const KEEPALIVE: Duration = Duration::from_secs(30);
/// `root.json` and `<n>.root.json` (§5.3).
pub const MAX_ROOT_SIZE: u64 = 100 << 20;
/// `timestamp.json` (§5.3).
pub const MAX_TIMESTAMP_SIZE: u64 = 1 << 20;
/// `<role>.key` (§5.3).
pub const MAX_KEY_SIZE: u64 = 256 << 10;
/// Error bodies (§5.3).
const MAX_ERROR_SIZE: u64 = 1 << 10;
/// Never pre-allocate more than this, whatever the server announces.
const INITIAL_BUFFER: u64 = 32 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        for bad in ["notary-server:4443", "ftp://x", "127.0.0.1:4443", "", "https://"] {
            let err = server_url(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Trust server url has to be in the form of http(s)://URL:PORT. Got: {bad}")
            );
        }
        assert_eq!(server_url("https://h:4443/").unwrap(), "https://h:4443");
        assert_eq!(server_url("http://h/pre/fix").unwrap(), "http://h/pre/fix");
    }

    #[test]
    fn access_actions() {
        assert_eq!(
            [Access::Pull, Access::PushPull, Access::Admin].map(Access::actions),
            ["pull", "push,pull", "*"]
        );
    }

    #[test]
    fn remote_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Remote>();
    }

    #[test]
    fn boundary_is_60_hex_chars() {
        let b = random_boundary().unwrap();
        assert_eq!(b.len(), 60);
        assert!(b.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(b, random_boundary().unwrap());
    }
}
