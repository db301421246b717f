//! What can go wrong talking to a notary server (`shared/spec/client.md` §5.1, §5.3, §5.6), with
//! Go Notary's messages as `Display`, and the parsing of the server's 400 error envelope.

use std::error::Error as StdError;

use serde_json::Value;
use thiserror::Error;

/// An error of the HTTP client. `Display` is the Go client's text where it has one (§5.1).
///
/// The variants tell apart what the product reports differently: TLS failures ([`Tls`]),
/// authentication failures ([`Unauthorized`], [`TokenRejected`]), missing permissions
/// ([`Forbidden`]), unknown repositories ([`NotFound`]) and unreachable servers ([`Unreachable`]).
/// [`RemoteError::is_network`] says which of them let a reader fall back to its cache.
///
/// [`Tls`]: RemoteError::Tls
/// [`Unauthorized`]: RemoteError::Unauthorized
/// [`TokenRejected`]: RemoteError::TokenRejected
/// [`Forbidden`]: RemoteError::Forbidden
/// [`NotFound`]: RemoteError::NotFound
/// [`Unreachable`]: RemoteError::Unreachable
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The server sent more than the size limit of the file (Go's `ErrMaliciousServer`, §5.3).
    #[error("trust server returned a bad response.")]
    BadResponse,

    /// `GET <role>.key` returned something that is not a public key object.
    #[error("unable to parse the {role} key returned by the trust server: {reason}")]
    BadServerKey {
        /// The role whose key was asked for.
        role: String,
        /// Why it did not parse.
        reason: String,
    },

    /// The CA bundle could not be read or holds no certificate.
    #[error("could not load the trust server CA bundle: {reason}")]
    CaBundle {
        /// What went wrong (file error or PEM error).
        reason: String,
    },

    /// The client certificate or key could not be read or do not form an identity.
    #[error("could not load the TLS client certificate and key: {reason}")]
    ClientIdentity {
        /// What went wrong.
        reason: String,
    },

    /// The HTTP client could not be built from the configuration.
    #[error("could not configure the HTTP client: {reason}")]
    ClientSetup {
        /// reqwest's error text.
        reason: String,
    },

    /// The server refused the operation although the client authenticated: HTTP 403, or a 401
    /// whose challenge says `error="insufficient_scope"`. `Display` is Go's text for the code,
    /// then the class (`not allowed`), which Go's text alone does not tell.
    #[error("{} (not allowed: {})", server_status_text(*.status), forbidden_detail(*.status))]
    Forbidden {
        /// 401 or 403.
        status: u16,
    },

    /// Only one of the client certificate and key was given (Go's text).
    #[error("either pass both client key and cert, or neither")]
    IncompleteClientIdentity,

    /// The server URL is not an `http(s)://` URL (Go's text).
    #[error("Trust server url has to be in the form of http(s)://URL:PORT. Got: {url}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
    },

    /// The server has only a Basic challenge and no credentials are available: Go fails the
    /// request before sending it (client.md §5.6 "Quirk").
    #[error("no basic auth credentials")]
    NoBasicCredentials,

    /// HTTP 404: the resource does not exist (Go's `ErrMetaNotFound`). On `root`, the GUN is
    /// unknown to the server.
    #[error("{resource} trust data unavailable.  Has a notary repository been initialized?")]
    NotFound {
        /// Go's resource name: `root`, `snapshot.<hex>`, `3.root`, `timestamp key`, …
        resource: String,
    },

    /// The ping answered with a status that is neither 2xx nor 401: this is not a notary server.
    /// `Display` is the bare code, as Go logs `could not reach <url>: <code>`.
    #[error("{status}")]
    PingStatus {
        /// The HTTP status code.
        status: u16,
    },

    /// HTTP 400: the server rejected the operation (an update that does not validate, …).
    #[error(transparent)]
    Rejected(#[from] Rejection),

    /// Any other status (Go's `ErrServerUnavailable`).
    #[error("{}", server_status_text(*.status))]
    ServerUnavailable {
        /// The HTTP status code.
        status: u16,
    },

    /// The TLS handshake failed: untrusted or invalid server certificate, client certificate
    /// refused, protocol mismatch.
    #[error("TLS handshake failed: {detail}")]
    Tls {
        /// The URL asked for.
        url: String,
        /// The error chain as text.
        detail: String,
    },

    /// The token server refused to issue a token (bad credentials: 401) or failed. `Display` is
    /// docker/distribution's text, then the class (`authentication failed` / `not allowed`).
    #[error("{}", token_status_text(*.status))]
    TokenRejected {
        /// The token server's HTTP status.
        status: u16,
    },

    /// The token server's answer is not a usable token response.
    #[error("{reason}")]
    TokenResponse {
        /// What is wrong with it.
        reason: String,
    },

    /// The request failed after the connection was made (reset, broken body, …).
    #[error("{detail}")]
    Transport {
        /// The URL asked for.
        url: String,
        /// The error chain as text.
        detail: String,
    },

    /// HTTP 401 (after credentials, when they were tried): authentication failed. `Display` is
    /// Go's text, then the class.
    #[error(
        "{} (authentication failed: no credentials, or the server refused them)",
        server_status_text(401)
    )]
    Unauthorized,

    /// No connection: refused, DNS failure, timeout.
    #[error("{detail}")]
    Unreachable {
        /// The URL asked for.
        url: String,
        /// The error chain as text.
        detail: String,
    },
}

