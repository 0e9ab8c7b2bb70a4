//! Durable mode: what was acknowledged survives a restart and a kill -9, and a torn or corrupt
//! journal tail is cut, never served.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A durable broker whose journal the tests read and damage: no snapshots.
async fn durable(dir: &Path) -> MiniBroker {
    durable_with(dir, None).await
}

async fn durable_with(dir: &Path, snapshot_every: Option<u64>) -> MiniBroker {
    MiniBroker::builder()
        .data_dir(dir)
        .segment_size(1024 * 1024)
        .snapshot_every(snapshot_every)
        .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .topic(TopicConfig::new("tx", TopicType::Transaction))
        .start()
        .await
        .expect("start")
}

/// Where the records of a segment end (the journal's framing: u32 length, u32 CRC, body;
/// a zero length marks pre-allocated space).
fn data_end(segment: &Path) -> usize {
    let bytes = std::fs::read(segment).expect("read");
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        pos += 8 + len;
    }
    pos
}

fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("commitlog"))
        .expect("commitlog dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn restart_recovers_messages_progress_leases_timers_and_transactions() {
    restart_recovers(None).await;
}

#[tokio::test]
async fn restart_from_a_snapshot_recovers_the_same_and_keeps_one_segment() {
    let dir = restart_recovers(Some(1)).await;
    assert!(dir.0.join("snapshot").exists(), "shutdown wrote a snapshot");
    // The snapshot's first segment, and the next one, pre-allocated in the background.
    assert!(
        segments(&dir.0).len() <= 2,
        "the segments the snapshot covers are deleted: {:?}",
        segments(&dir.0)
    );
}

