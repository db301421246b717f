//! Registry bearer-token authentication for notary-server: the docker/distribution token
//! protocol that Go notary-server 0.7 uses with `auth.type: token`
//! (`shared/spec/server-behaviour.md` §9, `shared/spec/server-api.md` §3 and §8).
//!
//! - [`Token`]: the JWT (header with `x5c`/`jwk`/`kid`, registry claims with `access`);
//! - [`TokenVerifier`]: issuer, audience, `exp`/`nbf` with 60 s leeway, the signing key traced to
//!   the `rootcertbundle` roots (x5c chains for any extended key usage, libtrust key IDs), then
//!   the ES256/384/512 or RS256/384/512 signature — in Go's order;
//! - [`RequiredAccess`]: what a route needs (`pull`; `push,pull`; `*`; `registry:catalog:*`), its
//!   challenge `scope` and 401 `detail`;
//! - [`challenge`]: the `Www-Authenticate` value Go clients parse.
//!
//! It does no I/O and reads no clock: the caller passes the header bytes, the bundle bytes and
//! `now`. It holds no secrets (all checks are public-key), and its errors never echo a token.
//!
//! ```
//! use notary_auth::{Refusal, RequiredAccess, TokenVerifier, TrustedRoots, challenge};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let pem = rcgen::generate_simple_self_signed(vec!["auth".to_owned()])?.cert.pem();
//! let roots = TrustedRoots::from_pem(pem.as_bytes())?;
//! let verifier = TokenVerifier::new("auth.example.com", "notary", roots);
//! let required = RequiredAccess::pull("example.com/app");
//! let now = time::OffsetDateTime::now_utc();
//! let refusal = verifier.authorize(Some(b"Basic dXNlcjpwYXNz"), &required, now).unwrap_err();
//! assert_eq!(refusal, Refusal::TokenRequired);
//! assert_eq!(
//!     challenge("https://auth.example.com/token", verifier.service(), &required, &refusal),
//!     r#"Bearer realm="https://auth.example.com/token",service="notary",scope="repository:example.com/app:pull""#
//! );
//! # Ok(())
//! # }
//! ```

mod access;
mod challenge;
mod key;
mod token;
mod verify;

pub use access::{AccessDetail, Action, Grants, RequiredAccess, ResourceActions};
pub use challenge::{Authorized, Refusal, challenge};
pub use key::{KeyError, libtrust_key_id};
pub use token::{Claims, Header, MAX_TOKEN_BYTES, MalformedToken, Token, base64url, encode};
pub use verify::{InvalidToken, LEEWAY, MAX_X5C_CERTIFICATES, RootsError, TokenVerifier, TrustedRoots};
