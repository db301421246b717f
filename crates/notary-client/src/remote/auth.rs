//! Authentication to a notary server, as docker/distribution's token auth does it for Go Notary
//! (`shared/spec/client.md` §5.6): challenges learned from the ping, Bearer tokens fetched from
//! the realm and cached for their lifetime, Basic credentials, and `NOTARY_AUTH`.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::remote::{Access, RemoteError, read_limited};

/// A username and password for the server or its token service.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: Zeroizing<String>,
}

impl Credentials {
    /// Credentials from a username and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: Zeroizing::new(password.into()),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Whether both parts are non-empty: only then are they sent (docker/distribution's rule).
    fn is_usable(&self) -> bool {
        !self.username.is_empty() && !self.password.is_empty()
    }

    fn basic_header(&self) -> String {
        let raw = Zeroizing::new(format!("{}:{}", self.username, self.password.as_str()));
        format!("Basic {}", BASE64.encode(raw.as_bytes()))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Where credentials come from when the server asks for them (the CLI: `NOTARY_AUTH`, then
/// `Enter username:` / `Enter password:` prompts). Asked lazily, at most once per [`Remote`],
/// and only when a request needs credentials.
///
/// [`Remote`]: crate::remote::Remote
pub trait CredentialSource: Send {
    /// The credentials to use, or `None` to go on without any (Go then sends none).
    fn credentials(&mut self) -> Option<Credentials>;
}

/// No credentials: anonymous access only.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anonymous;

impl CredentialSource for Anonymous {
    fn credentials(&mut self) -> Option<Credentials> {
        None
    }
}

impl CredentialSource for Credentials {
    fn credentials(&mut self) -> Option<Credentials> {
        Some(self.clone())
    }
}

/// Why a `NOTARY_AUTH` value was refused (Go logs these texts and goes on without credentials).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NotaryAuthError {
    /// Not standard base64.
    #[error("Could not base64-decode authentication string")]
    NotBase64,
    /// No `:` in the decoded text.
    #[error("Malformatted authentication string; format must be <username>:<password>")]
    NoColon,
    /// The text starts with `:`.
    #[error("Authentication string with zero-length username")]
    EmptyUsername,
}

/// Decodes `NOTARY_AUTH` (base64 of `username:password`) with Go's rules: the password is
/// trimmed of surrounding white space, an empty username or a missing `:` is refused. An empty
/// password is accepted here but makes the credentials unusable (nothing is sent).
pub fn credentials_from_notary_auth(value: &str) -> Result<Credentials, NotaryAuthError> {
    let decoded = Zeroizing::new(BASE64.decode(value).map_err(|_| NotaryAuthError::NotBase64)?);
    let text = String::from_utf8_lossy(&decoded);
    let Some((username, password)) = text.split_once(':') else {
        return Err(NotaryAuthError::NoColon);
    };
    if username.is_empty() {
        return Err(NotaryAuthError::EmptyUsername);
    }
    let password = Zeroizing::new(password.trim().to_owned());
    Ok(Credentials::new(username, password.as_str()))
}

/// One `WWW-Authenticate` challenge: lower-cased scheme and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) params: Vec<(String, String)>,
}

impl Challenge {
    /// Parses one header value as docker/distribution does: `scheme k=v, k="quoted"`.
    pub(crate) fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim_start();
        let end = header.find(|c: char| !is_token_char(c)).unwrap_or(header.len());
        if end == 0 {
            return None;
        }
        let scheme = header[..end].to_ascii_lowercase();
        let mut rest = &header[end..];
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            let key = rest[..end].to_ascii_lowercase();
            rest = rest[end..].trim_start();
            let Some(after_eq) = rest.strip_prefix('=') else {
                break;
            };
            let after_eq = after_eq.trim_start();
            let (value, after) = if let Some(quoted) = after_eq.strip_prefix('"') {
                unquote(quoted)?
            } else {
                let end = after_eq.find(|c: char| !is_token_char(c)).unwrap_or(after_eq.len());
                (after_eq[..end].to_owned(), &after_eq[end..])
            };
            params.push((key, value));
            rest = after;
        }
        Some(Challenge { scheme, params })
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The body of a quoted string (after the opening quote) and what follows the closing quote.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            _ => value.push(c),
        }
    }
    None
}

