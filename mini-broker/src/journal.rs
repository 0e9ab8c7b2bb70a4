//! Durable mode: an append-only journal of every state change, in segment files under
//! `<data-dir>/commitlog/`, each record framed as `[len: u32 LE][crc32: u32 LE][entry]` with the
//! CRC over the entry bytes. An entry is `(now, op)`; recovery replays entries through the same
//! deterministic engine code, so messages, consumer progress, leases, timers and half
//! transactions all survive a restart.
//!
//! A writer thread appends what the engine queued and, under sync flush, makes everything queued
//! since its last write durable in one write (group commit) before completing the waiters of
//! those entries. Under sync flush the segment is opened with `O_DSYNC`: the write returns once
//! the data is on disk, which on this kind of disk costs less than `write` + `fdatasync` (one
//! syscall, no page-cache scan) and tightens the latency tail. Segments are pre-allocated with
//! zeros, so no metadata has to reach the disk with a write. A torn or corrupt tail found at
//! start-up is cut off.

use crate::metadata::{GroupConfig, RetryPolicy, TopicConfig, TopicType};
use crate::store::StoredMessage;
use prost::Message as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

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

const HEADER: usize = 8;
/// Larger lengths can only come from a corrupt header.
const MAX_RECORD: usize = 256 * 1024 * 1024;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Entry {
    #[prost(int64, tag = "1")]
    pub(crate) now: i64,
    #[prost(oneof = "Op", tags = "2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14")]
    pub(crate) op: Option<Op>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum Op {
    #[prost(message, tag = "2")]
    Place(Place),
    #[prost(message, tag = "3")]
    Pop(Pop),
    #[prost(message, tag = "4")]
    Ack(HandleOp),
    #[prost(message, tag = "5")]
    ChangeInvisible(HandleOp),
    #[prost(message, tag = "6")]
    ForwardToDlq(HandleOp),
    #[prost(message, tag = "7")]
    Recall(Recall),
    #[prost(message, tag = "8")]
    EndTransaction(EndTransaction),
    #[prost(message, tag = "9")]
    Tick(Tick),
    #[prost(message, tag = "10")]
    DeclareTopic(JTopic),
    #[prost(message, tag = "11")]
    DeclareGroup(JGroup),
    #[prost(message, tag = "12")]
    PullOffset(PullOffset),
    #[prost(message, tag = "13")]
    Renew(Renew),
    #[prost(message, tag = "14")]
    Release(Release),
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Renew {
    #[prost(string, tag = "1")]
    pub(crate) group: String,
    #[prost(string, tag = "2")]
    pub(crate) topic: String,
    #[prost(uint32, tag = "3")]
    pub(crate) queue: u32,
    #[prost(int64, tag = "4")]
    pub(crate) offset: i64,
    #[prost(uint64, tag = "5")]
    pub(crate) lease: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Release {
    #[prost(string, tag = "1")]
    pub(crate) client: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Place {
    #[prost(message, optional, boxed, tag = "1")]
    pub(crate) message: Option<Box<JMessage>>,
    #[prost(uint32, tag = "2")]
    pub(crate) queue: u32,
    #[prost(bool, tag = "3")]
    pub(crate) half: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Pop {
    #[prost(string, tag = "1")]
    pub(crate) group: String,
    #[prost(string, tag = "2")]
    pub(crate) topic: String,
    #[prost(message, optional, tag = "3")]
    pub(crate) filter: Option<rmq_proto::v2::FilterExpression>,
    #[prost(uint32, tag = "4")]
    pub(crate) max: u32,
    #[prost(int64, tag = "5")]
    pub(crate) invisible: i64,
    #[prost(bool, tag = "6")]
    pub(crate) fifo: bool,
    #[prost(string, optional, tag = "7")]
    pub(crate) owner: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub(crate) attempt_id: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct HandleOp {
    #[prost(string, tag = "1")]
    pub(crate) group: String,
    #[prost(string, tag = "2")]
    pub(crate) topic: String,
    #[prost(string, tag = "3")]
    pub(crate) handle: String,
    #[prost(int64, tag = "4")]
    pub(crate) invisible: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Recall {
    #[prost(string, tag = "1")]
    pub(crate) topic: String,
    #[prost(string, tag = "2")]
    pub(crate) message_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct EndTransaction {
    #[prost(string, tag = "1")]
    pub(crate) topic: String,
    #[prost(string, tag = "2")]
    pub(crate) transaction_id: String,
    /// 0 undecided, 1 commit, 2 rollback.
    #[prost(int32, tag = "3")]
    pub(crate) decision: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Tick {}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct JTopic {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    topic_type: String,
    #[prost(uint32, tag = "3")]
    queues: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct JGroup {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(bool, tag = "2")]
    fifo: bool,
    #[prost(int32, tag = "3")]
    max_attempts: i32,
    #[prost(int64, repeated, tag = "4")]
    customized_ms: Vec<i64>,
    #[prost(bool, tag = "5")]
    exponential: bool,
    #[prost(int64, tag = "6")]
    initial_ms: i64,
    #[prost(int64, tag = "7")]
    max_ms: i64,
    #[prost(float, tag = "8")]
    multiplier: f32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct PullOffset {
    #[prost(string, tag = "1")]
    pub(crate) group: String,
    #[prost(string, tag = "2")]
    pub(crate) topic: String,
    #[prost(uint32, tag = "3")]
    pub(crate) queue: u32,
    #[prost(int64, tag = "4")]
    pub(crate) offset: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct JMessage {
    #[prost(string, tag = "1")]
    topic: String,
    #[prost(string, tag = "2")]
    message_id: String,
    #[prost(string, optional, tag = "3")]
    tag: Option<String>,
    #[prost(string, repeated, tag = "4")]
    keys: Vec<String>,
    #[prost(string, optional, tag = "5")]
    message_group: Option<String>,
    #[prost(btree_map = "string, string", tag = "6")]
    user_properties: std::collections::BTreeMap<String, String>,
    #[prost(bytes = "bytes", tag = "7")]
    body: bytes::Bytes,
    #[prost(int32, tag = "8")]
    body_encoding: i32,
    #[prost(int32, tag = "9")]
    message_type: i32,
    #[prost(int64, tag = "10")]
    born_timestamp: i64,
    #[prost(string, tag = "11")]
    born_host: String,
    #[prost(int64, tag = "12")]
    store_timestamp: i64,
    #[prost(int64, optional, tag = "13")]
    delivery_timestamp: Option<i64>,
    #[prost(string, optional, tag = "14")]
    trace_context: Option<String>,
    #[prost(int32, optional, tag = "15")]
    priority: Option<i32>,
    #[prost(string, optional, tag = "16")]
    dlq_topic: Option<String>,
    #[prost(string, optional, tag = "17")]
    dlq_message_id: Option<String>,
    #[prost(string, optional, tag = "18")]
    transaction_id: Option<String>,
}

impl From<&StoredMessage> for JMessage {
    fn from(m: &StoredMessage) -> Self {
        JMessage {
            topic: m.topic.clone(),
            message_id: m.message_id.clone(),
            tag: m.tag.clone(),
            keys: m.keys.clone(),
            message_group: m.message_group.clone(),
            user_properties: m.user_properties.clone(),
            body: m.body.clone(),
            body_encoding: m.body_encoding,
            message_type: m.message_type as i32,
            born_timestamp: m.born_timestamp,
            born_host: m.born_host.clone(),
            store_timestamp: m.store_timestamp,
            delivery_timestamp: m.delivery_timestamp,
            trace_context: m.trace_context.clone(),
            priority: m.priority,
            dlq_topic: m.dead_letter.as_ref().map(|d| d.0.clone()),
            dlq_message_id: m.dead_letter.as_ref().map(|d| d.1.clone()),
            transaction_id: m.transaction_id.clone(),
        }
    }
}

impl From<JMessage> for StoredMessage {
    fn from(m: JMessage) -> Self {
        StoredMessage {
            topic: m.topic,
            queue_id: 0,
            offset: 0,
            message_id: m.message_id,
            tag: m.tag,
            keys: m.keys,
            message_group: m.message_group,
            user_properties: m.user_properties,
            body: m.body,
            body_encoding: m.body_encoding,
            message_type: rmq_proto::v2::MessageType::try_from(m.message_type)
                .unwrap_or(rmq_proto::v2::MessageType::Normal),
            born_timestamp: m.born_timestamp,
            born_host: m.born_host,
            store_timestamp: m.store_timestamp,
            delivery_timestamp: m.delivery_timestamp,
            trace_context: m.trace_context,
            priority: m.priority,
            dead_letter: m.dlq_topic.zip(m.dlq_message_id),
            transaction_id: m.transaction_id,
        }
    }
}

fn topic_type_name(t: TopicType) -> &'static str {
    match t {
        TopicType::Normal => "NORMAL",
        TopicType::Fifo => "FIFO",
        TopicType::Delay => "DELAY",
        TopicType::Transaction => "TRANSACTION",
        TopicType::Priority => "PRIORITY",
        TopicType::Mixed => "MIXED",
    }
}

impl From<&TopicConfig> for JTopic {
    fn from(t: &TopicConfig) -> Self {
        JTopic {
            name: t.name.clone(),
            topic_type: topic_type_name(t.topic_type).into(),
            queues: t.queues,
        }
    }
}

impl From<JTopic> for TopicConfig {
    fn from(t: JTopic) -> Self {
        TopicConfig::new(t.name, t.topic_type.parse().unwrap_or(TopicType::Mixed)).queues(t.queues)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn dur(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl From<&GroupConfig> for JGroup {
    fn from(g: &GroupConfig) -> Self {
        let mut out = JGroup {
            name: g.name.clone(),
            fifo: g.fifo,
            max_attempts: g.max_delivery_attempts,
            ..Default::default()
        };
        match &g.retry_policy {
            RetryPolicy::Customized(delays) => {
                out.customized_ms = delays.iter().map(|d| ms(*d)).collect()
            }
            RetryPolicy::Exponential {
                initial,
                max,
                multiplier,
            } => {
                out.exponential = true;
                out.initial_ms = ms(*initial);
                out.max_ms = ms(*max);
                out.multiplier = *multiplier;
            }
        }
        out
    }
}

impl From<JGroup> for GroupConfig {
    fn from(g: JGroup) -> Self {
        let policy = if g.exponential {
            RetryPolicy::Exponential {
                initial: dur(g.initial_ms),
                max: dur(g.max_ms),
                multiplier: g.multiplier,
            }
        } else {
            RetryPolicy::Customized(g.customized_ms.into_iter().map(dur).collect())
        };
        GroupConfig::new(g.name)
            .fifo(g.fifo)
            .max_delivery_attempts(g.max_attempts)
            .retry_policy(policy)
    }
}

/// Appends one framed record to `out`, encoding the entry in place.
pub(crate) fn frame(entry: &Entry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    entry.encode_raw(out);
    let len = u32::try_from(out.len() - start - HEADER).unwrap_or(u32::MAX);
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

/// Completes once a journaled change is on disk (sync flush); already complete otherwise.
#[derive(Debug, Default)]
pub(crate) struct Flushed(Option<tokio::sync::oneshot::Receiver<()>>);

impl Flushed {
    /// Keeps the later of two waits: the writer completes in order.
    pub(crate) fn then(self, later: Flushed) -> Flushed {
        if later.0.is_some() { later } else { self }
    }

    /// Waits for the change to be on disk. False if the journal stopped first.
    pub(crate) async fn wait(self) -> bool {
        match self.0 {
            Some(rx) => rx.await.is_ok(),
            None => true,
        }
    }
}

fn segment_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("commitlog")
}

fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:020}.log"))
}

/// Segment files in index order.
fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let index = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(index) = index {
            found.push((index, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Creates a segment of `size` zero bytes, so later appends overwrite allocated blocks and
/// each fdatasync flushes data only, not a growing file's metadata (RocketMQ pre-allocates
/// its commit-log files for the same reason).
///
/// With `pace`, the zeros go out in small synced chunks with pauses between, so a segment
/// prepared in the background never floods the device queue in front of the journal's own
/// fdatasyncs.
fn preallocate(path: &Path, size: u64, pace: bool) -> io::Result<()> {
    const CHUNK: usize = 256 * 1024;
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let mut len = file.metadata()?.len();
    if len >= size {
        return Ok(());
    }
    file.seek(SeekFrom::Start(len))?;
    let zeros = vec![0u8; CHUNK];
    while len < size {
        let n = usize::try_from((size - len).min(CHUNK as u64)).unwrap_or(CHUNK);
        file.write_all(&zeros[..n])?;
        len += n as u64;
        if pace {
            file.sync_data()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    file.sync_all()
}

/// What recovery found.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Entries replayed.
    pub entries: usize,
    /// Bytes cut from a torn or corrupt tail.
    pub truncated_bytes: u64,
}

/// Where appending resumes: a segment index and the byte offset in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Position {
    segment: u64,
    offset: u64,
}

/// Reads every valid entry. A zero length header ends a segment's data (the rest is
/// pre-allocated space); a torn or corrupt record ends the log: it and everything after it
/// are cut.
pub(crate) fn recover(data_dir: &Path) -> io::Result<(Vec<Entry>, Recovery, Position)> {
    let dir = segment_dir(data_dir);
    fs::create_dir_all(&dir)?;
    let mut entries = Vec::new();
    let mut report = Recovery::default();
    let files = segments(&dir)?;
    let mut end = Position {
        segment: files.first().map_or(0, |(index, _)| *index),
        offset: 0,
    };
    let mut cut = false;
    for (index, path) in files {
        if cut {
            report.truncated_bytes += fs::metadata(&path)?.len();
            fs::remove_file(&path)?;
            continue;
        }
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        let mut pos = 0usize;
        let mut clean = false;
        while pos < bytes.len() {
            // Pre-allocated space is zeros; a segment filled up to within a header's size
            // of its end leaves a shorter zero tail.
            let rest = &bytes[pos..];
            let zero_len = rest.len() >= 4 && rest[..4] == [0, 0, 0, 0];
            if zero_len || (rest.len() < HEADER && rest.iter().all(|b| *b == 0)) {
                clean = true;
                break;
            }
            let Some(record) = read_record(&bytes[pos..]) else {
                break;
            };
            entries.push(record.0);
            pos += record.1;
        }
        if pos < bytes.len() && !clean {
            report.truncated_bytes += (bytes.len() - pos) as u64;
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(pos as u64)?;
            file.sync_all()?;
            cut = true;
        }
        if pos > 0 {
            end = Position {
                segment: index,
                offset: pos as u64,
            };
        }
    }
    report.entries = entries.len();
    Ok((entries, report, end))
}

fn read_record(bytes: &[u8]) -> Option<(Entry, usize)> {
    let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let body = bytes.get(HEADER..HEADER + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let entry = Entry::decode(body).ok()?;
    Some((entry, HEADER + len))
}

enum Command {
    Append(Box<Entry>, Option<tokio::sync::oneshot::Sender<()>>),
    Stop,
}

/// The journal handle the engine lock holder appends through.
pub(crate) struct Journal {
    tx: std_mpsc::Sender<Command>,
    mode: FlushMode,
    thread: Option<JoinHandle<()>>,
}

impl Journal {
    /// Opens the journal for appending at `end` (where recovery stopped).
    pub(crate) fn open(
        data_dir: &Path,
        end: Position,
        mode: FlushMode,
        segment_size: u64,
    ) -> io::Result<Journal> {
        let dir = segment_dir(data_dir);
        let segment_size = segment_size.max(4096);
        let path = segment_path(&dir, end.segment);
        if !path.exists() {
            preallocate(&path, segment_size, false)?;
        }
        let mut file = open_for_append(&path, mode)?;
        file.seek(SeekFrom::Start(end.offset))?;
        let (tx, rx) = std_mpsc::channel();
        let mut writer = Writer {
            dir,
            file,
            segment: end.segment,
            offset: end.offset,
            segment_size,
            next: None,
            mode,
        };
        writer.prepare_next();
        let thread = std::thread::Builder::new()
            .name("rmq-journal".into())
            .spawn(move || writer.run(&rx))?;
        Ok(Journal {
            tx,
            mode,
            thread: Some(thread),
        })
    }

    /// Queues an entry. Call with the engine lock held, so the journal order is the order
    /// the engine applied things in; encoding happens on the writer thread. With `wait`, the
    /// result completes once the entry is on disk (sync flush only).
    pub(crate) fn append(&mut self, entry: Entry, wait: bool) -> Flushed {
        let (notify, flushed) = if wait && self.mode == FlushMode::Sync {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (Some(tx), Flushed(Some(rx)))
        } else {
            (None, Flushed(None))
        };
        let _ = self.tx.send(Command::Append(Box::new(entry), notify));
        flushed
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

/// Opens a segment for appending; under sync flush every write is durable when it returns.
fn open_for_append(path: &Path, mode: FlushMode) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = match mode {
        FlushMode::Sync => libc::O_DSYNC,
        FlushMode::Async => 0,
    };
    OpenOptions::new()
        .write(true)
        .custom_flags(flags)
        .open(path)
}

struct Writer {
    dir: PathBuf,
    file: File,
    segment: u64,
    /// Bytes used in the current segment.
    offset: u64,
    segment_size: u64,
    /// The next segment, being pre-allocated by a helper thread.
    next: Option<JoinHandle<io::Result<()>>>,
    mode: FlushMode,
}

impl Writer {
    fn run(mut self, rx: &std_mpsc::Receiver<Command>) {
        let mut last_sync = std::time::Instant::now();
        let mut unsynced = false;
        let mut batch = Vec::new();
        // Waiters whose entries are written but not yet known to be on disk.
        let mut waiting: Vec<tokio::sync::oneshot::Sender<()>> = Vec::new();
        loop {
            let first = match self.mode {
                FlushMode::Sync => rx.recv().ok(),
                FlushMode::Async => match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(c) => Some(c),
                    Err(std_mpsc::RecvTimeoutError::Timeout) => {
                        if unsynced {
                            let _ = self.file.sync_data();
                            unsynced = false;
                        }
                        continue;
                    }
                    Err(std_mpsc::RecvTimeoutError::Disconnected) => None,
                },
            };
            let Some(first) = first else { break };
            let mut stop = false;
            for command in std::iter::once(first).chain(rx.try_iter()) {
                match command {
                    Command::Append(entry, notify) => {
                        if let Err(e) = self.write(&entry, &mut batch) {
                            tracing::error!(error = %e, "journal write failed");
                        }
                        waiting.extend(notify);
                    }
                    Command::Stop => stop = true,
                }
            }
            if let Err(e) = self.flush(&mut batch) {
                tracing::error!(error = %e, "journal write failed");
                continue;
            }
            match self.mode {
                FlushMode::Sync => {
                    // The segment is O_DSYNC: a successful flush is on disk.
                    for notify in waiting.drain(..) {
                        let _ = notify.send(());
                    }
                }
                FlushMode::Async => {
                    unsynced = true;
                    if last_sync.elapsed() >= Duration::from_millis(100) {
                        let _ = self.file.sync_data();
                        last_sync = std::time::Instant::now();
                        unsynced = false;
                    }
                }
            }
            if stop {
                break;
            }
        }
        let _ = self.file.sync_all();
    }

    fn prepare_next(&mut self) {
        let path = segment_path(&self.dir, self.segment + 1);
        let size = self.segment_size;
        self.next = std::thread::Builder::new()
            .name("rmq-journal-prealloc".into())
            .spawn(move || preallocate(&path, size, true))
            .ok();
    }

    /// Frames an entry into the batch, rolling to the next segment when this one is full.
    fn write(&mut self, entry: &Entry, batch: &mut Vec<u8>) -> io::Result<()> {
        let used = self.offset + batch.len() as u64;
        let size = (HEADER + entry.encoded_len()) as u64;
        if used > 0 && used + size > self.segment_size {
            self.flush(batch)?;
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
        }
        frame(entry, batch);
        Ok(())
    }

    fn flush(&mut self, batch: &mut Vec<u8>) -> io::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.file.write_all(batch)?;
        self.offset += batch.len() as u64;
        batch.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(now: i64) -> Entry {
        Entry {
            now,
            op: Some(Op::Tick(Tick {})),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rmq-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(segment_dir(&dir)).expect("mkdir");
        dir
    }

    #[test]
    fn short_zero_tails_end_a_segment_cleanly() {
        let dir = scratch("tail");
        for (index, now) in [(0u64, 1i64), (1, 2)] {
            let mut bytes = Vec::new();
            frame(&tick(now), &mut bytes);
            bytes.extend_from_slice(&[0, 0, 0]);
            fs::write(segment_path(&segment_dir(&dir), index), bytes).expect("write");
        }
        let (entries, report, end) = recover(&dir).expect("recover");
        assert_eq!(entries.iter().map(|e| e.now).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(report.truncated_bytes, 0);
        assert_eq!(end.segment, 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn garbage_after_records_is_cut_with_later_segments() {
        let dir = scratch("garbage");
        let mut bytes = Vec::new();
        frame(&tick(1), &mut bytes);
        bytes.extend_from_slice(&[7, 0, 0, 0, 1, 2]);
        fs::write(segment_path(&segment_dir(&dir), 0), &bytes).expect("write");
        let mut later = Vec::new();
        frame(&tick(2), &mut later);
        fs::write(segment_path(&segment_dir(&dir), 1), later).expect("write");
        let (entries, report, end) = recover(&dir).expect("recover");
        assert_eq!(entries.len(), 1);
        assert!(report.truncated_bytes > 0);
        assert_eq!(end.segment, 0);
        assert!(!segment_path(&segment_dir(&dir), 1).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
