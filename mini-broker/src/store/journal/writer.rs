//! The writer thread: frames queued entries, writes them in group commits, rolls segments, and
//! completes (or fails) the waiters of the entries each write held.

use super::disk_fault::DiskFaults;
use super::record::{Entry, HEADER, frame};
use super::recovery::Position;
use super::segment::{open_for_append, preallocate, segment_dir, segment_path};
use super::{Failure, FlushMode, Stopped, Waiter};
use prost::Message as _;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(super) enum Command {
    Append(Box<Entry>, Option<Waiter>),
    /// Starts a new segment after everything queued before; answers its index.
    Roll(std_mpsc::SyncSender<io::Result<u64>>),
    /// Completes once everything queued before is on disk.
    Barrier(Waiter),
    Stop,
}

/// Under async flush, how often written data is fsync'ed.
const ASYNC_SYNC_EVERY: Duration = Duration::from_millis(100);

pub(super) struct Writer {
    dir: PathBuf,
    file: File,
    segment: u64,
    /// Bytes of the current segment known to be written.
    offset: u64,
    segment_size: u64,
    /// The next segment, being pre-allocated by a helper thread.
    next: Option<JoinHandle<io::Result<()>>>,
    mode: FlushMode,
    /// Framed entries not yet written, and the waiters of those entries.
    batch: Vec<u8>,
    pending: Vec<Waiter>,
    /// Written under async flush but not yet fsync'ed.
    unsynced: bool,
    faults: DiskFaults,
    stopped: Stopped,
    /// Entries framed into the batch, and the count of entries written so far (shared with
    /// the appending side, which skips barriers when nothing is in flight).
    batched: u64,
    durable: Arc<AtomicU64>,
}

impl Writer {
    pub(super) fn open(
        data_dir: &Path,
        end: Position,
        mode: FlushMode,
        segment_size: u64,
        faults: DiskFaults,
        stopped: Stopped,
        durable: Arc<AtomicU64>,
    ) -> io::Result<Writer> {
        let dir = segment_dir(data_dir);
        let segment_size = segment_size.max(4096);
        let path = segment_path(&dir, end.segment);
        // Also re-extends a segment a failed write or a cut tail left short. On a full disk
        // the broker still starts and serves what it has; the first write that needs the
        // space fails and stops the journal.
        if let Err(e) = preallocate(&path, segment_size, false) {
            tracing::warn!(error = %e, path = %path.display(), "could not pre-allocate the journal segment");
        }
        let mut file = open_for_append(&path, mode)?;
        file.seek(SeekFrom::Start(end.offset))?;
        let mut writer = Writer {
            dir,
            file,
            segment: end.segment,
            offset: end.offset,
            segment_size,
            next: None,
            mode,
            batch: Vec::new(),
            pending: Vec::new(),
            unsynced: false,
            faults,
            stopped,
            batched: 0,
            durable,
        };
        writer.prepare_next();
        Ok(writer)
    }

    pub(super) fn run(mut self, rx: &std_mpsc::Receiver<Command>) {
        let mut last_sync = Instant::now();
        loop {
            let first = match self.mode {
                FlushMode::Sync => rx.recv().ok(),
                FlushMode::Async => match rx.recv_timeout(ASYNC_SYNC_EVERY) {
                    Ok(command) => Some(command),
                    Err(std_mpsc::RecvTimeoutError::Timeout) => {
                        self.sync_if_unsynced();
                        last_sync = Instant::now();
                        continue;
                    }
                    Err(std_mpsc::RecvTimeoutError::Disconnected) => None,
                },
            };
            let Some(first) = first else { break };
            let mut stop = false;
            for command in std::iter::once(first).chain(rx.try_iter()) {
                match command {
                    Command::Append(entry, notify) => self.append(&entry, notify),
                    Command::Barrier(notify) => match self.stopped.get() {
                        Some(failure) => refuse(Some(notify), &failure),
                        None => self.pending.push(notify),
                    },
                    Command::Roll(answer) => {
                        let rolled = self.roll_now();
                        let _ = answer.send(rolled);
                    }
                    Command::Stop => stop = true,
                }
            }
            self.write_batch();
            if self.mode == FlushMode::Async && last_sync.elapsed() >= ASYNC_SYNC_EVERY {
                self.sync_if_unsynced();
                last_sync = Instant::now();
            }
            if stop {
                break;
            }
        }
        if self.stopped.get().is_none() {
            let _ = self.file.sync_all();
        }
    }

