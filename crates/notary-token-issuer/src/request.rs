//! What a client asks for, parsed from the wire without I/O: the GET form of distribution's
//! "Token Authentication Specification" (`?service=…&scope=…&scope=…&account=…`, optional
//! `Authorization: Basic`) and the POST form of "OAuth2 Token Authentication"
//! (`grant_type=password&username=…&password=…&service=…&scope=…`).
//!
//! Refresh tokens are not issued, so `grant_type=refresh_token` is refused; clients then log in
//! with the user name and password again. `offline_token`, `client_id` and `access_type` are
//! accepted and ignored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::scope::{Scope, ScopeError};
use crate::users::{MAX_PASSWORD_BYTES, MAX_USER_BYTES};

/// Most scopes one request may ask for.
pub const MAX_SCOPES: usize = 32;
/// Longest query string or form body accepted, in bytes.
pub const MAX_PARAMS_BYTES: usize = 16 * 1024;

/// A parsed token request.
#[derive(Debug)]
pub struct TokenRequest {
    /// `service`: the token's audience.
    pub service: String,
    /// Every requested scope, in order.
    pub scopes: Vec<Scope>,
    /// The user name and password, when given.
    pub credentials: Option<Credentials>,
    /// Which form the request came in, for the shape of the answer.
    pub form: RequestForm,
}

/// GET (token spec) or POST (OAuth2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestForm {
    /// `GET ?service=…&scope=…`.
    Get,
    /// `POST grant_type=password…`.
    OAuth2,
}

/// A user name and password. The password is wiped on drop and never printed.
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password bytes.
    pub password: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why a request was refused before any credential was checked (a 400, except
/// [`RequestError::BadAuthorization`]). Messages never repeat credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The query string or body is longer than [`MAX_PARAMS_BYTES`].
    #[error("request parameters are longer than {MAX_PARAMS_BYTES} bytes")]
    TooLarge,
    /// No `service`.
    #[error("missing service parameter")]
    MissingService,
    /// A parameter that may appear once appears twice.
    #[error("parameter {0} given more than once")]
    Repeated(&'static str),
    /// More than [`MAX_SCOPES`] scopes.
    #[error("at most {MAX_SCOPES} scopes per request")]
    TooManyScopes,
    /// A malformed scope.
    #[error("invalid scope: {0}")]
    Scope(#[from] ScopeError),
    /// `account` names someone else than the credentials.
    #[error("account does not match the authenticated user name")]
    AccountMismatch,
    /// The `Authorization` header is not valid Basic credentials (answered 401).
    #[error("malformed Basic authorization")]
    BadAuthorization,
    /// OAuth2 without `grant_type`, or a password grant without user name or password.
    #[error("the password grant needs grant_type=password, username and password")]
    IncompleteGrant,
    /// A `grant_type` other than `password`.
    #[error("unsupported grant_type (only password is supported; refresh tokens are not issued)")]
    UnsupportedGrantType,
}

impl TokenRequest {
    /// A GET request: its query string and `Authorization` header value.
    pub fn from_get(query: &str, authorization: Option<&[u8]>) -> Result<TokenRequest, RequestError> {
        let params = Params::parse(query.as_bytes())?;
        let credentials = authorization.map(basic_credentials).transpose()?;
        if let (Some(account), Some(credentials)) = (params.one("account")?, &credentials)
            && account.as_str() != credentials.user
        {
            return Err(RequestError::AccountMismatch);
        }
        Ok(TokenRequest {
            service: params.service()?,
            scopes: params.scopes()?,
            credentials,
            form: RequestForm::Get,
        })
    }

    /// An OAuth2 POST: its `application/x-www-form-urlencoded` body.
    pub fn from_oauth2_form(body: &[u8]) -> Result<TokenRequest, RequestError> {
        let params = Params::parse(body)?;
        match params.one("grant_type")?.as_ref().map(|g| g.as_str()) {
            Some("password") => {}
            None => return Err(RequestError::IncompleteGrant),
            Some(_) => return Err(RequestError::UnsupportedGrantType),
        }
        let user = params.one("username")?.ok_or(RequestError::IncompleteGrant)?;
        let password = params.one("password")?.ok_or(RequestError::IncompleteGrant)?;
        let credentials = credentials(user, Zeroizing::new(password.as_bytes().to_vec()))?;
        Ok(TokenRequest {
            service: params.service()?,
            scopes: params.scopes()?,
            credentials: Some(credentials),
            form: RequestForm::OAuth2,
        })
    }
}

/// Decoded `key=value` pairs (percent-decoding, `+` as space). Values are wiped on drop, since
/// a form may carry a password.
struct Params(Vec<(String, Zeroizing<String>)>);

impl Params {
    fn parse(bytes: &[u8]) -> Result<Params, RequestError> {
        if bytes.len() > MAX_PARAMS_BYTES {
            return Err(RequestError::TooLarge);
        }
        Ok(Params(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), Zeroizing::new(v.into_owned())))
                .collect(),
        ))
    }

    /// The value of a parameter that may appear at most once.
    fn one(&self, name: &'static str) -> Result<Option<Zeroizing<String>>, RequestError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone());
        let first = values.next();
        if values.next().is_some() {
            return Err(RequestError::Repeated(name));
        }
        Ok(first)
    }

    fn service(&self) -> Result<String, RequestError> {
        match self.one("service")? {
            Some(service) if !service.is_empty() => Ok(service.to_string()),
            _ => Err(RequestError::MissingService),
        }
    }

    /// Every `scope` parameter, each split on spaces.
    fn scopes(&self) -> Result<Vec<Scope>, RequestError> {
        let mut scopes = Vec::new();
        for (_, value) in self.0.iter().filter(|(k, _)| k == "scope") {
            for scope in value.split(' ').filter(|s| !s.is_empty()) {
                if scopes.len() == MAX_SCOPES {
                    return Err(RequestError::TooManyScopes);
                }
                scopes.push(Scope::parse(scope)?);
            }
        }
        Ok(scopes)
    }
}

/// `Basic base64(user:password)` (scheme case-insensitive).
fn basic_credentials(header: &[u8]) -> Result<Credentials, RequestError> {
    let header = std::str::from_utf8(header).map_err(|_| RequestError::BadAuthorization)?;
    let (scheme, encoded) = header.trim().split_once(' ').ok_or(RequestError::BadAuthorization)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(RequestError::BadAuthorization);
    }
    let decoded = Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .map_err(|_| RequestError::BadAuthorization)?,
    );
    let colon = decoded
        .iter()
        .position(|b| *b == b':')
        .ok_or(RequestError::BadAuthorization)?;
    let (user, password) = decoded.split_at(colon);
    let user = std::str::from_utf8(user).map_err(|_| RequestError::BadAuthorization)?;
    let password = Zeroizing::new(password.get(1..).unwrap_or_default().to_vec());
    credentials(Zeroizing::new(user.to_owned()), password)
}

fn credentials(user: Zeroizing<String>, password: Zeroizing<Vec<u8>>) -> Result<Credentials, RequestError> {
    if user.is_empty() || user.len() > MAX_USER_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(RequestError::BadAuthorization);
    }
    Ok(Credentials {
        user: user.to_string(),
        password,
    })
}
