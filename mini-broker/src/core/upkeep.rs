//! Keeping restart time and disk use bounded by what is live: retention drops consumed
//! messages (a journaled `Trim`), and snapshots let recovery skip, and delete, every segment
//! written before them.

use super::Core;
use crate::clock::Millis;
use crate::engine::Capture;
use crate::store::journal::{Trim, snapshot};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// Retention and snapshot settings.
#[derive(Debug, Default)]
pub(crate) struct Upkeep {
    /// Where the journal and snapshots live; `None` in memory.
    pub(crate) data_dir: Option<PathBuf>,
    /// Consumed messages at least this old are dropped; `None` keeps them.
    pub(crate) retention: Option<Millis>,
    /// A snapshot is taken once this many entries were journaled since the last one; `None`
    /// never.
    pub(crate) snapshot_every: Option<u64>,
    /// A snapshot is being written.
    pub(crate) busy: AtomicBool,
    /// When upkeep last ran (the clock's milliseconds).
    pub(crate) last: AtomicI64,
}

/// Upkeep runs at most this often, however often the scheduler wakes.
const EVERY: Millis = 1_000;

/// Clears the busy flag however the snapshot ends, a panic included, so shutdown never waits
/// on a writer that is gone.
struct Idle<'a>(&'a AtomicBool);

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Answers the index of the first segment after a snapshot's state.
type Boundary = std::sync::mpsc::Receiver<std::io::Result<u64>>;

impl Core {
    /// Retention, then a snapshot in the background when enough was journaled since the last
    /// one. Run by the scheduler.
    pub(crate) fn upkeep(self: &Arc<Self>) {
        let now = self.now();
        if now.saturating_sub(self.upkeep.last.load(Ordering::Relaxed)) < EVERY {
            return;
        }
        self.upkeep.last.store(now, Ordering::Relaxed);
        if let Some(retention) = self.upkeep.retention {
            self.execute(Trim { retention });
        }
        let Some(every) = self.upkeep.snapshot_every else {
            return;
        };
        if self.upkeep.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some((capture, boundary)) = self.capture(every) else {
            self.upkeep.busy.store(false, Ordering::Release);
            return;
        };
        let core = self.clone();
        let spawned = std::thread::Builder::new()
            .name("rmq-snapshot".into())
            .spawn(move || {
                let _idle = Idle(&core.upkeep.busy);
                core.write_snapshot(capture, boundary);
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the snapshot thread");
            self.upkeep.busy.store(false, Ordering::Release);
        }
    }

    /// A snapshot of everything journaled since the last one, written before returning (at
    /// shutdown, so the next start reads a snapshot and an empty segment).
    pub(crate) fn snapshot_now(&self) {
        if self.upkeep.snapshot_every.is_none() {
            return;
        }
        // Waits out a background snapshot: two writers of the same file would race.
        while self.upkeep.busy.swap(true, Ordering::AcqRel) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _idle = Idle(&self.upkeep.busy);
        if let Some((capture, boundary)) = self.capture(1) {
            self.write_snapshot(capture, boundary);
        }
    }

    /// Under the engine lock: the state, and a journal roll after everything that produced
    /// it. `None` without a journal, after a journal failure, or with fewer than `at_least`
    /// entries since the last snapshot.
    fn capture(&self, at_least: u64) -> Option<(Capture, Boundary)> {
        let mut guard = self.engine.lock();
        let (engine, journal) = &mut *guard;
        let journal = journal.as_mut()?;
        if journal.failure().is_some() || journal.since_snapshot() < at_least {
            return None;
        }
        Some((engine.capture(), journal.roll()))
    }

    /// Builds the record and writes it once the writer has rolled. A failure leaves the
    /// previous snapshot and every segment in place: recovery is only slower.
    fn write_snapshot(&self, capture: Capture, boundary: Boundary) {
        let Some(dir) = &self.upkeep.data_dir else {
            return;
        };
        let segment = match boundary.recv() {
            Ok(Ok(segment)) => segment,
            Ok(Err(e)) => return tracing::warn!(error = %e, "no snapshot: the journal cannot roll"),
            Err(_) => return,
        };
        let mut record = capture.snapshot();
        record.segment = segment;
        match snapshot::write(dir, &record) {
            Ok(()) => tracing::debug!(segment, "snapshot written"),
            Err(e) => tracing::warn!(error = %e, "snapshot not written; recovery reads more"),
        }
    }
}
