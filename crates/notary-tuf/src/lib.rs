//! The pure core of notary-rs: Notary 0.7's TUF metadata, keys, signatures and every
//! verification rule, as functions that both the client and the server call.
//!
//! Implements `shared/spec/metadata.md` (envelope, role bodies, update workflow §12),
//! `shared/spec/keys.md` §1–§4 (key objects, key IDs, signature methods, root certificates) and the
//! upload rules of `shared/spec/server-behaviour.md` §2–§3.
//!
//! **No I/O**: no files, network, async runtime or clock. Time is passed in as `now`; bytes come
//! in and typed results go out, so every rule can be unit-tested and fuzzed. Signing is sans-I/O
//! too: [`metadata::canonical_body`] gives the bytes to sign, a [`sign::PrivateKey`] (or a remote
//! signer) signs them, and [`metadata::envelope`] writes the file.
//!
//! Verified metadata is a type: [`metadata::Verified`] can only be made by this crate's
//! verification functions.
//!
//! Unknown members are kept at the level of the role bodies (`extra`), so parse → serialise →
//! parse keeps them. FileMeta and delegation roles keep exactly Go's members: Go drops anything
//! else when it re-serialises, and files that differ from Go's serialisation break Go servers
//! (metadata.md §10).
//!
//! ```
//! use notary_tuf::metadata::{Signed, Timestamp};
//! let file = br#"{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{},"version":1},"signatures":[]}"#;
//! let parsed = Signed::<Timestamp>::parse(file.to_vec()).unwrap();
//! assert_eq!(parsed.body().version, 1);
//! assert_eq!(parsed.canonical(), br#"{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{},"version":1}"#);
//! ```

pub mod cert;
pub mod error;
pub mod expires;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[allow(missing_docs, clippy::panic)]
pub mod fuzzing;
pub mod key;
pub mod metadata;
pub mod name;
pub mod sign;
pub mod update;
pub mod upload;
pub mod verify;

pub use error::Error;
pub use expires::Expires;
pub use key::{KeyId, KeyType, Method, PublicKey};
pub use name::{DelegationName, Gun, RoleName};
