//! The `apache.rocketmq.v2` wire protocol for rmq: message types, gRPC client and server stubs,
//! and the protocol constants that both the client and the mini-broker need.
//!
//! The `.proto` sources under `apache/rocketmq/v2/` are rmq's own transcription; names and
//! numbers are identical to upstream so official RocketMQ 5 clients and servers interoperate.
//! Nothing here has behaviour: the broker depends on this crate, never on the client.

#![deny(missing_docs)]

pub mod headers;
pub mod limits;
pub mod names;
pub mod properties;
pub mod rpc;

/// Generated message types and gRPC stubs of package `apache.rocketmq.v2`.
///
/// Service stubs live in `messaging_service_client` / `messaging_service_server` and
/// `admin_client` / `admin_server`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v2 {
    tonic::include_proto!("apache.rocketmq.v2");
    include!(concat!(env!("OUT_DIR"), "/servers/apache.rocketmq.v2.rs"));
}

mod server_codec;

pub use rpc::{Rpc, UnknownRpc};
pub use v2::Code;

/// The encoded `google.protobuf.FileDescriptorSet` of our `.proto` files (with the well-known
/// types they import), as compiled into this crate. Used by the wire-conformance check and
/// usable for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/rocketmq_v2_descriptor_set.bin"));

/// Fully qualified name of the messaging service; gRPC paths are `/<this>/<Rpc>`.
pub const MESSAGING_SERVICE: &str = "apache.rocketmq.v2.MessagingService";