impl RemoteError {
    /// Whether this is a "network-class" error (metadata.md §12.2, Go's `ErrMetaNotFound`,
    /// `ErrServerUnavailable`, `ErrOffline`, `NetworkError`): a reader may then use cached
    /// metadata instead. Rejections, oversized responses and configuration errors are not.
    pub fn is_network(&self) -> bool {
        match self {
            RemoteError::Forbidden { .. }
            | RemoteError::NoBasicCredentials
            | RemoteError::NotFound { .. }
            | RemoteError::PingStatus { .. }
            | RemoteError::ServerUnavailable { .. }
            | RemoteError::Tls { .. }
            | RemoteError::TokenRejected { .. }
            | RemoteError::TokenResponse { .. }
            | RemoteError::Transport { .. }
            | RemoteError::Unauthorized
            | RemoteError::Unreachable { .. } => true,
            RemoteError::BadResponse
            | RemoteError::BadServerKey { .. }
            | RemoteError::CaBundle { .. }
            | RemoteError::ClientIdentity { .. }
            | RemoteError::ClientSetup { .. }
            | RemoteError::IncompleteClientIdentity
            | RemoteError::InvalidUrl { .. }
            | RemoteError::Rejected(_) => false,
        }
    }

    /// Classifies a reqwest error for `url`: TLS if a rustls error is in its chain, unreachable
    /// for connect errors and timeouts, else a transport error.
    pub(crate) fn from_reqwest(url: &str, error: &reqwest::Error) -> RemoteError {
        let detail = chain_text(error);
        let url = url.to_owned();
        if has_tls_error(error) {
            RemoteError::Tls { url, detail }
        } else if error.is_connect() || error.is_timeout() {
            RemoteError::Unreachable { url, detail }
        } else {
            RemoteError::Transport { url, detail }
        }
    }
}

