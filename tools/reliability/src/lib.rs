//! The reliability campaign's programs and what they share (see `RELIABILITY.md` at the
//! repository root): the crash loop (`src/bin/crash-loop.rs`) kills a sync-flush mini-broker
//! at random moments under traffic from our clients and the official Go client; chaos
//! (`src/bin/chaos.rs`) injects faults into an in-process broker and mini-cluster; both check
//! the promises on the [`ledger::Ledger`] of every send and delivery. Soak
//! (`src/bin/soak.rs`) watches [`footprint::Footprint`]s for leaks.

pub mod body;
pub mod broker;
pub mod footprint;
pub mod ledger;
pub mod official;
pub mod report;
pub mod traffic;

/// Ends a campaign program: exit 0 when its checks passed, 1 when one failed, 2 when it could
/// not run.
pub fn exit(program: &str, outcome: Result<bool, String>) -> ! {
    match outcome {
        Ok(true) => std::process::exit(0),
        Ok(false) => std::process::exit(1),
        Err(why) => {
            eprintln!("{program}: {why}");
            std::process::exit(2)
        }
    }
}

/// Client and broker logs on stderr when `RUST_LOG` asks for them (e.g. `rmq_client=debug`).
pub fn log_from_env() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
}
