//! Integration tests of notary-signer (one test binary): the conformance checklist of
//! `shared/spec/signer.md` §11 against our binary (`checklist`); the crossings with Go's notary-server and
//! notary-signer need the real Go binaries (feature `interop`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

#[cfg(feature = "postgres")]
mod bootstrap;
mod checklist;
#[cfg(feature = "interop")]
mod crossings;
mod support;
