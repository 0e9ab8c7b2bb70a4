//! Durable mode on a failing disk: a change the journal could not write is never acknowledged,
//! the journal refuses changes until restart, shutdown does not hang, and a restart serves
//! exactly the acknowledged messages, each once.

mod common;

use common::*;
use rmq_mini_broker::{DiskFaults, MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio::sync::watch;

const TOPIC: &str = "t";
const MAX_SENDS: usize = 10_000;

async fn durable(dir: &Path, segment_size: u64, faults: DiskFaults) -> MiniBroker {
    MiniBroker::builder()
        .data_dir(dir)
        .segment_size(segment_size)
        .disk_faults(faults)
        .topic(TopicConfig::new(TOPIC, TopicType::Normal).queues(4))
        .start()
        .await
        .expect("start")
}

/// What concurrent senders saw: the ids acknowledged, and each refusal with its id.
#[derive(Default)]
struct Outcome {
    acked: Vec<String>,
    refused: Vec<(String, Status)>,
}

/// `senders` concurrent stubs send one message at a time until each is refused once (or has
/// sent [`MAX_SENDS`], so a broker that never refuses fails the test instead of hanging it);
/// `progress` counts acknowledgements, so the caller can act mid-stream.
async fn send_until_refused(
    endpoint: String,
    senders: usize,
    body: usize,
    progress: watch::Sender<usize>,
) -> Outcome {
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let endpoint = endpoint.clone();
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let mut stub = stub_to(&endpoint, Some(unique("sender"))).await;
            let mut outcome = Outcome::default();
            for _ in 0..MAX_SENDS {
                let m = message(TOPIC, &"x".repeat(body));
                let message_id = id(&m);
                let response = send(&mut stub, vec![m]).await;
                let status = response.status.expect("status");
                if status.code == Code::Ok as i32 {
                    outcome.acked.push(message_id);
                    progress.send_modify(|n| *n += 1);
                } else {
                    let entry = response.entries.first().and_then(|e| e.status.clone());
                    assert_eq!(
                        entry.as_ref(),
                        Some(&status),
                        "the entry carries the refusal"
                    );
                    outcome.refused.push((message_id, status));
                    break;
                }
            }
            outcome
        }));
    }
    let mut all = Outcome::default();
    for task in tasks {
        let one = task.await.expect("sender");
        all.acked.extend(one.acked);
        all.refused.extend(one.refused);
    }
    all
}

fn assert_refused_for(outcome: &Outcome, cause: &str) {
    assert!(!outcome.refused.is_empty(), "the broker refused nothing");
    for (_, st) in &outcome.refused {
        assert_eq!(st.code, Code::InternalServerError as i32, "{st:?}");
        assert!(
            st.message.contains("journal cannot write") && st.message.contains(cause),
            "{st:?}"
        );
    }
}

/// Shutdown must finish even though the journal failed.
async fn shut_down(broker: MiniBroker) {
    tokio::time::timeout(Duration::from_secs(20), broker.shutdown())
        .await
        .expect("shutdown after an I/O error finishes");
}

