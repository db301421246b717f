//! Integration tests of notary-keys: Go notary's key vectors, property tests and (with the
//! `interop` feature) round trips through the real Go `notary` binaries.

// clippy.toml allows these inside #[test] functions only; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod properties;
mod vectors;

#[cfg(feature = "interop")]
mod interop;

use std::path::PathBuf;

/// `tests/data/keys/<name>`.
fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

/// The bytes of a key vector.
fn vector(name: &str) -> Vec<u8> {
    let path = vector_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
