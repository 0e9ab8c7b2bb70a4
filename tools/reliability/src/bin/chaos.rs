//! Client chaos: our producer (every message type), push consumers (concurrent, FIFO, lite)
//! and simple consumer against an in-process durable mini-broker that injects faults one
//! phase at a time — latency on every RPC, responses dropped after the work was done (the
//! client sees UNAVAILABLE), INTERNAL and throttling codes, the port going down and coming
//! back — and then against a two-broker mini-cluster with one broker down. After each phase
//! every client must resume by itself; the time from the fault's end (the port back) to its
//! first success is measured against the 2 s target. At the end the ledger is checked as in
//! the crash loop (nothing acknowledged lost, order, no corrupt record), and every error an
//! ack returned to the simple consumer's code is reported. Exits 1 on a violation, a stuck
//! client or a resume over the target.
//!
//!     cargo run -p rmq-reliability --bin chaos -- [--phase-seconds 4] [--outages 3]

use clap::Parser;
use rmq_client::ClientConfig;
use rmq_mini_broker::{FlushMode, MiniBroker, MiniCluster, Rpc};
use rmq_proto::Code;
use rmq_reliability::ledger::Ledger;
use rmq_reliability::report::{Resumes, print_resumes, print_verdict, quantiles};
use rmq_reliability::traffic::{self, GROUPS, Traffic};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
struct Args {
    /// How long each fault lasts.
    #[arg(long, default_value_t = 4)]
    phase_seconds: u64,
    /// How many times the port goes down and comes back.
    #[arg(long, default_value_t = 3)]
    outages: u32,
    /// The time to resume each client must meet, in ms.
    #[arg(long, default_value_t = 2000)]
    target_ms: u64,
}

/// One fault: what it does to a broker, applied for a phase, then cleared.
struct Fault {
    name: &'static str,
    apply: fn(&MiniBroker),
}

const FAULTS: [Fault; 4] = [
    Fault {
        name: "300 ms latency on every RPC",
        apply: |b| b.delay_all(Duration::from_millis(300)),
    },
    Fault {
        name: "responses dropped after the work (UNAVAILABLE)",
        apply: |b| {
            b.drop_responses(Rpc::SendMessage, 10);
            b.drop_responses(Rpc::AckMessage, 10);
            b.drop_responses(Rpc::ReceiveMessage, 5);
            b.drop_responses(Rpc::ChangeInvisibleDuration, 5);
            b.drop_responses(Rpc::EndTransaction, 3);
            b.drop_responses(Rpc::Heartbeat, 3);
        },
    },
    Fault {
        name: "INTERNAL_SERVER_ERROR codes",
        apply: |b| {
            b.fail_rpc(Rpc::SendMessage, Code::InternalServerError, Some(10));
            b.fail_rpc(Rpc::ReceiveMessage, Code::InternalServerError, Some(10));
            b.fail_rpc(Rpc::AckMessage, Code::InternalServerError, Some(10));
            b.fail_rpc(Rpc::QueryRoute, Code::InternalServerError, Some(3));
        },
    },
    Fault {
        name: "TOO_MANY_REQUESTS (throttled)",
        apply: |b| {
            b.fail_rpc(Rpc::SendMessage, Code::TooManyRequests, Some(20));
            b.fail_rpc(Rpc::ReceiveMessage, Code::TooManyRequests, Some(20));
        },
    },
];

#[tokio::main]
async fn main() {
    let args = Args::parse();
    rmq_reliability::log_from_env();
    rmq_reliability::exit("chaos", run(args).await);
}

/// Per phase: its name, sends acknowledged and failed during it, and the clients' resumes.
struct PhaseResult {
    name: String,
    sent: u64,
    failed: u64,
    resumes: Resumes,
}