/// Restarts on `dir` and checks the stored messages are exactly the acknowledged ones.
async fn assert_restart_serves_exactly(dir: &Path, segment_size: u64, outcome: &Outcome) {
    let broker = durable(dir, segment_size, DiskFaults::default()).await;
    let mut stored: HashMap<String, usize> = HashMap::new();
    for m in broker.messages(TOPIC) {
        *stored.entry(m.message_id).or_default() += 1;
    }
    for message_id in &outcome.acked {
        assert_eq!(
            stored.get(message_id),
            Some(&1),
            "acknowledged {message_id} is stored exactly once"
        );
    }
    for (message_id, _) in &outcome.refused {
        assert_eq!(
            stored.get(message_id),
            None,
            "refused {message_id} is not stored"
        );
    }
    assert_eq!(stored.len(), outcome.acked.len());
    // The restarted broker writes again.
    let mut stub = stub_with(&broker, Some(unique("sender"))).await;
    let response = send(&mut stub, vec![message(TOPIC, "after restart")]).await;
    assert_eq!(code(&response.status), Code::Ok);
    shut_down(broker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_is_never_acknowledged_and_changes_are_refused_until_restart() {
    let dir = TempDir::new();
    let faults = DiskFaults::default();
    let broker = durable(&dir.0, 1024 * 1024, faults.clone()).await;
    let (progress, mut acked) = watch::channel(0);
    let senders = tokio::spawn(send_until_refused(broker.endpoint(), 4, 700, progress));
    acked.wait_for(|n| *n >= 200).await.expect("senders run");
    // The next write stores part of a record and fails, as a dying disk does.
    faults.fail_after(1000, libc::EIO);
    let outcome = senders.await.expect("senders");
    assert_refused_for(&outcome, "Input/output error");
    let error = broker
        .journal_error()
        .expect("the journal reports its failure");
    assert!(error.contains("Input/output error"), "{error}");

    // Every change is refused from now on, even once the disk is healthy again; reads work.
    faults.clear();
    let mut stub = stub_with(&broker, Some(unique("reader"))).await;
    let response = send(&mut stub, vec![message(TOPIC, "later")]).await;
    assert_eq!(code(&response.status), Code::InternalServerError);
    let received = receive(&mut stub, "g", TOPIC, 8, 30).await;
    assert_eq!(received.status.code, Code::InternalServerError as i32);
    assert!(
        received.messages.is_empty(),
        "nothing is delivered on a lease that is not on disk"
    );
    let route = stub
        .query_route(QueryRouteRequest {
            topic: resource(TOPIC),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&route.status), Code::Ok);
    shut_down(broker).await;

    assert_restart_serves_exactly(&dir.0, 1024 * 1024, &outcome).await;
}

/// A tmpfs of a fixed size, unmounted when dropped.
struct SmallFilesystem(PathBuf);

impl SmallFilesystem {
    fn mount(size: &str) -> Result<SmallFilesystem, String> {
        let dir = std::env::temp_dir().join(unique(&format!("rmq-full-{}-", std::process::id())));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let fs = SmallFilesystem(dir);
        fs.run(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])?;
        Ok(fs)
    }

    fn resize(&self, size: &str) -> Result<(), String> {
        self.run(&["-o", &format!("remount,size={size}")])
    }

    fn run(&self, args: &[&str]) -> Result<(), String> {
        let out = Command::new("mount")
            .args(args)
            .arg(&self.0)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for SmallFilesystem {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A real full disk, twice: once the segment roll fails (segments smaller than the disk), once
/// a write runs off the end of a segment the full disk kept from being pre-allocated (a record
/// torn by ENOSPC).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_filesystem_loses_no_acknowledged_message() {
    for (segment_size, case) in [
        (1024 * 1024, "the segment roll fails"),
        (8 * 1024 * 1024, "a write runs past the pre-allocated space"),
    ] {
        let fs = match SmallFilesystem::mount("3m") {
            Ok(fs) => fs,
            Err(why) => {
                let message = format!("disk-full test NOT RUN: cannot mount a small tmpfs ({why})");
                assert!(
                    std::env::var_os("RMQ_REQUIRE_DISK_FULL_TEST").is_none(),
                    "{message}, and RMQ_REQUIRE_DISK_FULL_TEST is set"
                );
                eprintln!("{message}");
                return;
            }
        };
        let dir = fs.0.join("data");
        let broker = durable(&dir, segment_size, DiskFaults::default()).await;
        let (progress, _acked) = watch::channel(0);
        let outcome = send_until_refused(broker.endpoint(), 4, 900, progress).await;
        assert!(
            outcome.acked.len() > 1000,
            "{case}: {} acknowledged, refused {:?}",
            outcome.acked.len(),
            outcome.refused.first()
        );
        assert_refused_for(&outcome, "No space left on device");
        shut_down(broker).await;

        fs.resize("32m").expect("make room");
        assert_restart_serves_exactly(&dir, segment_size, &outcome).await;
        eprintln!(
            "disk full ({case}): {} acknowledged, {} refused, all acknowledged recovered",
            outcome.acked.len(),
            outcome.refused.len()
        );
    }
}