    /// Frames one entry into the batch, or refuses it when the journal has failed.
    fn append(&mut self, entry: &Entry, notify: Option<Waiter>) {
        if let Some(failure) = self.stopped.get() {
            refuse(notify, &failure);
            return;
        }
        match self.frame(entry) {
            Ok(()) => {
                self.batched += 1;
                self.pending.extend(notify);
            }
            Err(e) => {
                let failure = self.fail(&e);
                refuse(notify, &failure);
            }
        }
    }

    /// Frames an entry, rolling to the next segment first when this one is full.
    fn frame(&mut self, entry: &Entry) -> io::Result<()> {
        let used = self.offset + self.batch.len() as u64;
        let size = (HEADER + entry.encoded_len()) as u64;
        if used > 0 && used + size > self.segment_size {
            self.roll()?;
        }
        frame(entry, &mut self.batch);
        Ok(())
    }

    /// Writes what is queued and moves to the next segment.
    fn roll(&mut self) -> io::Result<()> {
        self.try_write_batch()?;
        self.file.sync_data()?;
        let next = segment_path(&self.dir, self.segment + 1);
        let ready = self.next.take().map(|h| h.join());
        if !matches!(ready, Some(Ok(Ok(())))) {
            preallocate(&next, self.segment_size, false)?;
        }
        self.file = open_for_append(&next, self.mode)?;
        self.segment += 1;
        self.offset = 0;
        self.prepare_next();
        Ok(())
    }

    /// A snapshot's boundary: every entry queued so far ends up in a segment before the index
    /// returned. An empty current segment is already such a boundary.
    fn roll_now(&mut self) -> io::Result<u64> {
        if let Some(failure) = self.stopped.get() {
            return Err(io::Error::other(failure.to_string()));
        }
        if (self.offset > 0 || !self.batch.is_empty())
            && let Err(e) = self.roll()
        {
            self.fail(&e);
            return Err(e);
        }
        Ok(self.segment)
    }

    /// Writes the batch; a failure stops the journal.
    fn write_batch(&mut self) {
        if let Err(e) = self.try_write_batch() {
            self.fail(&e);
        }
    }

    /// Writes the batch and completes its waiters: under sync flush the segment is `O_DSYNC`,
    /// so a written batch is on disk.
    fn try_write_batch(&mut self) -> io::Result<()> {
        if !self.batch.is_empty() {
            self.faults.write_all(&mut self.file, &self.batch)?;
            self.offset += self.batch.len() as u64;
            self.batch.clear();
            self.durable.fetch_add(self.batched, Ordering::Release);
            self.batched = 0;
            self.unsynced = self.mode == FlushMode::Async;
        }
        for notify in self.pending.drain(..) {
            let _ = notify.send(Ok(()));
        }
        Ok(())
    }

    fn sync_if_unsynced(&mut self) {
        if self.unsynced {
            self.unsynced = false;
            if let Err(e) = self.file.sync_data() {
                // After a failed fsync the kernel may have dropped the dirty pages: nothing
                // written since the last good sync can be trusted to be on disk.
                self.fail(&e);
            }
        }
    }

    /// Stops the journal: fails the waiters of everything not known to be written, and cuts
    /// what a partial write left past the last whole batch, so a restart finds a clean end.
    fn fail(&mut self, error: &io::Error) -> Failure {
        let first = self.stopped.get().is_none();
        let failure = self.stopped.set(error);
        if first {
            tracing::error!(error = %error, segment = self.segment, "journal write failed; refusing changes until restart");
        }
        self.batch.clear();
        self.batched = 0;
        for notify in self.pending.drain(..) {
            refuse(Some(notify), &failure);
        }
        if let Err(e) = self.file.set_len(self.offset) {
            tracing::warn!(error = %e, "could not cut a partial journal write; recovery will");
        }
        failure
    }

    fn prepare_next(&mut self) {
        let path = segment_path(&self.dir, self.segment + 1);
        let size = self.segment_size;
        self.next = std::thread::Builder::new()
            .name("rmq-journal-prealloc".into())
            .spawn(move || preallocate(&path, size, true))
            .ok();
    }
}

fn refuse(notify: Option<Waiter>, failure: &Failure) {
    if let Some(notify) = notify {
        let _ = notify.send(Err(failure.clone()));
    }
}
