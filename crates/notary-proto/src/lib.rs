//! The gRPC contract between notary-server (client) and notary-signer (server), wire-compatible
//! with Go Notary 0.7's `notary-signer`.
//!
//! The Rust code is generated at build time by `build.rs` from the files in `proto/`, without
//! `protoc`: [protox](https://docs.rs/protox) compiles them to a `FileDescriptorSet` and
//! [tonic-prost-build](https://docs.rs/tonic-prost-build) emits prost messages plus tonic client
//! and server code.
//!
//! - [`signer`] — `proto/signer.proto`, protobuf package `proto` (spec: `signer.md` §3):
//!   - `/proto.KeyManagement/CreateKey` — [`signer::CreateKeyRequest`] → [`signer::PublicKey`]
//!   - `/proto.KeyManagement/DeleteKey` — [`signer::KeyId`] → [`signer::Void`]
//!   - `/proto.KeyManagement/GetKeyInfo` — [`signer::KeyId`] → [`signer::GetKeyInfoResponse`]
//!   - `/proto.Signer/Sign` — [`signer::SignatureRequest`] → [`signer::Signature`]
//!
//!   Servers implement [`signer::key_management_server::KeyManagement`] and
//!   [`signer::signer_server::Signer`] and wrap them in
//!   [`signer::key_management_server::KeyManagementServer`] and
//!   [`signer::signer_server::SignerServer`]; clients use
//!   [`signer::key_management_client::KeyManagementClient`] and
//!   [`signer::signer_client::SignerClient`].
//! - [`health`] — `proto/health.proto`, the standard `grpc.health.v1` protocol (spec: `signer.md`
//!   §5): `/grpc.health.v1.Health/Check` and the server-streaming `/grpc.health.v1.Health/Watch`.
//!   [`health::health_server::Health`] has default methods answering `UNIMPLEMENTED`: a server
//!   overrides `check` (and `watch` if it wants to). Clients use
//!   [`health::health_client::HealthClient`].
//!
//! The protobuf package, service and method names form the HTTP/2 paths and must not change;
//! prost renames identifiers to Rust style (message `KeyID` is [`signer::KeyId`], field `keyID` is
//! `key_id`, `ID` is `id`), which does not affect the wire.

/// Messages and services of `proto/signer.proto` (protobuf package `proto`).
#[allow(missing_docs)] // generated: items carry only the comments of the .proto file
pub mod signer {
    tonic::include_proto!("proto");
}

/// The standard gRPC health checking protocol (protobuf package `grpc.health.v1`).
#[allow(missing_docs)] // generated: items carry only the comments of the .proto file
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
