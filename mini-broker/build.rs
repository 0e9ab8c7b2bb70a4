//! Compiles the journal's record schema (`proto/journal.proto`) with protox, as `rmq-proto`
//! compiles the protocol: no system `protoc`, no hand-written field numbers.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/journal.proto");
    let descriptors = protox::compile(["journal.proto"], ["proto", "../proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .extern_path(".apache.rocketmq.v2", "::rmq_proto::v2")
        .bytes(".rmq.journal.v1.Message.body")
        .btree_map(".rmq.journal.v1.Message.user_properties")
        .boxed(".rmq.journal.v1.Place.message")
        .compile_fds(descriptors)?;
    Ok(())
}