/// An HTTP 400 from the server, as the Go client decodes it (client.md §5.1): the single error of
/// the envelope `{"errors":[{"detail":{"Name":…,"Error":{…}}}]}`, read from the first 1 KiB.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// `ErrBadHierarchy`: metadata missing from the update (e.g. no snapshot).
    #[error("Metadata hierarchy is incomplete: {msg}")]
    BadHierarchy {
        /// The missing role (`snapshot`).
        missing: String,
        /// The server's message.
        msg: String,
    },
    /// `ErrBadRoot`.
    #[error("The root metadata is invalid: {msg}")]
    BadRoot {
        /// The server's message.
        msg: String,
    },
    /// `ErrBadSnapshot`.
    #[error("The snapshot metadata is invalid: {msg}")]
    BadSnapshot {
        /// The server's message.
        msg: String,
    },
    /// `ErrBadTargets` (targets and delegations).
    #[error("The targets metadata is invalid: {msg}")]
    BadTargets {
        /// The server's message.
        msg: String,
    },
    /// Anything Go cannot decode: no envelope, not exactly one error, unknown `Name`.
    #[error("trust server rejected operation.")]
    Unparsed,
    /// `ErrValidation`: a general validation error.
    #[error("An error occurred during validation: {msg}")]
    Validation {
        /// The server's message.
        msg: String,
    },
}

impl Rejection {
    /// Decodes a 400 body (already cut to 1 KiB) as Go's client does. Member names match
    /// case-insensitively, as with Go's `encoding/json`.
    pub fn parse(body: &[u8]) -> Rejection {
        parse_envelope(body).unwrap_or(Rejection::Unparsed)
    }
}

fn parse_envelope(body: &[u8]) -> Option<Rejection> {
    let envelope: Value = serde_json::from_slice(body).ok()?;
    let [error] = member(&envelope, "errors")?.as_array()?.as_slice() else {
        return None;
    };
    let detail = member(error, "detail")?.as_object()?;
    let detail = Value::Object(detail.clone());
    let name = member(&detail, "Name")?.as_str()?;
    let fields = member(&detail, "Error").unwrap_or(&Value::Null);
    if !(fields.is_object() || fields.is_null()) {
        return None;
    }
    let text = |field: &str| -> Option<String> {
        match member(fields, field) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    };
    let msg = text("Msg")?;
    Some(match name {
        "ErrValidation" => Rejection::Validation { msg },
        "ErrBadHierarchy" => Rejection::BadHierarchy {
            missing: text("Missing")?,
            msg,
        },
        "ErrBadRoot" => Rejection::BadRoot { msg },
        "ErrBadTargets" => Rejection::BadTargets { msg },
        "ErrBadSnapshot" => Rejection::BadSnapshot { msg },
        _ => return None,
    })
}

/// An object member: the exact name first, else the first case-insensitive match (Go's rule).
fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Go's `ErrServerUnavailable` text.
fn server_status_text(status: u16) -> String {
    if status == 401 {
        "you are not authorized to perform this operation: server returned 401.".to_owned()
    } else {
        format!("unable to reach trust server at this time: {status}.")
    }
}

/// docker/distribution's texts for a failed token request, with the class after them.
fn token_status_text(status: u16) -> String {
    match status {
        401 => {
            "unauthorized: authentication required (authentication failed: the token server refused the credentials)"
                .to_owned()
        }
        403 => "denied: requested access to the resource is denied (not allowed: the token server refused this access)"
            .to_owned(),
        _ => format!(
            "token auth attempt failed: received unexpected HTTP status: {status} (authentication failed: no token)"
        ),
    }
}

/// Why a [`RemoteError::Forbidden`] was refused.
fn forbidden_detail(status: u16) -> &'static str {
    if status == 401 {
        "the token does not grant the access this operation needs (insufficient_scope)"
    } else {
        "the server refused access to this repository (403)"
    }
}

