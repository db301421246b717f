//! The client library of notary-rs: what the `notary` CLI does to a local trust directory,
//! compatible byte for byte with the trust directories of Go Notary 0.7, so that the Go and the
//! Rust clients can share one.
//!
//! Implements `shared/spec/client.md`. For now it holds one module:
//! - [`changelist`] (§1, §4.1, §4.2): the staged, unpublished changes in
//!   `<trust_dir>/tuf/<gun>/changelist/`, their exact file bytes, and adding, listing, removing
//!   and clearing them.
//!
//! This crate does file I/O but reads no clock, environment or configuration: times come in as
//! parameters, paths are given by the caller. It does not print, prompt or choose exit codes
//! (that is `notary-cli`), and it does not verify or sign metadata itself (that is the pure core,
//! `notary-tuf`). Applying a changelist to metadata (§4.3), publishing (§4.4) and the HTTP client
//! (§5) are not written yet.
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

pub mod changelist;
