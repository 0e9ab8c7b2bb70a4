//! Replays the broker's fuzz corpora (`fuzz/corpus/<target>/`, the inputs cargo fuzz found
//! interesting, and `fuzz/regressions/<target>/`, every input that once crashed) through the
//! same entry points the fuzz targets call, on stable Rust: a fixed crash stays fixed without
//! a fuzzing run. `cargo test -p rmq-mini-broker --features fuzzing --test fuzz_corpus`.

use rmq_mini_broker::fuzzing;
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            found.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    found.sort();
    found
}

fn replay(target: &str, run: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(
        !inputs.is_empty(),
        "fuzz/corpus/{target} is empty: the corpus is committed with the targets"
    );
    for path in inputs {
        let bytes = std::fs::read(&path).expect("read an input");
        eprintln!("{}", path.display());
        run(&bytes);
    }
}

#[test]
fn filter_corpus() {
    replay("filter", fuzzing::filter);
}

#[test]
fn handles_corpus() {
    replay("handles", fuzzing::handles);
}

#[test]
fn journal_corpus() {
    replay("journal", fuzzing::journal);
}

#[test]
fn request_corpus() {
    replay("request", fuzzing::request);
}

#[test]
fn remoting_frame_corpus() {
    replay("remoting_frame", fuzzing::remoting_frame);
}

/// Runs the protobuf seeds of the request and journal targets, and writes them into their
/// corpus when `RMQ_WRITE_FUZZ_SEEDS` is set (run once when the request or journal types
/// change).
#[test]
fn seeds_run_and_can_be_written() {
    for (target, run) in [
        ("request", fuzzing::request as fn(&[u8])),
        ("journal", fuzzing::journal),
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