/// The error and its sources, joined with `": "` (io errors' inner errors included).
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(error) {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn has_tls_error(error: &(dyn StdError + 'static)) -> bool {
    chain(error).any(|e| e.downcast_ref::<rustls::Error>().is_some())
}

/// Walks `source()`, also stepping into `io::Error`s, whose `source()` skips the wrapped error.
fn chain<'a>(error: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &'a (dyn StdError + 'static)),
            None => current.source(),
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_decode_like_go() {
        // Each case checked against the Go 0.7 CLI (`delete --remote` against a stub answering 400).
        let cases: &[(&str, &str)] = &[
            (
                r#"{"errors":[{"code":"INVALID_UPDATE","message":"m","detail":{"Name":"ErrValidation","Error":{"Msg":"hello"}}}]}"#,
                "An error occurred during validation: hello",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"hello"}}}]}"#,
                "Metadata hierarchy is incomplete: hello",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadRoot","Error":{"Msg":"hello"}}}]}"#,
                "The root metadata is invalid: hello",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadTargets","Error":{"Msg":"hello"}}}]}"#,
                "The targets metadata is invalid: hello",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadSnapshot","Error":{"Msg":"hello"}}}]}"#,
                "The snapshot metadata is invalid: hello",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadRoot"}}]}"#,
                "The root metadata is invalid: ",
            ),
            (
                r#"{"errors":[{"detail":{"name":"ErrBadRoot","error":{"msg":"lc"}}}]}"#,
                "The root metadata is invalid: lc",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrUnknown","Error":{"Msg":"x"}}}]}"#,
                "trust server rejected operation.",
            ),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadRoot","Error":{"Msg":"a"}}},{"detail":{"Name":"ErrBadTargets","Error":{"Msg":"b"}}}]}"#,
                "trust server rejected operation.",
            ),
            (r#"{"errors":[]}"#, "trust server rejected operation."),
            (r#"{"errors":[{"code":"X"}]}"#, "trust server rejected operation."),
            (r#"{"errors":[{"detail":null}]}"#, "trust server rejected operation."),
            (
                r#"{"errors":[{"detail":{"Name":"ErrBadRoot","Error":"str"}}]}"#,
                "trust server rejected operation.",
            ),
            ("garbage", "trust server rejected operation."),
            ("", "trust server rejected operation."),
        ];
        for (body, expected) in cases {
            assert_eq!(Rejection::parse(body.as_bytes()).to_string(), *expected, "{body}");
        }
        assert_eq!(
            Rejection::parse(
                br#"{"errors":[{"detail":{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"m"}}}]}"#
            ),
            Rejection::BadHierarchy {
                missing: "snapshot".into(),
                msg: "m".into()
            }
        );
    }

    #[test]
    fn status_texts_are_gos() {
        assert_eq!(
            RemoteError::ServerUnavailable { status: 500 }.to_string(),
            "unable to reach trust server at this time: 500."
        );
        // Go's text first, then the class Go's text does not tell.
        assert_eq!(
            RemoteError::Unauthorized.to_string(),
            "you are not authorized to perform this operation: server returned 401. \
             (authentication failed: no credentials, or the server refused them)"
        );
        assert_eq!(
            RemoteError::Forbidden { status: 403 }.to_string(),
            "unable to reach trust server at this time: 403. \
             (not allowed: the server refused access to this repository (403))"
        );
        assert_eq!(
            RemoteError::Forbidden { status: 401 }.to_string(),
            "you are not authorized to perform this operation: server returned 401. \
             (not allowed: the token does not grant the access this operation needs (insufficient_scope))"
        );
        assert_eq!(
            RemoteError::TokenRejected { status: 401 }.to_string(),
            "unauthorized: authentication required \
             (authentication failed: the token server refused the credentials)"
        );
        assert_eq!(
            RemoteError::TokenRejected { status: 403 }.to_string(),
            "denied: requested access to the resource is denied \
             (not allowed: the token server refused this access)"
        );
        let tls = RemoteError::Tls {
            url: "https://h/v2/".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        };
        assert_eq!(
            tls.to_string(),
            "TLS handshake failed: invalid peer certificate: UnknownIssuer"
        );
        assert_eq!(
            RemoteError::NotFound {
                resource: "root".into()
            }
            .to_string(),
            "root trust data unavailable.  Has a notary repository been initialized?"
        );
    }
}
