//! Tests of notary-token-issuer: the pure core (scopes, grants, users, tokens, requests), the
//! HTTP endpoint as a real process, `init`, and interop with the real Docker registry
//! (distribution 2.8) and skopeo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod grant;
mod http;
mod init;
mod notary;
mod registry;
mod request;
mod scope;
mod support;
mod token;
mod users;
