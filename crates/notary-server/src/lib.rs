//! notary-server: Notary 0.7's HTTP API (`shared/spec/server-api.md`) with the behaviour of
//! `shared/spec/server-behaviour.md`, on an embedded SQLite store by default.
//!
//! Layout, outside in:
//! - [`http`]: the wire — path cleaning, the route table, the error envelope, cache headers,
//!   multipart parsing, TLS and graceful shutdown. No TUF rules live here.
//! - [`service`]: one operation per route (publish, current metadata with lazy re-signing, keys,
//!   delete, changefeed) over the pure rules of `notary_tuf::upload`, plus the cache of current
//!   metadata that keeps reads off the database.
//! - storage is the `notary-storage` crate (`MetadataStore`, `KeyStore`; SQLite by default).
//! - [`trust`]: the signing service for server-made snapshot and timestamp metadata; the local one
//!   keeps its keys encrypted at rest in the database.
//! - [`config`]: Go notary-server's JSON configuration file, validated with Go's messages.
//! - [`metrics`]: the Prometheus text exposition of `/metrics`.

pub mod cache;
#[cfg(feature = "postgres")]
pub mod coherence;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod server;
pub mod service;
pub mod tls;
pub mod trust;

/// Go-shaped JSON log lines (shared with notary-signer).
pub use notary_service_kit::logging;
