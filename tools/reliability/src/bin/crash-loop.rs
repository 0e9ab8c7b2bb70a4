//! The crash loop: a sync-flush mini-broker process SIGKILLed at random moments while our
//! producer sends every message type, the official Go client sends normal and FIFO messages,
//! and push (concurrent, FIFO, lite) and simple consumers consume. Nobody restarts a client:
//! after each restart the tool waits for every producer and consumer to resume on its own, and
//! times it. At the end it drains and checks the ledger: no acknowledged message lost, order
//! per FIFO group and lite topic among delivered messages, no corrupt, rolled-back or early
//! record served; redelivery duplicates are counted. Exits 1 on any violation.
//!
//!     cargo run -p rmq-reliability --bin crash-loop -- --cycles 100 \
//!         [--official-go interop/official/go/check] [--seed N]

use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rmq_client::ClientConfig;
use rmq_reliability::broker::{BrokerProcess, default_binary};
use rmq_reliability::ledger::Ledger;
use rmq_reliability::official::OfficialProducer;
use rmq_reliability::report::{Resumes, print_resumes, print_verdict, quantiles};
use rmq_reliability::traffic::{self, GROUPS, Traffic};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
struct Args {
    /// How many times the broker is killed and restarted.
    #[arg(long, default_value_t = 10)]
    cycles: u32,
    /// Seed of the kill moments (printed, so a failing run can be repeated); random if unset.
    #[arg(long)]
    seed: Option<u64>,
    /// The rmq-mini-broker binary (default: the one beside this program).
    #[arg(long)]
    broker: Option<PathBuf>,
    /// The official Go client program (interop/official/go, built with `go build -o check`);
    /// without it only our clients send.
    #[arg(long)]
    official_go: Option<PathBuf>,
    /// Longest time the broker serves between kills, in ms (the shortest is a tenth of it).
    #[arg(long, default_value_t = 2500)]
    max_up_ms: u64,
    /// Longest time the broker stays down, in ms.
    #[arg(long, default_value_t = 500)]
    max_down_ms: u64,
    /// How long every client has to resume after a restart, in seconds.
    #[arg(long, default_value_t = 60)]
    resume_timeout: u64,
    /// How long the consumers have, once sends stop, to receive everything acknowledged.
    #[arg(long, default_value_t = 120)]
    drain_timeout: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    rmq_reliability::log_from_env();
    rmq_reliability::exit("crash loop", run(args).await);
}

async fn run(args: Args) -> Result<bool, String> {
    let seed = args.seed.unwrap_or_else(rand::random);
    let mut rng = StdRng::seed_from_u64(seed);
    let data_dir = std::env::temp_dir().join(format!("rmq-crash-loop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let binary = args.broker.clone().unwrap_or_else(default_binary);
    let mut broker = BrokerProcess::start(&binary, &data_dir, &traffic::broker_args()).await?;
    let endpoint = broker.endpoint().to_owned();
    println!(
        "crash loop: {} cycles, seed {seed}, broker {endpoint} (sync flush, data in {})",
        args.cycles,
        data_dir.display()
    );

    let ledger = Arc::new(Ledger::new(&GROUPS));
    let config = ClientConfig::builder()
        .endpoints(endpoint.as_str())
        .build()
        .map_err(|e| e.to_string())?;
    let mut traffic = Traffic::start(&config, &ledger).await?;
    let official = match &args.official_go {
        Some(go) => Some(OfficialProducer::start(
            go,
            &endpoint,
            traffic::NORMAL,
            traffic::FIFO,
            ledger.clone(),
        )?),
        None => None,
    };
    let mut sources = vec!["rs"];
    if official.is_some() {
        sources.push("go");
    }

    let started = Instant::now();
    let mut restarts = Vec::new();
    let mut resumes = Resumes::default();
    let mut stuck = Vec::new();
    for cycle in 1..=args.cycles {
        let up = rng.random_range(args.max_up_ms / 10..=args.max_up_ms);
        tokio::time::sleep(Duration::from_millis(up)).await;
        broker.kill().await;
        let down = rng.random_range(0..=args.max_down_ms);
        tokio::time::sleep(Duration::from_millis(down)).await;
        restarts.push(broker.restart().await?);
        let back = Instant::now();
        // Every producer and consumer group must resume by itself before the next kill.
        let timeout = Duration::from_secs(args.resume_timeout);
        for who in resumes.wait(&ledger, &sources, back, timeout).await {
            stuck.push(format!(
                "{who} did not resume within {} s after restart #{cycle}",
                args.resume_timeout
            ));
        }
        if cycle % 10 == 0 || cycle == args.cycles {
            println!(
                "  cycle {cycle}/{}: {} acknowledged sends so far, {:.0} s",
                args.cycles,
                ledger.acked(),
                started.elapsed().as_secs_f64()
            );
        }
    }

    // Stop sending, then let the consumers catch up with everything acknowledged.
    traffic.stop_sending().await;
    let mut errors = Vec::new();
    if let Some(official) = official
        && let Err(why) = official.stop().await
    {
        errors.push(why);
    }
    let drain = Duration::from_secs(args.drain_timeout);
    traffic.drain_and_stop(&ledger, drain).await;
    broker.kill().await;

    let report = ledger.report();
    println!(
        "\nran {:.0} s; {} restarts",
        started.elapsed().as_secs_f64(),
        restarts.len()
    );
    println!(
        "  broker restart (spawn to listening): {}",
        quantiles(&restarts)
    );
    print_resumes(&resumes);
    print_verdict(&report);
    errors.extend(stuck);
    for error in &errors {
        println!("FAIL {error}");
    }
    let passed = report.passed() && errors.is_empty();
    if passed {
        let _ = std::fs::remove_dir_all(&data_dir);
        println!("crash loop PASSED ({} cycles, seed {seed})", args.cycles);
    } else {
        println!(
            "crash loop FAILED (seed {seed}; the broker's data is kept in {})",
            data_dir.display()
        );
    }
    Ok(passed)
}