/// Sends, leases, acks, a timer and a half transaction; restarts; checks all of it survived.
async fn restart_recovers(snapshot_every: Option<u64>) -> TempDir {
    let dir = TempDir::new();
    let broker = durable_with(&dir.0, snapshot_every).await;
    let mut p = producer(&broker, &["t", "delay", "tx"]).await;
    let mut c = consumer(&broker, "g", "t").await;
    send(
        &mut p.stub,
        (0..4).map(|i| message("t", &format!("m{i}"))).collect(),
    )
    .await;
    let got = receive(&mut c.stub, "g", "t", 2, 300).await.messages;
    assert_eq!(got.len(), 2);
    assert_eq!(
        code(&ack(&mut c.stub, "g", "t", &got[0]).await.status),
        Code::Ok
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    send(
        &mut p.stub,
        vec![with_sys(message("delay", "later"), |s| {
            s.delivery_timestamp = Some(prost_types::Timestamp {
                seconds: now + 600,
                nanos: 0,
            });
            s.message_type = MessageType::Delay as i32;
        })],
    )
    .await;
    send(
        &mut p.stub,
        vec![with_sys(message("tx", "half"), |s| {
            s.message_type = MessageType::Transaction as i32
        })],
    )
    .await;
    drop((p, c));
    broker.shutdown().await;

    let broker = durable_with(&dir.0, snapshot_every).await;
    assert_eq!(broker.messages("t").len(), 4);
    let in_flight = broker.in_flight("g", "t");
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].0.message_id, id(&got[1]));
    assert_eq!(broker.pending_timers(), 1);
    assert_eq!(broker.half_messages().len(), 1);
    let mut c = consumer(&broker, "g", "t").await;
    // The handle handed out before the restart still works after it.
    assert_eq!(
        code(&ack(&mut c.stub, "g", "t", &got[1]).await.status),
        Code::Ok
    );
    let rest = receive(&mut c.stub, "g", "t", 32, 30).await.messages;
    let mut bodies: Vec<String> = rest
        .iter()
        .map(|m| String::from_utf8(m.body.to_vec()).expect("utf8"))
        .collect();
    bodies.sort();
    let mut expected: Vec<String> = (0..4).map(|i| format!("m{i}")).collect();
    expected.retain(|b| {
        ![got[0].body.clone(), got[1].body.clone()]
            .contains(&bytes::Bytes::copy_from_slice(b.as_bytes()))
    });
    assert_eq!(bodies, expected, "only the never-delivered messages come");
    broker.shutdown().await;
    dir
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_the_log_stays_appendable() {
    let dir = TempDir::new();
    let broker = durable(&dir.0).await;
    let mut p = producer(&broker, &["t"]).await;
    send(
        &mut p.stub,
        (0..3).map(|i| message("t", &format!("m{i}"))).collect(),
    )
    .await;
    drop(p);
    broker.shutdown().await;
    let first = segments(&dir.0).remove(0);
    let end = data_end(&first);
    // Half a record right after the last one: a header promising more than was written.
    let mut bytes = std::fs::read(&first).expect("read");
    bytes[end..end + 10].copy_from_slice(&[200, 0, 0, 0, 1, 2, 3, 4, 9, 9]);
    std::fs::write(&first, &bytes).expect("write");

    let broker = durable(&dir.0).await;
    assert_eq!(broker.messages("t").len(), 3);
    let mut p = producer(&broker, &["t"]).await;
    send(&mut p.stub, vec![message("t", "after")]).await;
    drop(p);
    broker.shutdown().await;
    // Had the torn record stayed, recovery would stop there and lose the message after it.
    let broker = durable(&dir.0).await;
    assert_eq!(broker.messages("t").len(), 4);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_record_ends_recovery_there() {
    let dir = TempDir::new();
    let broker = durable(&dir.0).await;
    let mut p = producer(&broker, &["t"]).await;
    for body in ["first", "second", "third"] {
        send(&mut p.stub, vec![message("t", body)]).await;
    }
    drop(p);
    broker.shutdown().await;
    let path = segments(&dir.0).remove(0);
    let mut bytes = std::fs::read(&path).expect("read");
    let at = find(&bytes, b"second");
    bytes[at] ^= 0xff;
    std::fs::write(&path, bytes).expect("write");

    let broker = durable(&dir.0).await;
    let stored: Vec<Vec<u8>> = broker
        .messages("t")
        .into_iter()
        .map(|m| m.body.to_vec())
        .collect();
    assert_eq!(
        stored,
        vec![b"first".to_vec()],
        "nothing from the corrupt record on is served"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn segments_roll_and_all_are_recovered() {
    let dir = TempDir::new();
    let start = || {
        MiniBroker::builder()
            .data_dir(&dir.0)
            .segment_size(4096)
            .snapshot_every(None)
            .topic(TopicConfig::new("t", TopicType::Normal))
            .start()
    };
    let broker = start().await.expect("start");
    let mut p = producer(&broker, &["t"]).await;
    for i in 0..50 {
        send(&mut p.stub, vec![message("t", &format!("{i:0>200}"))]).await;
    }
    drop(p);
    broker.shutdown().await;
    assert!(segments(&dir.0).len() > 3, "rolled into several segments");
    let broker = start().await.expect("restart");
    assert_eq!(broker.messages("t").len(), 50);
    broker.shutdown().await;
}

fn spawn_broker(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rmq-mini-broker"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log",
            "warn",
            "--topic",
            "crash:NORMAL:4",
            "--data-dir",
        ])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn broker");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let endpoint = line
        .trim()
        .strip_prefix("rmq-mini-broker listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, endpoint)
}

/// Every message id stored in the topic, read with the pull RPCs.
async fn stored_ids(endpoint: &str) -> HashMap<String, usize> {
    let mut stub = stub_to(endpoint, Some("crash-test".into())).await;
    let mut ids = HashMap::new();
    for queue in 0..4 {
        let mut offset = 0;
        loop {
            let mut stream = stub
                .pull_message(PullMessageRequest {
                    group: resource("reader"),
                    message_queue: Some(MessageQueue {
                        topic: resource("crash"),
                        id: queue,
                        ..Default::default()
                    }),
                    offset,
                    batch_size: 32,
                    filter_expression: None,
                    long_polling_timeout: None,
                })
                .await
                .expect("pull")
                .into_inner();
            let mut got = 0;
            while let Some(item) = stream.message().await.expect("item") {
                match item.content.expect("content") {
                    pull_message_response::Content::Message(m) => {
                        *ids.entry(id(&m)).or_insert(0) += 1;
                        got += 1;
                    }
                    pull_message_response::Content::NextOffset(n) => offset = n,
                    pull_message_response::Content::Status(_) => {}
                }
            }
            if got == 0 {
                break;
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_mid_write_loses_no_acknowledged_message() {
    kill_dash_nine(&["--snapshot-every", "off"], false).await;
}

/// The same with a snapshot every 50 entries: the kill lands in or between snapshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_mid_snapshot_loses_no_acknowledged_message() {
    kill_dash_nine(&["--snapshot-every", "50"], true).await;
}

async fn kill_dash_nine(extra: &[&str], snapshots: bool) {
    let dir = TempDir::new();
    let (mut child, endpoint) = spawn_broker(&dir.0, extra);
    let acked = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let mut senders = Vec::new();
    for _ in 0..4 {
        let endpoint = endpoint.clone();
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            let mut stub = stub_to(&endpoint, Some("crash-test".into())).await;
            loop {
                let batch: Vec<Message> =
                    (0..4).map(|_| message("crash", &"x".repeat(512))).collect();
                let ids: Vec<String> = batch.iter().map(id).collect();
                match stub
                    .send_message(SendMessageRequest { messages: batch })
                    .await
                {
                    Ok(r)
                        if r.get_ref()
                            .status
                            .as_ref()
                            .is_some_and(|s| s.code == Code::Ok as i32) =>
                    {
                        acked.lock().extend(ids);
                    }
                    _ => return,
                }
            }
        }));
    }
    until("2,000 acknowledged sends", || acked.lock().len() >= 2000).await;
    if snapshots {
        let taken = || dir.0.join("snapshot").exists();
        until("a snapshot under load", taken).await;
        let count = acked.lock().len();
        until("more sends after it", || acked.lock().len() >= count + 500).await;
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().clone();

    let (mut child, endpoint) = spawn_broker(&dir.0, extra);
    let stored = stored_ids(&endpoint).await;
    child.kill().expect("kill");
    let _ = child.wait();
    for message_id in &acked {
        assert_eq!(
            stored.get(message_id),
            Some(&1),
            "acknowledged {message_id} must be stored exactly once"
        );
    }
    assert!(
        stored.values().all(|n| *n == 1),
        "no message is stored twice"
    );
    assert!(stored.len() >= acked.len());
}
