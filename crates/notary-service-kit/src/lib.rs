//! What `notary-server` and `notary-signer` share outside TUF: the plumbing that makes each of them
//! a drop-in for its Go counterpart at start-up and in its logs.
//!
//! - [`config_doc`]: Go-style JSON configuration documents, read the way viper reads them — a size
//!   limit, case-insensitive keys, environment overrides under a service's prefix
//!   (`NOTARY_SERVER_`, `NOTARY_SIGNER_`), paths relative to the configuration file, and Go's
//!   messages for the checks both services make (log level, bugsnag, SQL storage source).
//! - [`logging`]: log lines in Go's shape, one flat JSON object per line.
//! - [`process`]: the `fatal` start-up line and exit code, Go-style command-line flags, and the
//!   shutdown signals.
//!
//! What this crate deliberately does not do: decide what a configuration means. Each service keeps
//! its own configuration type, its own keys, its own checks and their order, and its own error
//! type (which takes [`config_doc::DocError`] in); nothing here knows about TUF, keys, storage,
//! TLS or gRPC/HTTP. It installs no log subscriber and starts no runtime: the services do.

pub mod config_doc;
pub mod logging;
pub mod process;
