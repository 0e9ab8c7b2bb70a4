//! Soak: leaks show as growth over time. Two parts, both against a durable sync-flush
//! mini-broker process:
//!
//! 1. Lifecycle: `--cycles` times, a producer, a push consumer, a simple consumer and a lite
//!    push consumer are created, started, used once and shut down; this process's threads,
//!    descriptors and tokio tasks must be back where they were after the warm-up cycles, and
//!    its resident memory within `--max-rss-growth` percent.
//! 2. Load: sends at half the throughput measured first, consumed by a push and a simple
//!    consumer group, for `--seconds`; this process and the broker are sampled every
//!    `--sample-every` seconds. From the end of the first quarter (warm-up) to the end, RSS
//!    may drift at most `--max-rss-growth` percent and threads, descriptors and tasks may
//!    not grow; every acknowledged send is consumed by both groups.
//!
//!     cargo run --release -p rmq-reliability --bin soak -- --seconds 1800 --cycles 1000

use clap::Parser;
use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, LitePushConsumer, Message, MessageView,
    Producer, PushConsumer, SimpleConsumer,
};
use rmq_reliability::broker::{BrokerProcess, default_binary};
use rmq_reliability::footprint::{Footprint, growth};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
struct Args {
    /// How long the load part runs.
    #[arg(long, default_value_t = 1800)]
    seconds: u64,
    /// Create/start/close cycles of every client.
    #[arg(long, default_value_t = 1000)]
    cycles: u32,
    /// Seconds between footprint samples.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Largest resident-memory growth allowed, in percent.
    #[arg(long, default_value_t = 5.0)]
    max_rss_growth: f64,
    /// The rmq-mini-broker binary (default: the one beside this program).
    #[arg(long)]
    broker: Option<PathBuf>,
}

const TOPIC: &str = "soak";
/// The lifecycle cycles' own topic: their groups stop consuming when the cycles end, and a
/// broker keeps what a group has not consumed, which would look like growth under load.
const CYCLE_TOPIC: &str = "soak-cycle";
const LITE: &str = "soak-lite";

#[tokio::main]
async fn main() {
    let args = Args::parse();
    rmq_reliability::log_from_env();
    rmq_reliability::exit("soak", run(args).await);
}

