//! One request's authorization decision and the challenge that answers a refusal
//! (server-api.md §8; docker/distribution `accessController.Authorized` and
//! `authChallenge.challengeParams`).

use notary_service_kit::config_doc::go_quote;
use time::OffsetDateTime;

use crate::access::{Grants, RequiredAccess};
use crate::token::{MalformedToken, Token};
use crate::verify::{InvalidToken, TokenVerifier};

/// A request that may go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The token's `sub`, for the log.
    pub subject: String,
}

/// Why a request is answered with 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No `Authorization: Bearer <token>` (Basic, or not exactly two space-separated parts).
    #[error("no bearer token")]
    TokenRequired,
    /// The token does not decode.
    #[error("malformed token: {0}")]
    Malformed(MalformedToken),
    /// The token decodes but is not to be believed.
    #[error("invalid token: {0}")]
    Invalid(InvalidToken),
    /// A valid token that lacks a required action.
    #[error("token of {subject:?} lacks the required access")]
    InsufficientScope {
        /// The token's `sub`.
        subject: String,
    },
}

impl Refusal {
    /// The challenge's `error` parameter, if any.
    pub fn error_param(&self) -> Option<&'static str> {
        match self {
            Refusal::TokenRequired => None,
            Refusal::Malformed(_) | Refusal::Invalid(_) => Some("invalid_token"),
            Refusal::InsufficientScope { .. } => Some("insufficient_scope"),
        }
    }
}

impl TokenVerifier {
    /// Decides a request from its first `Authorization` header value: the scheme must be
    /// `bearer` in any case and the value exactly two space-separated parts; the token must verify
    /// at `now` and grant every action of `required`.
    pub fn authorize(
        &self,
        authorization: Option<&[u8]>,
        required: &RequiredAccess,
        now: OffsetDateTime,
    ) -> Result<Authorized, Refusal> {
        let raw = bearer_token(authorization.unwrap_or_default()).ok_or(Refusal::TokenRequired)?;
        let raw = std::str::from_utf8(raw).map_err(|_| Refusal::Malformed(MalformedToken::Segments))?;
        let token = Token::parse(raw).map_err(Refusal::Malformed)?;
        self.verify(&token, now).map_err(Refusal::Invalid)?;
        let subject = token.claims.sub;
        if !required.is_granted_by(&Grants::from_access(&token.claims.access)) {
            return Err(Refusal::InsufficientScope { subject });
        }
        Ok(Authorized { subject })
    }
}

/// The `Www-Authenticate` value for a refusal: `Bearer realm=…,service=…,scope=…[,error=…]`,
/// values quoted as Go's `%q` quotes them.
pub fn challenge(realm: &str, service: &str, required: &RequiredAccess, refusal: &Refusal) -> String {
    let mut out = format!(
        "Bearer realm={},service={},scope={}",
        go_quote(realm),
        go_quote(service),
        go_quote(&required.scope())
    );
    if let Some(error) = refusal.error_param() {
        out.push_str(",error=");
        out.push_str(&go_quote(error));
    }
    out
}

/// The token of `Bearer <token>`: Go splits on single spaces and wants exactly two parts.
fn bearer_token(authorization: &[u8]) -> Option<&[u8]> {
    let mut parts = authorization.split(|b| *b == b' ');
    let (scheme, token) = (parts.next()?, parts.next()?);
    (parts.next().is_none() && scheme.eq_ignore_ascii_case(b"bearer")).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing_is_gos() {
        assert_eq!(bearer_token(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"bEaReR abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_token(b"Bearer "), Some(&b""[..]));
        assert_eq!(bearer_token(b"Bearer  abc"), None);
        assert_eq!(bearer_token(b"Bearer abc def"), None);
        assert_eq!(bearer_token(b"Bearer"), None);
        assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token(b""), None);
    }

    #[test]
    fn challenges_are_gos() {
        let required = RequiredAccess::pull("example.com/a \"b\"");
        assert_eq!(
            challenge("https://auth/token", "notary", &required, &Refusal::TokenRequired),
            r#"Bearer realm="https://auth/token",service="notary",scope="repository:example.com/a \"b\":pull""#
        );
        let scope = Refusal::InsufficientScope { subject: "x".into() };
        assert!(
            challenge("r", "s", &RequiredAccess::catalog(), &scope)
                .ends_with(r#"scope="registry:catalog:*",error="insufficient_scope""#)
        );
        let invalid = Refusal::Invalid(InvalidToken::Expired);
        assert!(challenge("r", "s", &required, &invalid).ends_with(r#",error="invalid_token""#));
        assert_eq!(go_quote("a\u{1}\u{7f}é"), "\"a\\x01\\x7fé\"");
    }
}
