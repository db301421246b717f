//! A Docker registry token issuer, so one login serves a Docker registry and notary-server.
//!
//! It implements distribution's token protocol ("Token Authentication Specification", "Token
//! Authentication Implementation", "OAuth2 Token Authentication"): clients send `GET
//! /token?service=…&scope=repository:<name>:pull,push` (optionally with Basic credentials) or
//! an OAuth2 password-grant `POST /token`, and get a short-lived JWT that registries and
//! notary-server verify against the root certificate they trust (`rootcertbundle`;
//! server-behaviour.md §9.2 lists what the verifier checks).
//!
//! - [`scope`], [`grant`], [`token`], [`request`], [`issuer`]: the pure core — scope parsing,
//!   grant evaluation on name-prefix boundaries, claims and signing, request parsing. No I/O,
//!   no clock.
//! - [`users`]: htpasswd/bcrypt users (CPU-heavy checks; the HTTP layer runs them off the
//!   executor).
//! - [`config`], [`server`], [`http`]: the JSON configuration, files, sockets, TLS.
//! - [`init`]: writes a CA, signing key and certificate, TLS certificate, users and
//!   configuration for a first setup.
//!
//! What it deliberately does not do: refresh tokens (clients log in again with the password),
//! rate limiting of failed logins, or any storage.
//!
//! ```
//! use notary_token_issuer::grant::{self, Grant, NamePrefix, Principal, Subjects};
//! use notary_token_issuer::scope::Scope;
//!
//! let grants = vec![Grant {
//!     subjects: Subjects::Users(vec!["alice".into()]),
//!     resource_type: "repository".into(),
//!     prefix: NamePrefix::parse("team/").unwrap(),
//!     actions: vec!["pull".into(), "push".into()],
//! }];
//! let scopes = Scope::parse_list("repository:team/app:pull,push,* repository:teamx/app:pull").unwrap();
//! let access = grant::evaluate(&grants, Principal::User("alice"), &scopes);
//! assert_eq!(access.len(), 1);
//! assert_eq!(access[0].actions, ["pull", "push"]);
//! ```

pub mod config;
pub mod grant;
pub mod http;
pub mod init;
pub mod issuer;
pub mod request;
pub mod scope;
pub mod server;
pub mod token;
pub mod users;

pub use issuer::Issuer;