async fn run(args: Args) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("rmq-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let binary = args.broker.clone().unwrap_or_else(default_binary);
    let broker_args: Vec<String> = [
        "--topic",
        "soak:NORMAL:4",
        "--topic",
        "soak-cycle:NORMAL:1",
        "--topic",
        "soak-lite:LITE",
        "--group",
        "soak-lite:fifo:lite-topic=soak-lite",
        // Consumed messages leave memory soon, so the broker's footprint is its own.
        "--retention",
        "10s",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut broker = BrokerProcess::start(&binary, &dir, &broker_args).await?;
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .map_err(|e| e.to_string())?;
    println!("soak: broker {} (sync flush)", broker.endpoint());
    let mut failures = lifecycle(&config, args.cycles, args.max_rss_growth).await?;
    failures.extend(load(&config, &args, broker.pid()).await?);
    broker.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    for f in &failures {
        println!("FAIL {f}");
    }
    let passed = failures.is_empty();
    println!("soak {}", if passed { "PASSED" } else { "FAILED" });
    Ok(passed)
}

fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// This process's footprint and tokio task count once the clients' tasks have wound down.
async fn settled() -> Result<(Footprint, usize), String> {
    // Shut-down clients finish their last tasks (NotifyClientTermination, stream ends)
    // asynchronously: give them a moment, then take the lowest count seen.
    let mut least = usize::MAX;
    for _ in 0..20 {
        least = least.min(tasks());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let footprint = Footprint::of(None).ok_or("cannot read /proc/self")?;
    Ok((footprint, least))
}

async fn one_cycle(config: &ClientConfig, i: u32) -> Result<(), String> {
    let e = |what: &str, e: rmq_client::Error| format!("cycle {i}: {what}: {e}");
    let producer = Producer::builder(config.clone())
        .topics([CYCLE_TOPIC])
        .start()
        .await
        .map_err(|x| e("producer", x))?;
    let message = Message::builder(CYCLE_TOPIC, format!("cycle {i}"))
        .build()
        .map_err(|x| e("message", x))?;
    producer.send(&message).await.map_err(|x| e("send", x))?;
    let push = PushConsumer::builder(config.clone(), "soak-cycle-push")
        .subscribe(CYCLE_TOPIC, FilterExpression::all())
        .listener(|_: &MessageView| ConsumeResult::Success)
        .start()
        .await
        .map_err(|x| e("push consumer", x))?;
    let simple = SimpleConsumer::builder(config.clone(), "soak-cycle-simple")
        .subscribe(CYCLE_TOPIC, FilterExpression::all())
        .await_duration(Duration::from_millis(10))
        .start()
        .await
        .map_err(|x| e("simple consumer", x))?;
    for view in simple
        .receive(1, Duration::from_secs(10))
        .await
        .map_err(|x| e("receive", x))?
    {
        simple.ack(&view).await.map_err(|x| e("ack", x))?;
    }
    let lite = LitePushConsumer::builder(config.clone(), "soak-lite", LITE)
        .listener(|_: &MessageView| ConsumeResult::Success)
        .start()
        .await
        .map_err(|x| e("lite push consumer", x))?;
    lite.subscribe_lite("one")
        .await
        .map_err(|x| e("subscribe", x))?;
    lite.shutdown().await;
    simple.shutdown().await;
    push.shutdown().await;
    producer.shutdown().await;
    Ok(())
}

async fn lifecycle(
    config: &ClientConfig,
    cycles: u32,
    max_rss: f64,
) -> Result<Vec<String>, String> {
    let warm_up = (cycles / 20).max(5);
    for i in 0..warm_up {
        one_cycle(config, i).await?;
    }
    let (before, tasks_before) = settled().await?;
    let started = Instant::now();
    for i in 0..cycles {
        one_cycle(config, i).await?;
    }
    let took = started.elapsed();
    let (after, tasks_after) = settled().await?;
    let (rss, threads, fds) = growth(&before, &after);
    println!(
        "lifecycle: {cycles} create/start/close cycles of a producer, push, simple and lite push consumer in {:.1} s",
        took.as_secs_f64()
    );
    println!("  after {warm_up} warm-up cycles: {before}, {tasks_before} tokio tasks");
    println!("  after {cycles} more:            {after}, {tasks_after} tokio tasks");
    println!(
        "  growth: RSS {rss:+.1} %, threads {threads:+}, fds {fds:+}, tasks {:+}",
        tasks_after as i64 - tasks_before as i64
    );
    let mut failures = Vec::new();
    if rss > max_rss {
        failures.push(format!("lifecycle RSS grew {rss:.1} % (limit {max_rss} %)"));
    }
    if threads > 0 || fds > 0 || tasks_after > tasks_before {
        failures.push(format!(
            "lifecycle leaked: threads {threads:+}, fds {fds:+}, tasks {:+}",
            tasks_after as i64 - tasks_before as i64
        ));
    }
    Ok(failures)
}

/// Sends of 1 KiB messages by 8 tasks back to back for `for_`: messages per second.
async fn throughput(producer: &Producer, for_: Duration) -> f64 {
    let sent = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + for_;
    let mut senders = Vec::new();
    for _ in 0..8 {
        let (producer, sent) = (producer.clone(), sent.clone());
        senders.push(tokio::spawn(async move {
            while Instant::now() < until {
                if let Ok(m) = Message::builder(TOPIC, vec![b'x'; 1024]).build()
                    && producer.send(&m).await.is_ok()
                {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for s in senders {
        let _ = s.await;
    }
    sent.load(Ordering::Relaxed) as f64 / for_.as_secs_f64()
}

struct Sample {
    at: Duration,
    client: Footprint,
    tasks: usize,
    broker: Option<Footprint>,
}

async fn load(
    config: &ClientConfig,
    args: &Args,
    broker_pid: Option<u32>,
) -> Result<Vec<String>, String> {
    let e = |what: &str, e: rmq_client::Error| format!("{what}: {e}");
    let producer = Producer::builder(config.clone())
        .topics([TOPIC])
        .start()
        .await
        .map_err(|x| e("producer", x))?;
    let full = throughput(&producer, Duration::from_secs(10)).await;
    let rate = (full / 2.0).max(1.0);
    println!(
        "load: full speed {full:.0} msg/s (8 senders, 1 KiB); soaking at {rate:.0} msg/s for {} s",
        args.seconds
    );

    let delivered_push = Arc::new(AtomicU64::new(0));
    let counted = delivered_push.clone();
    let push = PushConsumer::builder(config.clone(), "soak-push")
        .subscribe(TOPIC, FilterExpression::all())
        .listener(move |_: &MessageView| {
            counted.fetch_add(1, Ordering::Relaxed);
            ConsumeResult::Success
        })
        .start()
        .await
        .map_err(|x| e("push consumer", x))?;
    let simple = SimpleConsumer::builder(config.clone(), "soak-simple")
        .subscribe(TOPIC, FilterExpression::all())
        .await_duration(Duration::from_secs(1))
        .start()
        .await
        .map_err(|x| e("simple consumer", x))?;
    let delivered_simple = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Four receive loops, each acking its batch in one request, as a user keeping up would.
    let receiving: Vec<_> = (0..4)
        .map(|_| {
            let (simple, counted, stop) = (simple.clone(), delivered_simple.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(views) = simple.receive(32, Duration::from_secs(30)).await else {
                        continue;
                    };
                    if let Ok(results) = simple.ack_batch(&views).await {
                        let acked = results.iter().filter(|r| r.is_ok()).count();
                        counted.fetch_add(acked as u64, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // The consumers have a backlog from the throughput run: let them catch up first.
    let backlog_until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < backlog_until
        && (delivered_push.load(Ordering::Relaxed) as f64) < full * 10.0
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let base_push = delivered_push.load(Ordering::Relaxed);
    let base_simple = delivered_simple.load(Ordering::Relaxed);

    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let in_flight = Arc::new(tokio::sync::Semaphore::new(256));
    let started = Instant::now();
    let run_for = Duration::from_secs(args.seconds);
    let mut samples = Vec::new();
    let mut next_sample = started;
    let tick = Duration::from_millis(10);
    let mut started_sends: u64 = 0;
    while started.elapsed() < run_for {
        // As many sends as the rate asks by now: a late tick catches up.
        let due = (rate * started.elapsed().as_secs_f64()) as u64;
        while started_sends < due {
            started_sends += 1;
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                break;
            };
            let (producer, acked, failed) = (producer.clone(), acked.clone(), failed.clone());
            tokio::spawn(async move {
                let ok = match Message::builder(TOPIC, vec![b's'; 1024]).build() {
                    Ok(m) => producer.send(&m).await.is_ok(),
                    Err(_) => false,
                };
                let counter = if ok { &acked } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
                drop(permit);
            });
        }
        if Instant::now() >= next_sample {
            samples.push(Sample {
                at: started.elapsed(),
                client: Footprint::of(None).ok_or("cannot read /proc/self")?,
                tasks: tasks(),
                broker: broker_pid.and_then(|pid| Footprint::of(Some(pid))),
            });
            next_sample += Duration::from_secs(args.sample_every);
        }
        tokio::time::sleep(tick).await;
    }
    let _ = in_flight.acquire_many(256).await;
    let sent = acked.load(Ordering::Relaxed);
    let drain_until = Instant::now() + Duration::from_secs(120);
    let consumed = |c: &AtomicU64, base: u64| c.load(Ordering::Relaxed).saturating_sub(base);
    while Instant::now() < drain_until
        && (consumed(&delivered_push, base_push) < sent
            || consumed(&delivered_simple, base_simple) < sent)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for r in receiving {
        let _ = r.await;
    }
    push.shutdown().await;
    simple.shutdown().await;
    producer.shutdown().await;

    let mut failures = Vec::new();
    println!(
        "  {sent} sends acknowledged ({} failed) in {:.0} s = {:.0} msg/s; consumed: push group {}, simple group {}",
        failed.load(Ordering::Relaxed),
        run_for.as_secs_f64(),
        sent as f64 / run_for.as_secs_f64(),
        consumed(&delivered_push, base_push),
        consumed(&delivered_simple, base_simple)
    );
    if consumed(&delivered_push, base_push) < sent
        || consumed(&delivered_simple, base_simple) < sent
    {
        failures.push("not every acknowledged send was consumed by both groups".to_owned());
    }
    // From the end of the warm-up (a quarter of the run) to the last sample.
    let warm = samples
        .iter()
        .position(|s| s.at >= run_for / 4)
        .unwrap_or(0);
    let (Some(first), Some(last)) = (samples.get(warm), samples.last()) else {
        return Err("no samples".into());
    };
    println!(
        "  {:>6}  {:<44} {:>6}  broker",
        "at", "this process (clients)", "tasks"
    );
    for s in &samples {
        let broker = s.broker.map(|b| b.to_string()).unwrap_or_default();
        println!(
            "  {:>5}s  {:<44} {:>6}  {broker}",
            s.at.as_secs(),
            s.client.to_string(),
            s.tasks
        );
    }
    let mut check = |who: &str, before: &Footprint, after: &Footprint| {
        let (rss, threads, fds) = growth(before, after);
        println!(
            "  {who}: from {}s to {}s RSS {rss:+.1} %, threads {threads:+}, fds {fds:+}",
            first.at.as_secs(),
            last.at.as_secs()
        );
        if rss > args.max_rss_growth {
            failures.push(format!(
                "{who} RSS drifted {rss:.1} % (limit {} %)",
                args.max_rss_growth
            ));
        }
        if threads > 0 || fds > 0 {
            failures.push(format!("{who} grew: threads {threads:+}, fds {fds:+}"));
        }
    };
    check("clients", &first.client, &last.client);
    if let (Some(before), Some(after)) = (first.broker, last.broker) {
        check("broker", &before, &after);
    }
    let peak_tasks = samples[warm..].iter().map(|s| s.tasks).max().unwrap_or(0);
    let tasks_warm = samples[..=warm].iter().map(|s| s.tasks).max().unwrap_or(0);
    println!(
        "  tokio tasks: at most {tasks_warm} by the end of warm-up, at most {peak_tasks} after"
    );
    // Sends in flight come and go with the rate; a leak grows past any warm-up peak.
    if peak_tasks > tasks_warm * 2 + 64 {
        failures.push(format!(
            "tokio tasks grew from {tasks_warm} to {peak_tasks}"
        ));
    }
    Ok(failures)
}
