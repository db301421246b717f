//! Integration tests of notary-server over real sockets: the conformance checklists of
//! `shared/spec/server-api.md` §11 (`api_<n>_…`) and `server-behaviour.md` §14
//! (`behaviour_<n>_…`), durability (restart, SIGKILL mid-publish), and interop with the real Go
//! and Docker CLIs (feature `interop`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod api;
mod auth;
mod behaviour;
#[cfg(feature = "interop")]
mod interop;
#[cfg(feature = "postgres")]
mod postgres_tls;
#[cfg(all(feature = "postgres", feature = "interop"))]
mod scale_out;
#[cfg(feature = "postgres")]
mod shared_database;
mod support;
