//! Tests of the `notary` binary: Go's interop scenario with our CLI against Go's server and ours
//! (feature `interop`), interchange with the Go CLI in one trust directory, and our own checks of
//! error classes, offline use and cache tampering.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod errors;
mod features;
mod support;

#[cfg(feature = "interop")]
mod auth;
#[cfg(feature = "interop")]
mod interchange;
#[cfg(feature = "interop")]
mod interop;
