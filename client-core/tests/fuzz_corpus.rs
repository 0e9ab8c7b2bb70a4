//! Replays the client's fuzz corpora (`fuzz/corpus/<target>/`, the inputs cargo fuzz found
//! interesting, and `fuzz/regressions/<target>/`, every input that once crashed) through the
//! same entry points the fuzz targets call, on stable Rust.
//! `cargo test -p rmq-client --features fuzzing --test fuzz_corpus`.

use rmq_client::fuzzing;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            inputs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "fuzz/corpus/{target} is empty: the corpus is committed with the targets"
    );
    for path in inputs {
        eprintln!("{}", path.display());
        run(&std::fs::read(&path).expect("read an input"));
    }
}

#[test]
fn body_corpus() {
    replay("client_body", fuzzing::body);
}

#[test]
fn message_corpus() {
    replay("client_message", fuzzing::message);
}

#[test]
fn telemetry_corpus() {
    replay("client_telemetry", fuzzing::telemetry);
}

#[test]
fn receive_response_corpus() {
    replay("client_receive", fuzzing::receive_response);
}

/// Runs the protobuf seeds, and writes them into their corpus when `RMQ_WRITE_FUZZ_SEEDS` is
/// set (run once when the protocol types change).
#[test]
fn seeds_run_and_can_be_written() {
    for (target, run) in [
        ("client_message", fuzzing::message as fn(&[u8])),
        ("client_telemetry", fuzzing::telemetry),
        ("client_receive", fuzzing::receive_response),
    ] {
        let seeds = fuzzing::seeds(target);
        assert!(!seeds.is_empty());
        for seed in &seeds {
            run(seed);
        }
        if std::env::var_os("RMQ_WRITE_FUZZ_SEEDS").is_some() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fuzz/corpus")
                .join(target);
            std::fs::create_dir_all(&dir).expect("corpus dir");
            for (i, seed) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i:02}")), seed).expect("write a seed");
            }
        }
    }
}