/// Which credentials a request is authorised with: reads go anonymous first, then once with
/// credentials on 401; writes use credentials directly (client.md §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Identity {
    Anonymous,
    Credentialed,
}

/// The authorisation state of one [`Remote`](crate::remote::Remote).
pub(crate) struct Authorizer {
    challenges: Vec<Challenge>,
    scope: String,
    source: Mutex<Box<dyn CredentialSource>>,
    credentials: Mutex<Option<Option<Credentials>>>,
    anonymous_token: Mutex<Option<CachedToken>>,
    credentialed_token: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    token: Zeroizing<String>,
    valid_until: Instant,
}

impl Authorizer {
    pub(crate) fn new(
        challenges: Vec<Challenge>,
        gun: &str,
        access: Access,
        source: Box<dyn CredentialSource>,
    ) -> Authorizer {
        Authorizer {
            challenges,
            scope: format!("repository:{gun}:{}", access.actions()),
            source: Mutex::new(source),
            credentials: Mutex::new(None),
            anonymous_token: Mutex::new(None),
            credentialed_token: Mutex::new(None),
        }
    }

    /// Adds the `Authorization` header for `identity`, pre-emptively, from the challenges the
    /// ping returned (Bearer, then Basic, as docker/distribution's authorizer applies them).
    pub(crate) fn authorize(
        &self,
        client: &Client,
        request: RequestBuilder,
        identity: Identity,
    ) -> Result<RequestBuilder, RemoteError> {
        let mut header = None;
        for challenge in self.challenges.iter().filter(|c| c.scheme == "bearer") {
            header = Some(format!("Bearer {}", self.token(client, challenge, identity)?.as_str()));
        }
        if self.challenges.iter().any(|c| c.scheme == "basic") {
            let credentials = self.credentials(identity).filter(Credentials::is_usable);
            let Some(credentials) = credentials else {
                return Err(RemoteError::NoBasicCredentials);
            };
            header = Some(credentials.basic_header());
        }
        Ok(match header {
            Some(value) => request.header(AUTHORIZATION, value),
            None => request,
        })
    }

    /// Whether usable credentials were asked for and sent: only then is a refusal "not
    /// allowed" rather than "authentication failed".
    pub(crate) fn sent_credentials(&self) -> bool {
        matches!(lock(&self.credentials).as_ref(), Some(Some(credentials)) if credentials.is_usable())
    }

    fn credentials(&self, identity: Identity) -> Option<Credentials> {
        if identity == Identity::Anonymous {
            return None;
        }
        let mut cached = lock(&self.credentials);
        if let Some(known) = cached.as_ref() {
            return known.clone();
        }
        let asked = lock(&self.source).credentials();
        *cached = Some(asked.clone());
        asked
    }

