//! `MiniBrokerBuilder`: every option of a broker, with defaults suited to tests.

use crate::metadata::{GroupConfig, TopicConfig};
use crate::store::journal::{DiskFaults, FlushMode};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Default of [`MiniBrokerBuilder::auth_date_window`].
pub const DEFAULT_AUTH_DATE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why a broker could not start.
#[derive(Debug)]
pub struct StartError(String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl StartError {
    pub(crate) fn new(message: impl Into<String>) -> StartError {
        StartError(message.into())
    }
}

/// Configures and starts a [`MiniBroker`]. Every option has a default suited to tests.
#[derive(Clone, Debug)]
pub struct MiniBrokerBuilder {
    pub(super) listen: String,
    pub(super) admin_listen: Option<String>,
    pub(super) broker_name: String,
    pub(super) topics: Vec<TopicConfig>,
    pub(super) groups: Vec<GroupConfig>,
    pub(super) auto_create: bool,
    pub(super) auto_create_groups: bool,
    pub(super) credentials: HashMap<String, String>,
    pub(super) auth_date_window: Option<Duration>,
    pub(super) virtual_clock: bool,
    pub(super) max_body_size: usize,
    pub(super) max_lite_topics: Option<usize>,
    pub(super) transaction_check_delay: Duration,
    pub(super) transaction_check_interval: Duration,
    pub(super) transaction_check_max: u32,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) flush: FlushMode,
    pub(super) segment_size: u64,
    pub(super) retention: Option<Duration>,
    pub(super) snapshot_every: Option<u64>,
    pub(super) disk_faults: DiskFaults,
    pub(super) tls_files: Option<(PathBuf, PathBuf)>,
    pub(super) tls_only: bool,
}

impl Default for MiniBrokerBuilder {
    fn default() -> Self {
        MiniBrokerBuilder {
            listen: "127.0.0.1:0".into(),
            admin_listen: None,
            broker_name: "broker-0".into(),
            topics: Vec::new(),
            groups: Vec::new(),
            auto_create: true,
            auto_create_groups: true,
            credentials: HashMap::new(),
            auth_date_window: Some(DEFAULT_AUTH_DATE_WINDOW),
            virtual_clock: false,
            max_body_size: rmq_proto::limits::MAX_BODY_SIZE,
            max_lite_topics: None,
            transaction_check_delay: Duration::from_secs(1),
            transaction_check_interval: Duration::from_secs(1),
            transaction_check_max: 15,
            data_dir: None,
            flush: FlushMode::Sync,
            segment_size: 16 * 1024 * 1024,
            retention: Some(Duration::from_secs(3600)),
            snapshot_every: Some(100_000),
            disk_faults: DiskFaults::default(),
            tls_files: None,
            tls_only: false,
        }
    }
}

impl MiniBrokerBuilder {
    /// How long consumed messages are kept: a message every group with progress on its
    /// topic has consumed is dropped once this old (Apache keeps commit-log files
    /// `fileReservedTime`, 72 h, whatever was consumed; unconsumed messages are never dropped
    /// here). `None` keeps every message. Default 1 hour. Applies in memory and on disk;
    /// on disk the space comes back at the next snapshot.
    pub fn retention(mut self, retention: Option<Duration>) -> Self {
        self.retention = retention;
        self
    }

    /// Durable mode: a snapshot of the whole state is written once this many journal entries
    /// were appended since the last one (and at shutdown), and the journal segments it covers
    /// are deleted, so a restart reads one snapshot and at most this many entries. `None`
    /// never snapshots: the journal keeps every entry. Default 100,000.
    pub fn snapshot_every(mut self, entries: Option<u64>) -> Self {
        self.snapshot_every = entries.map(|n| n.max(1));
        self
    }

    /// Address to listen on. Default `127.0.0.1:0` (a free port).
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Also serves the admin facade on `addr` (`127.0.0.1:0` for a free port): the RocketMQ
    /// remoting requests Apache's tools send to a name server and a broker — `mqadmin
    /// updateTopic`, `updateSubGroup`, `deleteTopic`, `deleteSubGroup`, `topicRoute`,
    /// `topicList`, `topicStatus`, `clusterList`, `getConsumerConfig` — so topics (with their
    /// `message.type`) and groups (orderly or not, retries) can be created the way production
    /// tooling does. Give this address as the tools' name server (`-n`). Default: off.
    pub fn admin_listen(mut self, addr: impl Into<String>) -> Self {
        self.admin_listen = Some(addr.into());
        self
    }

    /// Broker name shown in routes and receipt handles. Default `broker-0`.
    pub fn broker_name(mut self, name: impl Into<String>) -> Self {
        self.broker_name = name.into();
        self
    }

    /// Declares a topic.
    pub fn topic(mut self, topic: TopicConfig) -> Self {
        self.topics.push(topic);
        self
    }

    /// Declares a consumer group.
    pub fn group(mut self, group: GroupConfig) -> Self {
        self.groups.push(group);
        self
    }

