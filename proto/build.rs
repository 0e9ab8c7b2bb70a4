//! Compiles the `.proto` files with protox, a protobuf compiler written in Rust, so no machine
//! needs a system `protoc`. The descriptor set is also kept in OUT_DIR: the crate exports it for
//! the wire-conformance check and for gRPC reflection.

use prost::Message as _;
use std::path::PathBuf;

const PROTOS: [&str; 3] = [
    "apache/rocketmq/v2/definition.proto",
    "apache/rocketmq/v2/service.proto",
    "apache/rocketmq/v2/admin.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("rocketmq_v2_descriptor_set.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        // Message bodies as `bytes::Bytes`: decoded without a copy, and shared (not copied)
        // by every send attempt, listener call and store entry.
        .bytes(".apache.rocketmq.v2.Message.body")
        .compile_fds(descriptors.clone())?;
    // The servers in a second pass of their own, over the messages of the first, because they
    // take another codec than the clients (src/server_codec.rs says why).
    let servers = out_dir.join("servers");
    std::fs::create_dir_all(&servers)?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .codec_path("crate::server_codec::ServerCodec")
        .extern_path(".apache.rocketmq.v2", "crate::v2")
        .out_dir(&servers)
        .compile_fds(descriptors)?;
    Ok(())
}
