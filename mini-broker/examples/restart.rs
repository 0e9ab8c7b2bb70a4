//! Restart-time and disk benchmark: how long a durable broker takes to start again, and how
//! much disk it keeps, after N messages were sent and consumed and after N were sent and left
//! unconsumed — with snapshots (the default) beside the same broker with snapshots off (every
//! start replays the journal from its first record). Run with:
//!
//!     cargo build --release -p rmq-mini-broker --example restart
//!     ./target/release/examples/restart [--messages N] [--body BYTES]
//!
//! Messages go in batches of 32 over raw gRPC stubs with 8 requests in flight; consumption is
//! receive (32) + one ack request per batch, 4 in flight. Retention is 0 s, so consumed
//! messages may be dropped at once. "clean" restarts follow `shutdown()` (which snapshots);
//! "crash" restarts follow a drop without it (the last periodic snapshot plus the journal
//! written since).

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_stream::StreamExt;

static IDS: AtomicU64 = AtomicU64::new(0);

fn message(body: &[u8]) -> Message {
    Message {
        topic: resource("t"),
        user_properties: Default::default(),
        system_properties: Some(SystemProperties {
            message_id: format!("01RESTART{:016X}", IDS.fetch_add(1, Ordering::Relaxed)),
            message_type: MessageType::Normal as i32,
            ..Default::default()
        }),
        body: body.to_vec().into(),
    }
}

async fn start(dir: &Path, snapshots: bool) -> (MiniBroker, Duration) {
    let began = Instant::now();
    let broker = MiniBroker::builder()
        .data_dir(dir)
        .retention(Some(Duration::ZERO))
        .snapshot_every(snapshots.then_some(100_000))
        .topic(TopicConfig::new("t", TopicType::Normal).queues(8))
        .start()
        .await
        .expect("start");
    (broker, began.elapsed())
}

async fn fill(broker: &MiniBroker, messages: usize, body: usize) {
    let sent = Arc::new(AtomicU64::new(0));
    let payload = vec![b'x'; body];
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut stub = connect(&broker.endpoint()).await;
        let sent = sent.clone();
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            while sent.fetch_add(32, Ordering::Relaxed) < messages as u64 {
                let batch = (0..32).map(|_| message(&payload)).collect();
                let reply = stub
                    .send_message(request(SendMessageRequest { messages: batch }))
                    .await
                    .expect("send")
                    .into_inner();
                if reply.status.as_ref().map(|s| s.code) != Some(Code::Ok as i32) {
                    eprintln!("send refused: {:?}", reply.status);
                    std::process::exit(1);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("sender");
    }
}

async fn drain(broker: &MiniBroker, messages: usize) {
    register(&connect(&broker.endpoint()).await, "g").await;
    let consumed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let mut stub = connect(&broker.endpoint()).await;
        let consumed = consumed.clone();
        tasks.push(tokio::spawn(async move {
            while consumed.load(Ordering::Relaxed) < messages as u64 {
                let receive = receive("g", "t", 300);
                let mut stream = stub
                    .receive_message(receive)
                    .await
                    .expect("receive")
                    .into_inner();
                let mut entries = Vec::new();
                while let Some(item) = stream.next().await {
                    if let Some(receive_message_response::Content::Message(m)) =
                        item.expect("item").content
                    {
                        let sys = m.system_properties.unwrap_or_default();
                        entries.push(AckMessageEntry {
                            message_id: sys.message_id,
                            receipt_handle: sys.receipt_handle.unwrap_or_default(),
                            lite_topic: None,
                        });
                    }
                }
                if entries.is_empty() {
                    continue;
                }
                let n = entries.len() as u64;
                let reply = stub
                    .ack_message(request(AckMessageRequest {
                        group: resource("g"),
                        topic: resource("t"),
                        entries,
                    }))
                    .await
                    .expect("ack")
                    .into_inner();
                if reply.status.as_ref().map(|s| s.code) != Some(Code::Ok as i32) {
                    eprintln!("ack refused: {:?}", reply.status);
                    std::process::exit(1);
                }
                consumed.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("consumer");
    }
}

/// Bytes the data directory occupies on disk (allocated blocks, so pre-allocated segments
/// count in full).
fn disk(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.blocks() * 512;
            }
        }
    }
    total
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rmq-restart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// One scenario: fill (and maybe drain), stop cleanly or not, restart, report.
async fn scenario(name: &str, snapshots: bool, consume: bool, messages: usize, body: usize) {
    let dir = scratch(name);
    let (broker, _) = start(&dir, snapshots).await;
    fill(&broker, messages, body).await;
    if consume {
        drain(&broker, messages).await;
        // Retention runs about once a second; let it see the last acks.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !broker.messages("t").is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let live = broker
        .messages("t")
        .iter()
        .map(|m| m.body.len() as u64)
        .sum::<u64>();
    broker.shutdown().await;
    let (broker, clean) = start(&dir, snapshots).await;
    let kept = broker.messages("t").len();
    let after_clean = disk(&dir);
    // A crash-like stop: dropped without shutdown, so no final snapshot.
    drop(broker);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (broker, crash) = start(&dir, snapshots).await;
    broker.shutdown().await;
    println!(
        "{name:<44} restart clean {:>8.1} ms, after crash {:>8.1} ms; {kept} kept; disk {:>7.1} MB (bodies live {:>7.1} MB)",
        clean.as_secs_f64() * 1e3,
        crash.as_secs_f64() * 1e3,
        mb(after_clean),
        mb(live),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main]
async fn main() {
    let messages = arg("--messages", 1_000_000);
    let body = arg("--body", 128);
    println!("rmq-mini-broker restart benchmark: {messages} messages of {body} bytes");
    for (name, snapshots, consume) in [
        ("sent and consumed, snapshots (default)", true, true),
        ("sent and consumed, snapshots off (peer)", false, true),
        ("sent, unconsumed, snapshots (default)", true, false),
        ("sent, unconsumed, snapshots off (peer)", false, false),
    ] {
        scenario(name, snapshots, consume, messages, body).await;
    }
}
