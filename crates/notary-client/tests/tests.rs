//! Integration tests of the client library: the changelist against Go-made vectors and in a
//! scratch directory, and (feature `interop`) against the real Go `notary` CLI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod apply;
mod changelist;
mod config;
#[cfg(feature = "interop")]
mod go_cli;
mod key_store;
mod remote;
mod update;
