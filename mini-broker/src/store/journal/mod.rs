//! Durable mode: an append-only journal of every state change, in segment files under
//! `<data-dir>/commitlog/` ([`record`] gives the framing). Recovery replays the entries through
//! the same deterministic engine code, so messages, consumer progress, leases, timers and half
//! transactions all survive a restart.
//!
//! A writer thread appends what the engine queued and, under sync flush, makes everything queued
//! since its last write durable in one write (group commit) before completing the waiters of
//! those entries. Under sync flush the segment is opened with `O_DSYNC`: the write returns once
//! the data is on disk, which on this kind of disk costs less than `write` + `fdatasync` (one
//! syscall, no page-cache scan) and tightens the latency tail. Segments are pre-allocated with
//! zeros, so no metadata has to reach the disk with a write. A torn or corrupt tail found at
//! start-up is cut off.
//!
//! A failed write, flush or segment roll stops the journal for good: the waiters of every entry
//! not known to be on disk get the error, and every later append is refused at once. The engine
//! has already applied those entries in memory, so appending anything after them would write a
//! log whose replay disagrees with what was acknowledged; refusing until restart keeps the disk
//! a consistent prefix of acknowledged changes. Restart (after making room) recovers exactly
//! that prefix.

mod disk_fault;
pub(crate) mod record;
mod recovery;
mod segment;
pub(crate) mod snapshot;
#[cfg(test)]
mod tests;
mod writer;

pub use disk_fault::DiskFaults;
pub(crate) use record::state;
pub(crate) use record::{
    Ack, ChangeInvisible, Configure, Delete, Deleted, EndTransaction, Entry, ForwardToDlq, JGroup,
    JMessage, JTopic, LiteOffset, Op, Place, Pop, PullOffset, Recall, Release, Renew, Tick, Trim,
};
pub(crate) use recovery::{Recovery, recover};

pub(crate) use recovery::Position;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, mpsc as std_mpsc};
use std::thread::JoinHandle;
use writer::{Command, Writer};

/// How appends reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    /// Every acknowledged change is on disk first; concurrent changes share one durable write
    /// (`O_DSYNC`).
    Sync,
    /// Changes are written at once and fsync'ed in the background every 100 ms.
    Async,
}

impl std::str::FromStr for FlushMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sync" => Ok(FlushMode::Sync),
            "async" => Ok(FlushMode::Async),
            other => Err(format!("unknown flush mode {other:?} (sync or async)")),
        }
    }
}

/// Why the journal refuses changes: the text of the I/O error that stopped it.
pub(crate) type Failure = Arc<str>;

/// Set once, by the writer, when the journal stops accepting appends.
#[derive(Clone, Default)]
pub(crate) struct Stopped(Arc<OnceLock<Failure>>);

impl Stopped {
    pub(crate) fn get(&self) -> Option<Failure> {
        self.0.get().cloned()
    }

    /// Records the first failure; later ones keep it.
    pub(crate) fn set(&self, error: &std::io::Error) -> Failure {
        self.0
            .get_or_init(|| {
                format!("the broker's journal cannot write ({error}); changes are refused until the broker restarts").into()
            })
            .clone()
    }
}

type Waiter = tokio::sync::oneshot::Sender<Result<(), Failure>>;

/// What to await before acknowledging a journaled change.
#[derive(Debug, Default)]
pub(crate) enum Flushed {
    /// Nothing to wait for (no journal, async flush, or an entry nobody waits on).
    #[default]
    Done,
    /// Completes once the writer has the entry on disk, or has failed.
    Pending(tokio::sync::oneshot::Receiver<Result<(), Failure>>),
    /// The journal refused the entry.
    Failed(Failure),
}

impl Flushed {
    /// Combines two waits on entries appended in this order: the writer completes in order
    /// and a failure stops it for good, so the later wait covers both, and a failure wins.
    pub(crate) fn then(self, later: Flushed) -> Flushed {
        match (self, later) {
            (failed @ Flushed::Failed(_), _) => failed,
            (earlier, Flushed::Done) => earlier,
            (_, later) => later,
        }
    }