    /// Refuses unknown topics and groups (`TOPIC_NOT_FOUND`, `CONSUMER_GROUP_NOT_FOUND`) like
    /// a production proxy. Default off: unknown topics are created accepting every message
    /// type, unknown groups as non-FIFO groups.
    pub fn strict(mut self, strict: bool) -> Self {
        self.auto_create = !strict;
        self.auto_create_groups = !strict;
        self
    }

    /// Whether unknown consumer groups are created on first use, as Apache brokers do by
    /// default (`autoCreateSubscriptionGroup`). Default on; `strict(true)` turns it off, and
    /// calling this after `strict` sets it on its own: a strict broker with auto-created
    /// groups refuses unknown topics only, like a stock Apache deployment.
    pub fn auto_create_groups(mut self, on: bool) -> Self {
        self.auto_create_groups = on;
        self
    }

    /// Requires requests signed with this access key / secret key pair (may be repeated).
    /// Default: no authentication.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials
            .insert(access_key.into(), secret_key.into());
        self
    }

    /// How far the `x-mq-date-time` a request is signed over may be from this machine's
    /// clock, beyond the widest UTC offset (14 h: the official Java, Go and Python clients
    /// sign their local time marked `Z`); an older or newer date is refused with
    /// UNAUTHORIZED, so a captured request cannot be replayed days later. `None` accepts any
    /// date, as Apache does. Default 15 minutes. Only with [`credentials`](Self::credentials).
    pub fn auth_date_window(mut self, window: Option<Duration>) -> Self {
        self.auth_date_window = window;
        self
    }

    /// Runs on a virtual clock that only [`MiniBroker::advance`] moves. Default off.
    pub fn virtual_clock(mut self, on: bool) -> Self {
        self.virtual_clock = on;
        self
    }

    /// Largest accepted message body. Default 4 MiB.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Most lite topics the broker holds; a send that would create one more is refused with
    /// `LITE_TOPIC_QUOTA_EXCEEDED` (42901), as Apache with `enableLmqQuota=true` and
    /// `maxLmqConsumeQueueNum`. Default unbounded (Apache's default: no quota).
    pub fn max_lite_topics(mut self, topics: Option<usize>) -> Self {
        self.max_lite_topics = topics;
        self
    }

    /// Time before the first orphaned-transaction check of an undecided half message.
    /// Default 1 s (Apache: 6 s to 36 s).
    pub fn transaction_check_delay(mut self, delay: Duration) -> Self {
        self.transaction_check_delay = delay;
        self
    }

    /// Time between later transaction checks. Default 1 s (Apache: 30 s).
    pub fn transaction_check_interval(mut self, interval: Duration) -> Self {
        self.transaction_check_interval = interval;
        self
    }

    /// Checks before an undecided half message is discarded. Default 15, as on Apache.
    pub fn transaction_check_max(mut self, checks: u32) -> Self {
        self.transaction_check_max = checks;
        self
    }

    /// Keeps everything in a journal under `dir` (created if missing) and recovers from it at
    /// start. Default: in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// How durable-mode changes reach the disk. Default [`FlushMode::Sync`]: an RPC answers
    /// only once its change is on disk (concurrent changes share one durable write).
    pub fn flush(mut self, mode: FlushMode) -> Self {
        self.flush = mode;
        self
    }

    /// Size of each journal segment file, pre-allocated when created. Default 16 MiB.
    pub fn segment_size(mut self, bytes: u64) -> Self {
        self.segment_size = bytes;
        self
    }

    /// Test-only: the journal writes through `faults`, which the caller arms to make them
    /// fail as a full or broken disk would. Not part of the supported API.
    #[doc(hidden)]
    pub fn disk_faults(mut self, faults: DiskFaults) -> Self {
        self.disk_faults = faults;
        self
    }

    /// Serves TLS with this PEM certificate chain and private key. Default: a self-signed
    /// certificate for `localhost` and `127.0.0.1`, generated at start. Either way the port
    /// also takes cleartext connections, as an Apache proxy does.
    pub fn tls(mut self, certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls_files = Some((certificate.into(), key.into()));
        self
    }

    /// Closes cleartext connections: the broker's ports (and the admin port) take TLS only,
    /// as an Apache proxy with `tlsMode=enforcing`. Default false (TLS and cleartext, as
    /// `tlsMode=permissive`, Apache's default).
    pub fn tls_only(mut self, on: bool) -> Self {
        self.tls_only = on;
        self
    }

    /// The host and port of `listen`, for brokers started next to this one.
    pub(crate) fn listen_host_port(&self) -> Result<(String, u16), StartError> {
        host_port(&self.listen)
    }

    /// The host and port of `admin_listen`, when set.
    pub(crate) fn admin_host_port(&self) -> Result<Option<(String, u16)>, StartError> {
        self.admin_listen.as_deref().map(host_port).transpose()
    }

    pub(crate) fn data_dir_path(&self) -> Option<&std::path::Path> {
        self.data_dir.as_deref()
    }
}

fn host_port(addr: &str) -> Result<(String, u16), StartError> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| StartError(format!("cannot listen on {addr}: no port")))?;
    let port = port
        .parse()
        .map_err(|_| StartError(format!("cannot listen on {addr}: bad port")))?;
    Ok((host.to_owned(), port))
}
