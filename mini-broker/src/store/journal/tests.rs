use super::*;
use crate::store::journal::segment::segment_dir;

fn tick(now: i64) -> Entry {
    Entry {
        now,
        op: Some(Op::Tick(Tick {})),
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rmq-barrier-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(segment_dir(&dir)).expect("mkdir");
    dir
}

fn open(dir: &Path, faults: DiskFaults) -> Journal {
    Journal::open(
        dir,
        Position::default(),
        FlushMode::Sync,
        1 << 20,
        faults,
        0,
    )
    .expect("open")
}

#[tokio::test]
async fn a_barrier_shares_the_fate_of_the_entries_before_it() {
    let dir = scratch("fail");
    let faults = DiskFaults::default();
    faults.fail_after(0, libc::EIO);
    let mut journal = open(&dir, faults);
    // Nobody waits on the entry itself: only the barrier can report its failure.
    assert!(matches!(journal.append(tick(1), false), Flushed::Done));
    assert!(journal.barrier().wait().await.is_err());
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_barrier_completes_once_what_came_before_is_written() {
    let dir = scratch("ok");
    let mut journal = open(&dir, DiskFaults::default());
    journal.append(tick(1), false);
    journal.barrier().wait().await.expect("written");
    assert_eq!(journal.durable.load(Ordering::Acquire), 1);
    // Nothing in flight: no round trip to the writer.
    assert!(matches!(journal.barrier(), Flushed::Done));
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}
