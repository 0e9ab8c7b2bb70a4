//! Mini-broker benchmark. Prints start-up time (in-process and as a process), idle RSS, send
//! throughput with p50/p99 latency (in memory and durable with sync group commit) and timer
//! lateness. Run with:
//!
//!     cargo build --release -p rmq-mini-broker --bin rmq-mini-broker --example bench
//!     ./target/release/examples/bench [--messages N] [--in-flight N] [--connections N]
//!
//! Sends run at 32 and 64 requests in flight unless `--in-flight` picks one, spread over 2
//! HTTP/2 connections (two producers; one producer uses one connection per endpoint) unless
//! `--connections` says otherwise; the load generator shares the machine's cores with the broker.

mod common;

use common::*;
use rmq_mini_broker::{FlushMode, MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static IDS: AtomicU64 = AtomicU64::new(0);

fn message(topic: &str, body: &[u8], deliver_at_ms: Option<i64>) -> Message {
    Message {
        topic: resource(topic),
        user_properties: Default::default(),
        system_properties: Some(SystemProperties {
            message_id: format!("01BENCH{:016X}", IDS.fetch_add(1, Ordering::Relaxed)),
            message_type: if deliver_at_ms.is_some() {
                MessageType::Delay
            } else {
                MessageType::Normal
            } as i32,
            delivery_timestamp: deliver_at_ms.map(|ms| prost_types::Timestamp {
                seconds: ms / 1000,
                nanos: ((ms % 1000) * 1_000_000) as i32,
            }),
            ..Default::default()
        }),
        body: body.to_vec().into(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn startup_in_process() -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let broker = MiniBroker::builder().start().await.expect("start");
        let mut stub = connect(&broker.endpoint()).await;
        let route = stub
            .query_route(request(QueryRouteRequest {
                topic: resource("t"),
                endpoints: None,
            }))
            .await
            .expect("route");
        assert_eq!(
            route.get_ref().status.as_ref().map(|s| s.code),
            Some(Code::Ok as i32)
        );
        best = best.min(started.elapsed());
        broker.shutdown().await;
    }
    best
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn startup_process() -> (Duration, u64) {
    let binary = std::env::current_exe()
        .expect("exe")
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("rmq-mini-broker"))
        .expect("target dir");
    let mut best = Duration::MAX;
    let mut rss = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let mut child = std::process::Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--log", "error"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "spawn {}: {e} (build it: cargo build --release -p rmq-mini-broker)",
                    binary.display()
                )
            });
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        let endpoint = line.trim().rsplit(' ').next().expect("endpoint").to_owned();
        let mut stub = connect(&endpoint).await;
        stub.query_route(request(QueryRouteRequest {
            topic: resource("t"),
            endpoints: None,
        }))
        .await
        .expect("route");
        best = best.min(started.elapsed());
        tokio::time::sleep(Duration::from_millis(300)).await;
        rss = rss.max(rss_kib(child.id()));
        let _ = child.kill();
        let _ = child.wait();
    }
    (best, rss)
}

struct SendFigures {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

async fn send_load(
    endpoint: &str,
    messages: usize,
    in_flight: usize,
    connections: usize,
) -> SendFigures {
    let body = vec![b'x'; 1024];
    let done = Arc::new(AtomicU64::new(0));
    // One HTTP/2 connection per simulated producer.
    let mut stubs = Vec::new();
    for _ in 0..connections.max(1) {
        stubs.push(connect(endpoint).await);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..in_flight {
        let mut stub = stubs[worker % stubs.len()].clone();
        let body = body.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while (done.fetch_add(1, Ordering::Relaxed) as usize) < messages {
                let t = Instant::now();
                let r = stub
                    .send_message(request(SendMessageRequest {
                        messages: vec![message("bench", &body, None)],
                    }))
                    .await
                    .expect("send");
                assert_eq!(
                    r.get_ref().status.as_ref().map(|s| s.code),
                    Some(Code::Ok as i32)
                );
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(messages);
    for t in tasks {
        latencies.extend(t.await.expect("join"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    SendFigures {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    }
}

async fn timer_lateness(count: usize) -> (Duration, Duration, Duration) {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("timers", TopicType::Delay).queues(4))
        .start()
        .await
        .expect("start");
    let mut stub = connect(&broker.endpoint()).await;
    register(&stub, "timer-reader").await;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    for i in 0..count {
        let at = now_ms + 300 + (i as i64 * 1000 / count as i64);
        stub.send_message(request(SendMessageRequest {
            messages: vec![message("timers", b"t", Some(at))],
        }))
        .await
        .expect("send");
    }
    let mut lateness = Vec::new();
    while lateness.len() < count {
        let r = receive("timer-reader", "timers", 60);
        let mut stream = stub.receive_message(r).await.expect("receive").into_inner();
        while let Some(item) = stream.message().await.expect("item") {
            if let Some(receive_message_response::Content::Message(m)) = item.content {
                let arrived = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .expect("clock")
                    .as_millis() as i64;
                let due = m
                    .system_properties
                    .and_then(|s| s.delivery_timestamp)
                    .map(|t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
                    .expect("delivery timestamp");
                lateness.push(Duration::from_millis(
                    u64::try_from(arrived - due).unwrap_or(0),
                ));
            }
        }
    }
    lateness.sort();
    broker.shutdown().await;
    (
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
        *lateness.last().unwrap_or(&Duration::ZERO),
    )
}

#[tokio::main]
async fn main() {
    let messages = arg("--messages", 100_000);
    let in_flight = arg("--in-flight", 64);
    let connections = arg("--connections", 2);
    println!(
        "rmq-mini-broker benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let in_process = startup_in_process().await;
    println!(
        "start-up, in-process, to first served request: {:.2} ms (best of 5)",
        ms(in_process)
    );
    let (process, rss) = startup_process().await;
    println!(
        "start-up, as a process, to first served request: {:.2} ms (best of 5)",
        ms(process)
    );
    println!("idle RSS of the process: {:.1} MB", rss as f64 / 1024.0);

    let in_flights: Vec<usize> = if std::env::args().any(|a| a == "--in-flight") {
        vec![in_flight]
    } else {
        vec![32, 64]
    };
    let dir = std::env::temp_dir().join(format!("rmq-bench-{}", std::process::id()));
    let setups: [(&str, Option<FlushMode>); 3] = [
        ("in memory", None),
        ("durable, sync group commit", Some(FlushMode::Sync)),
        ("durable, async flush", Some(FlushMode::Async)),
    ];
    for (label, flush) in setups {
        for &n in &in_flights {
            let _ = std::fs::remove_dir_all(&dir);
            let mut builder =
                MiniBroker::builder().topic(TopicConfig::new("bench", TopicType::Normal));
            if let Some(mode) = flush {
                builder = builder.data_dir(&dir).flush(mode);
            }
            let broker = builder.start().await.expect("start");
            send_load(&broker.endpoint(), 5_000, n, connections).await; // warm-up
            let f = send_load(&broker.endpoint(), messages, n, connections).await;
            println!(
                "send, {label}, 1 KiB, {n} in flight: {:.0} msg/s, p50 {:.2} ms, p99 {:.2} ms",
                f.rate,
                ms(f.p50),
                ms(f.p99)
            );
            broker.shutdown().await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let (p50, p99, max) = timer_lateness(2_000).await;
    println!(
        "timer lateness, 2000 timers over 1 s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
}