    fn token(
        &self,
        client: &Client,
        challenge: &Challenge,
        identity: Identity,
    ) -> Result<Zeroizing<String>, RemoteError> {
        let slot = match identity {
            Identity::Anonymous => &self.anonymous_token,
            Identity::Credentialed => &self.credentialed_token,
        };
        let mut cached = lock(slot);
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.valid_until) {
            return Ok(token.token.clone());
        }
        let credentials = self.credentials(identity).filter(Credentials::is_usable);
        let fetched = fetch_token(client, challenge, &self.scope, credentials.as_ref())?;
        let token = fetched.token.clone();
        *cached = Some(fetched);
        Ok(token)
    }
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("challenges", &self.challenges)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// `GET <realm>?account=…&scope=…&service=…` (parameters sorted by name, Go's query escaping),
/// with Basic credentials only when they are usable.
fn fetch_token(
    client: &Client,
    challenge: &Challenge,
    scope: &str,
    credentials: Option<&Credentials>,
) -> Result<CachedToken, RemoteError> {
    let realm = challenge.param("realm").unwrap_or_default();
    let mut url = reqwest::Url::parse(realm).map_err(|e| RemoteError::TokenResponse {
        reason: format!("invalid token realm {realm:?}: {e}"),
    })?;
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(service) = challenge.param("service").filter(|s| !s.is_empty()) {
        params.push(("service".into(), service.into()));
    }
    params.push(("scope".into(), scope.into()));
    if let Some(credentials) = credentials {
        params.push(("account".into(), credentials.username.clone()));
    }
    params.sort_by(|a, b| a.0.cmp(&b.0)); // stable: values of one key keep their order, as Go
    let query = params
        .iter()
        .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    url.set_query((!query.is_empty()).then_some(query.as_str()));

    let mut request = client.get(url.as_str()).timeout(TOKEN_TIMEOUT);
    if let Some(credentials) = credentials {
        request = request.header(AUTHORIZATION, credentials.basic_header());
    }
    let started = Instant::now();
    let response = request
        .send()
        .map_err(|e| RemoteError::from_reqwest(url.as_str(), &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(RemoteError::TokenRejected { status });
    }
    let body = read_limited(url.as_str(), response, MAX_TOKEN_RESPONSE)?;
    let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| RemoteError::TokenResponse {
        reason: format!("unable to decode token response: {e}"),
    })?;
    let token = [parsed.token, parsed.access_token]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .ok_or_else(|| RemoteError::TokenResponse {
            reason: "authorization server did not include a token in the response".into(),
        })?;
    let lifetime = parsed.expires_in.unwrap_or(0).max(MIN_TOKEN_LIFETIME_SECS);
    Ok(CachedToken {
        token: Zeroizing::new(token),
        valid_until: started + Duration::from_secs(lifetime),
    })
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`, the rest `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A poisoned lock only means another thread panicked mid-update; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Go's timeout for the token request.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(15);
/// docker/distribution's minimum token lifetime.
const MIN_TOKEN_LIFETIME_SECS: u64 = 60;
/// Token responses are small; cap what we read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notary_auth_follows_go() {
        let b64 = |s: &str| BASE64.encode(s);
        let creds = credentials_from_notary_auth(&b64("alice: pw \n\t ")).unwrap();
        assert_eq!(creds, Credentials::new("alice", "pw"));
        assert_eq!(
            credentials_from_notary_auth(&b64("alice:a:b")).unwrap(),
            Credentials::new("alice", "a:b")
        );
        assert!(!credentials_from_notary_auth(&b64("alice:")).unwrap().is_usable());
        assert_eq!(
            credentials_from_notary_auth(&b64(":pw")),
            Err(NotaryAuthError::EmptyUsername)
        );
        assert_eq!(
            credentials_from_notary_auth(&b64("alice")),
            Err(NotaryAuthError::NoColon)
        );
        assert_eq!(
            credentials_from_notary_auth("!!notb64"),
            Err(NotaryAuthError::NotBase64)
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let text = format!("{:?}", Credentials::new("alice", "s3cret"));
        assert!(text.contains("alice") && !text.contains("s3cret"), "{text}");
    }

    #[test]
    fn challenges_parse() {
        let c =
            Challenge::parse(r#"Bearer realm="https://auth.example/token",service="notary \"x\"", scope=a"#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example/token"));
        assert_eq!(c.param("service"), Some("notary \"x\""));
        assert_eq!(c.param("scope"), Some("a"));
        let c = Challenge::parse("BASIC realm=x").unwrap();
        assert_eq!((c.scheme.as_str(), c.param("realm")), ("basic", Some("x")));
        assert_eq!(Challenge::parse(""), None);
    }

    #[test]
    fn query_escape_is_gos() {
        assert_eq!(
            query_escape("repository:example.com/test/repo:push,pull"),
            "repository%3Aexample.com%2Ftest%2Frepo%3Apush%2Cpull"
        );
        assert_eq!(query_escape("a b*~"), "a+b%2A~");
    }
}