    /// Waits for the change to be on disk; the failure text otherwise.
    pub(crate) async fn wait(self) -> Result<(), Failure> {
        match self {
            Flushed::Done => Ok(()),
            Flushed::Pending(rx) => rx.await.unwrap_or_else(|_| {
                Err("the broker's journal closed before the change was written".into())
            }),
            Flushed::Failed(failure) => Err(failure),
        }
    }
}

/// The journal handle the engine lock holder appends through.
pub(crate) struct Journal {
    tx: std_mpsc::Sender<Command>,
    mode: FlushMode,
    stopped: Stopped,
    thread: Option<JoinHandle<()>>,
    /// Entries appended since the last snapshot's boundary.
    since_snapshot: u64,
    /// Entries appended, and entries the writer has written.
    appended: u64,
    durable: Arc<AtomicU64>,
}

impl Journal {
    /// Opens the journal for appending at `end` (where recovery stopped).
    pub(crate) fn open(
        data_dir: &Path,
        end: Position,
        mode: FlushMode,
        segment_size: u64,
        faults: DiskFaults,
        replayed: u64,
    ) -> std::io::Result<Journal> {
        let stopped = Stopped::default();
        let durable = Arc::new(AtomicU64::new(0));
        let writer = Writer::open(
            data_dir,
            end,
            mode,
            segment_size,
            faults,
            stopped.clone(),
            durable.clone(),
        )?;
        let (tx, rx) = std_mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("rmq-journal".into())
            .spawn(move || writer.run(&rx))?;
        Ok(Journal {
            tx,
            mode,
            stopped,
            thread: Some(thread),
            // What recovery replayed counts toward the next snapshot, so crash after crash
            // never replays more than one interval.
            since_snapshot: replayed,
            appended: 0,
            durable,
        })
    }

    /// Queues an entry. Call with the engine lock held, so the journal order is the order
    /// the engine applied things in; encoding happens on the writer thread. With `wait`, the
    /// result completes once the entry is on disk (sync flush only). Once the journal has
    /// failed, every entry is refused at once.
    pub(crate) fn append(&mut self, entry: Entry, wait: bool) -> Flushed {
        if let Some(failure) = self.stopped.get() {
            return Flushed::Failed(failure);
        }
        let (notify, flushed) = if wait && self.mode == FlushMode::Sync {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (Some(tx), Flushed::Pending(rx))
        } else {
            (None, Flushed::Done)
        };
        self.since_snapshot += 1;
        self.appended += 1;
        match self.tx.send(Command::Append(Box::new(entry), notify)) {
            Ok(()) => flushed,
            Err(_) => Flushed::Failed("the broker's journal writer is gone".into()),
        }
    }

    /// What to await before answering a request that changed nothing but read state that
    /// may not be on disk yet (an ack repeated while the first is being written): done at
    /// once when nothing is in flight.
    pub(crate) fn barrier(&mut self) -> Flushed {
        if let Some(failure) = self.stopped.get() {
            return Flushed::Failed(failure);
        }
        if self.mode != FlushMode::Sync || self.durable.load(Ordering::Acquire) >= self.appended {
            return Flushed::Done;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        match self.tx.send(Command::Barrier(tx)) {
            Ok(()) => Flushed::Pending(rx),
            Err(_) => Flushed::Failed("the broker's journal writer is gone".into()),
        }
    }

    /// Entries appended since the last [`Journal::roll`].
    pub(crate) fn since_snapshot(&self) -> u64 {
        self.since_snapshot
    }

    /// Starts a new segment after everything appended so far (call with the engine lock
    /// held, so the state read under it is exactly what the earlier segments hold). Answers
    /// the new segment's index once the writer has it.
    pub(crate) fn roll(&mut self) -> std_mpsc::Receiver<std::io::Result<u64>> {
        let (tx, rx) = std_mpsc::sync_channel(1);
        self.since_snapshot = 0;
        if let Err(std_mpsc::SendError(Command::Roll(tx))) = self.tx.send(Command::Roll(tx)) {
            let _ = tx.send(Err(std::io::Error::other("the journal writer is gone")));
        }
        rx
    }

    /// The failure that stopped the journal, if one did.
    pub(crate) fn failure(&self) -> Option<Failure> {
        self.stopped.get()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