async fn run(args: Args) -> Result<bool, String> {
    let phase = Duration::from_secs(args.phase_seconds);
    let resume_timeout = Duration::from_secs(60);
    let dir = std::env::temp_dir().join(format!("rmq-chaos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut stuck = Vec::new();
    let mut phases = Vec::new();

    // One broker: every fault, then the outages.
    let broker = traffic::declare(MiniBroker::builder())
        .data_dir(dir.join("single"))
        .flush(FlushMode::Sync)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "chaos: one broker at {} (durable, sync flush)",
        broker.endpoint()
    );
    let ledger = Arc::new(Ledger::new(&GROUPS));
    let traffic = Traffic::start(&config(&broker.endpoint())?, &ledger).await?;
    tokio::time::sleep(phase).await;
    for fault in &FAULTS {
        let before = ledger.sends("rs");
        (fault.apply)(&broker);
        tokio::time::sleep(phase).await;
        broker.clear_faults();
        let cleared = Instant::now();
        let mut resumes = Resumes::default();
        for who in resumes
            .wait(&ledger, &["rs"], cleared, resume_timeout)
            .await
        {
            stuck.push(format!("{who} did not resume after {}", fault.name));
        }
        phases.push(result(fault.name.to_owned(), &ledger, before, resumes));
    }
    for outage in 1..=args.outages {
        let before = ledger.sends("rs");
        broker.take_down().await;
        tokio::time::sleep(Duration::from_millis(500 * u64::from(outage))).await;
        broker.bring_up().await.map_err(|e| e.to_string())?;
        let back = Instant::now();
        let mut resumes = Resumes::default();
        for who in resumes.wait(&ledger, &["rs"], back, resume_timeout).await {
            stuck.push(format!("{who} did not resume after outage #{outage}"));
        }
        let name = format!("port down {} ms", 500 * outage);
        phases.push(result(name, &ledger, before, resumes));
    }
    traffic
        .drain_and_stop(&ledger, Duration::from_secs(120))
        .await;
    broker.shutdown().await;
    let single = ledger.report();

    // Two brokers: one goes down under traffic, the other keeps serving.
    let cluster = MiniCluster::start(
        traffic::declare(MiniBroker::builder())
            .data_dir(dir.join("cluster"))
            .flush(FlushMode::Sync),
        2,
    )
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "chaos: a two-broker mini-cluster at {}",
        cluster.endpoints()
    );
    let cluster_ledger = Arc::new(Ledger::new(&GROUPS));
    let traffic = Traffic::start(&config(&cluster.endpoints())?, &cluster_ledger).await?;
    tokio::time::sleep(phase).await;
    let before = cluster_ledger.sends("rs");
    cluster.broker_down(0).await;
    let down = Instant::now();
    let mut while_down = Resumes::default();
    // Sends must go on through the other broker while one is down.
    let waiting = while_down
        .wait(&cluster_ledger, &["rs"], down, resume_timeout)
        .await;
    stuck.extend(
        waiting
            .iter()
            .filter(|w| w.starts_with("producer"))
            .map(|w| format!("{w} stopped while broker-0 was down")),
    );
    tokio::time::sleep(phase.saturating_sub(down.elapsed())).await;
    let during = cluster_ledger.sends("rs");
    cluster.broker_up(0).await.map_err(|e| e.to_string())?;
    let back = Instant::now();
    let mut resumes = Resumes::default();
    for who in resumes
        .wait(&cluster_ledger, &["rs"], back, resume_timeout)
        .await
    {
        stuck.push(format!("{who} did not resume after broker-0 came back"));
    }
    phases.push(PhaseResult {
        name: "mini-cluster: broker-0 down".into(),
        sent: during.0 - before.0,
        failed: during.1 - before.1,
        resumes,
    });
    traffic
        .drain_and_stop(&cluster_ledger, Duration::from_secs(120))
        .await;
    cluster.shutdown().await;
    let clustered = cluster_ledger.report();

    println!("\nphase, sends acknowledged/failed during it, then each client's time to resume");
    let target = Duration::from_millis(args.target_ms);
    let mut slow = Vec::new();
    for p in &phases {
        println!("- {}: {} sent, {} failed", p.name, p.sent, p.failed);
        print_resumes(&p.resumes);
        for (who, times) in &p.resumes.0 {
            if times.iter().any(|t| *t > target) {
                slow.push(format!(
                    "{who} took {} to resume after {} (target {} ms)",
                    quantiles(times),
                    p.name,
                    args.target_ms
                ));
            }
        }
    }
    println!("\none broker:");
    print_verdict(&single);
    println!("\nmini-cluster:");
    print_verdict(&clustered);
    let mut failures = stuck;
    failures.extend(slow);
    // A dropped ack response is retried by the client; what the retry finds (the message
    // already acked) must not come back to the user as an error.
    let invalid_handle = (Code::InvalidReceiptHandle as i32).to_string();
    for report in [&single, &clustered] {
        for ((group, error), n) in &report.ack_errors {
            if error.ends_with(&invalid_handle) {
                failures.push(format!(
                    "{group}: {n} acks surfaced {error} (a duplicate ack)"
                ));
            }
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    let passed = single.passed() && clustered.passed() && failures.is_empty();
    let _ = std::fs::remove_dir_all(&dir);
    println!("chaos {}", if passed { "PASSED" } else { "FAILED" });
    Ok(passed)
}

fn config(endpoints: &str) -> Result<ClientConfig, String> {
    ClientConfig::builder()
        .endpoints(endpoints)
        .build()
        .map_err(|e| e.to_string())
}

fn result(name: String, ledger: &Ledger, before: (u64, u64), resumes: Resumes) -> PhaseResult {
    let after = ledger.sends("rs");
    PhaseResult {
        name,
        sent: after.0 - before.0,
        failed: after.1 - before.1,
        resumes,
    }
}
