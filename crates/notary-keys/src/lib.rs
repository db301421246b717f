//! Go Notary 0.7's private key files, key generation and root certificate generation,
//! wire-compatible with the Go `notary` CLI and key store.
//!
//! Implements `shared/spec/keys.md`:
//! - §5.2–§5.4 and §7: [`KeyFile`] reads and writes key PEM blocks — `ENCRYPTED PRIVATE KEY`
//!   with `role`/`gun`/`path` headers ([`KeyHeaders`]), PBES2 with PBKDF2-HMAC-SHA1 (8-byte salt,
//!   2048 iterations, no PRF field) and AES-256-CBC, byte for byte as Go writes them; also
//!   unencrypted `PRIVATE KEY` and the legacy `EC`/`RSA`/`ED25519 PRIVATE KEY` blocks.
//! - §5.3: [`pkcs8`] — Notary's non-standard inner encodings (ECDSA PKCS#8 version 1 with a full
//!   SEC1 key, RSA without the NULL parameter, Ed25519 under OID 1.3.6.1.4.1.11591.15.1 as 96
//!   bytes).
//! - §5.5: [`generate()`] — ECDSA P-256 and Ed25519 keys with their Go-format encoding.
//! - §4.1: [`root_certificate`] — the self-signed root certificate of `notary init`, returned as
//!   the `ecdsa-x509` key that goes into `root.json`.
//!
//! Key IDs (§2), signing and verification live in `notary_tuf`; this crate turns files into
//! [`notary_tuf::sign::PrivateKey`]s and back.
//!
//! **No I/O**: bytes in, bytes out. Nothing here reads files, environment variables (passphrases
//! are parameters) or the clock (`now` is a parameter). The only outside input is the system RNG,
//! for keys, salts, IVs and serial numbers.
//!
//! Errors and `Debug` output never contain key material or passphrases.
//!
//! ```
//! use notary_keys::{KeyAlgorithm, KeyFile, KeyFileError, KeyHeaders, generate};
//!
//! let key = generate(KeyAlgorithm::Ecdsa)?.into_parts().0;
//! let file = KeyFile::encrypt(&key, "rootpassphrase1", KeyHeaders::for_role("root", None)?)?;
//! let pem = file.to_pem();
//! assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: root\n\n"));
//!
//! // Go stores this text as private/<canonical key ID>.key.
//! let file_name = format!("{}.key", key.public_key().key_id());
//! assert_eq!(file_name.len(), 68);
//!
//! let read = KeyFile::parse(pem.as_bytes())?;
//! assert_eq!(read.headers().role(), Some("root"));
//! assert_eq!(read.decrypt("rootpassphrase1")?.public_key(), key.public_key());
//! assert_eq!(read.decrypt("wrong").unwrap_err(), KeyFileError::WrongPassphrase);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod generate;
pub mod key_file;
mod pbes2;
pub mod pkcs8;
pub mod root_cert;

pub use error::{KeyError, KeyFileError, RootCertError};
pub use generate::{GeneratedKey, KeyAlgorithm, generate};
pub use key_file::{KeyFile, KeyFileKind, KeyHeaders, MAX_KEY_FILE_LEN};
pub use root_cert::{ROOT_CERT_VALIDITY, root_certificate};
