//! Writes the compiled FileDescriptorSet of rmq's `.proto` files to the path given as the only
//! argument, for the wire-conformance check in `proto/conformance`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: dump_descriptor_set <output-file>");
        return ExitCode::from(2);
    };
    match std::fs::write(&path, rmq_proto::FILE_DESCRIPTOR_SET) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cannot write {}: {err}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
