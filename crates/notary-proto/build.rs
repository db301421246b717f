//! Generates the gRPC code from `proto/` at build time, without `protoc`: protox parses the
//! `.proto` files into a `FileDescriptorSet` and tonic-prost-build turns it into Rust
//! (`$OUT_DIR/proto.rs`, `$OUT_DIR/grpc.health.v1.rs`), with both client and server code.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");

    // The notary contract: no default method bodies, so a server that misses an RPC fails to compile.
    let signer = protox::compile(["proto/signer.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(signer)?;

    // Health: default bodies answering UNIMPLEMENTED, so servers need only implement `check`
    // (notary-server never calls `Watch`).
    let health = protox::compile(["proto/health.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_fds(health)?;

    Ok(())
}
