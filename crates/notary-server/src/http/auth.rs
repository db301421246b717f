//! Token authentication on the wire (server-api.md §3 "Auth scope needed", §8, §9 step 6): which
//! access each route needs, and the 401 answer with its `Www-Authenticate` challenge. The token
//! rules themselves are `notary_auth`'s.

use http::HeaderMap;
use http::header::{AUTHORIZATION, HOST, HeaderValue};
use notary_auth::{RequiredAccess, TokenVerifier, challenge};

use super::route::Route;
use crate::error::ApiError;
use crate::service::Clock;

/// `auth.type: token`: the verifier plus what the challenge names.
pub struct TokenAuth {
    verifier: TokenVerifier,
    realm: String,
    autoredirect: bool,
    clock: Clock,
}

impl TokenAuth {
    /// Token auth with `realm` in challenges (or `https://<Host>/auth/token` with
    /// `autoredirect`), checking token times against `clock`.
    pub fn new(verifier: TokenVerifier, realm: String, autoredirect: bool, clock: Clock) -> TokenAuth {
        TokenAuth {
            verifier,
            realm,
            autoredirect,
            clock,
        }
    }

    /// Lets a request for `route` through, or answers 401 (health, metrics and 405s need nothing).
    pub(crate) fn check(&self, route: &Route, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(required) = required_access(route) else {
            return Ok(());
        };
        let authorization = headers.get(AUTHORIZATION).map(HeaderValue::as_bytes);
        match self.verifier.authorize(authorization, &required, (self.clock)()) {
            Ok(authorized) => {
                tracing::debug!(subject = %authorized.subject, scope = %required.scope(), "token accepted");
                Ok(())
            }
            Err(refusal) => {
                let realm = match self.autoredirect {
                    true => format!(
                        "https://{}/auth/token",
                        headers
                            .get(HOST)
                            .map(|h| String::from_utf8_lossy(h.as_bytes()))
                            .unwrap_or_default()
                    ),
                    false => self.realm.clone(),
                };
                let value = challenge(&realm, self.verifier.service(), &required, &refusal);
                Err(ApiError::Unauthorized {
                    challenge: HeaderValue::from_bytes(value.as_bytes())
                        .unwrap_or_else(|_| HeaderValue::from_static("Bearer")),
                    detail: required.detail_json(),
                    reason: refusal.to_string(),
                })
            }
        }
    }
}

impl std::fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuth")
            .field("realm", &self.realm)
            .field("service", &self.verifier.service())
            .field("autoredirect", &self.autoredirect)
            .finish_non_exhaustive()
    }
}

/// The access a route needs (server-api.md §3): none for health, metrics and unsupported methods;
/// the catalog for routes without a GUN, including the catch-all.
pub fn required_access(route: &Route) -> Option<RequiredAccess> {
    Some(match route {
        Route::Health | Route::Metrics | Route::MethodNotAllowed => return None,
        Route::Base | Route::ChangefeedAll | Route::NotFound => RequiredAccess::catalog(),
        Route::Current { gun, .. }
        | Route::ByChecksum { gun, .. }
        | Route::ByVersion { gun, .. }
        | Route::Changefeed { gun } => RequiredAccess::pull(gun),
        Route::GetKey { gun, .. } | Route::Upload { gun } => RequiredAccess::push_pull(gun),
        Route::RotateKey { gun, .. } | Route::Delete { gun } => RequiredAccess::all(gun),
    })
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::http::route::route;

    #[test]
    fn scopes_follow_the_route_table() {
        let scope = |method: Method, path: &str| required_access(&route(&method, path)).map(|r| r.scope());
        let gun = "/v2/example.com/coll/_trust";
        let pull = Some("repository:example.com/coll:pull".to_owned());
        let push_pull = Some("repository:example.com/coll:push,pull".to_owned());
        let all = Some("repository:example.com/coll:*".to_owned());
        let catalog = Some("registry:catalog:*".to_owned());
        assert_eq!(scope(Method::GET, "/v2/"), catalog);
        assert_eq!(scope(Method::POST, &format!("{gun}/tuf/")), push_pull);
        assert_eq!(
            scope(Method::GET, &format!("{gun}/tuf/root.{}.json", "a".repeat(64))),
            pull
        );
        assert_eq!(scope(Method::GET, &format!("{gun}/tuf/1.root.json")), pull);
        assert_eq!(scope(Method::GET, &format!("{gun}/tuf/targets/releases.json")), pull);
        assert_eq!(scope(Method::GET, &format!("{gun}/tuf/timestamp.key")), push_pull);
        assert_eq!(scope(Method::POST, &format!("{gun}/tuf/snapshot.key")), all);
        assert_eq!(scope(Method::DELETE, &format!("{gun}/tuf/")), all);
        assert_eq!(scope(Method::GET, &format!("{gun}/changefeed")), pull);
        assert_eq!(scope(Method::GET, "/v2/_trust/changefeed"), catalog);
        assert_eq!(scope(Method::GET, "/_notary_server/health"), None);
        assert_eq!(scope(Method::GET, "/metrics"), None);
        assert_eq!(scope(Method::POST, "/metrics"), catalog);
        assert_eq!(scope(Method::GET, "/nope"), catalog);
        assert_eq!(scope(Method::HEAD, &format!("{gun}/tuf/root.json")), catalog);
        assert_eq!(scope(Method::PATCH, "/v2/"), None);
        assert_eq!(scope(Method::OPTIONS, "/anything"), None);
    }
}
