//! The client library of notary-rs: what the `notary` CLI does to a local trust directory,
//! compatible byte for byte with the trust directories of Go Notary 0.7, so that the Go and the
//! Rust clients can share one.
//!
//! Implements `shared/spec/client.md`:
//! - [`trust_dir`] (§1): the layout, and the metadata cache (verified bytes, atomic writes).
//! - [`config`] (§2, §3): the client config file and trust pinning (certs, CA, TOFU).
//! - [`key_store`], [`passphrase`] (keys.md §5–§7): `private/*.key` files, import/export,
//!   Go's passphrase rules (environment variables, prompts, retries).
//! - [`changelist`] (§4.1, §4.2): staged changes, byte for byte as Go writes them.
//! - [`apply`] (§4.3): applying staged changes to an editable copy of the metadata (pure).
//! - [`remote`] (§5): HTTP to a notary server — limits, Go's error texts, TLS, token auth.
//! - [`update`] (metadata.md §12): cache + server → a verified collection, offline fallback.
//! - [`signing`] (metadata.md §11), [`repository`] (§4.4, §6): init, publish, key rotation,
//!   delete — what the `notary` CLI runs.
//! - [`hashing`]: streaming target hashes for `add` and `verify`.
//!
//! This crate does file and network I/O but does not print, prompt or choose exit codes (that is
//! `notary-cli`, which also supplies the terminal to [`passphrase`] and [`remote`]), and it does
//! not implement verification rules itself (that is the pure core, `notary-tuf`).
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! use notary_client::changelist::{Change, ChangeData, Changelist};
//! use notary_tuf::metadata::FileMeta;
//!
//! // `notary remove example.com/app t0`, then `notary add example.com/app v1 <file>`.
//! let removal = Change::target_delete("targets", "t0");
//! assert_eq!(
//!     removal.to_bytes(),
//!     br#"{"action":"delete","role":"targets","type":"target","path":"t0","data":null}"#
//! );
//! let addition = Change::target_create("targets", "v1", FileMeta::of_bytes(b"hello world\n"));
//!
//! let dir = std::env::temp_dir().join(format!("notary-client-doc-{}", std::process::id()));
//! let changelist = Changelist::open(dir.join("tuf/example.com/app/changelist"))?;
//! let now = UNIX_EPOCH + Duration::from_nanos(1_795_318_925_519_156_734);
//! let file = changelist.add(&removal, now)?;
//! assert!(file.file_name().unwrap().to_str().unwrap().starts_with("01795318925519156734_"));
//! changelist.add(&addition, now)?; // same instant: still staged after the removal
//!
//! let staged = changelist.list()?;
//! assert_eq!(staged[0].change, removal);
//! let ChangeData::Target(meta) = staged[1].change.data() else { panic!("a target") };
//! assert_eq!(meta.length, 12);
//!
//! changelist.clear()?;
//! assert!(changelist.list()?.is_empty());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod apply;
pub mod changelist;
pub mod config;
pub mod hashing;
pub mod key_store;
pub mod passphrase;
pub mod remote;
pub mod repository;
pub mod signing;
pub mod trust_dir;
pub mod update;
