//! Integration tests of the core: Go-made vectors, every verification rule (accepting and
//! rejecting), the client update workflow and the server's upload rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use notary_testkit::tuf as fixture;
mod ca_pinning;
#[cfg(feature = "interop")]
mod go_server;
mod go_vectors;
mod rules;
mod update_workflow;
mod upload_rules;
