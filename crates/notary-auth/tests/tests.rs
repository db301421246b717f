//! Integration tests of notary-auth: tokens minted with real keys and rcgen certificates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod verify;
