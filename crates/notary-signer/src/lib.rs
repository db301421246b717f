//! notary-signer: the service that holds the private keys of server-managed TUF roles (timestamp,
//! and snapshot when the server manages it) and signs for `notary-server` over gRPC, a drop-in
//! replacement for Go Notary 0.7's `notary-signer` (`shared/spec/signer.md`).
//!
//! Modules:
//! - [`keys`]: private keys at rest (§6.3–§6.4) — key generation, the JWE
//!   (`PBES2-HS256+A128KW` / `A256GCM`) each key is sealed into, byte-compatible with the rows Go's
//!   signer reads and writes, and passphrases looked up by alias (`NOTARY_SIGNER_<ALIAS>`);
//! - [`config`]: Go's JSON configuration file (§8), with Go's checks, order and messages;
//! - [`service`]: the gRPC services (§3–§5) over a `notary_storage::KeyStore`;
//! - [`server`]: mutual TLS and the listener, assembled from a config;
//! - [`reseal`]: re-sealing every key under a new passphrase alias;
//! - [`logging`]: Go-shaped JSON log lines.
//!
//! What this library deliberately does not do: TUF metadata (the signer only signs opaque bytes;
//! key IDs and signatures come from `notary_tuf`), and storage (rows live in a
//! `notary_storage::KeyStore`, which only ever sees sealed keys).
//!
//! ```
//! use notary_signer::keys::{self, KeyAlgorithm};
//!
//! let key = keys::generate(KeyAlgorithm::Ed25519)?;
//! let jwe = keys::seal(&key, "passphrase for alias1")?;
//! assert_eq!(jwe.split('.').count(), 5);
//!
//! let public = key.public_bytes();
//! let opened = keys::open(&jwe, KeyAlgorithm::Ed25519, "passphrase for alias1", Some(&public))?;
//! assert_eq!(opened.key_id(), key.key_id());
//! assert!(keys::open(&jwe, KeyAlgorithm::Ed25519, "wrong", None).is_err());
//! # Ok::<(), keys::KeyError>(())
//! ```

pub mod config;
pub mod keys;
pub mod reseal;
pub mod server;
pub mod service;

/// Go-shaped JSON log lines (shared with notary-server).
pub use notary_service_kit::logging;
