//! `rmq-mini-broker`: the mini-broker as a process. Prints exactly one line,
//! `rmq-mini-broker listening on HOST:PORT`, to stdout once it accepts connections (and, with
//! `--admin-listen`, a second one, `rmq-mini-broker admin on HOST:PORT`); logs go to stderr.
//! SIGINT or SIGTERM finish in-flight requests and exit 0.

use clap::Parser;
use rmq_mini_broker::{FlushMode, GroupConfig, MiniBroker, MiniCluster, TopicConfig, TopicType};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// An embeddable RocketMQ 5 broker (apache.rocketmq.v2 gRPC) for tests and development.
#[derive(Parser, Debug)]
#[command(name = "rmq-mini-broker", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port. [default: 127.0.0.1:8081]
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// Also serve the admin facade (RocketMQ remoting: what `mqadmin` and Java's
    /// DefaultMQAdminExt send to a name server and a broker) on this address; give it to the
    /// tools as `-n HOST:PORT`. With --brokers, broker i takes PORT+i. [default: off]
    #[arg(long, value_name = "HOST:PORT")]
    admin_listen: Option<String>,
    /// Keep messages and consumer state in a journal under DIR and recover them at start.
    /// Without it the broker runs in memory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// How durable changes reach the disk: sync (answer after fsync; concurrent requests
    /// share one fsync) or async (fsync every 100 ms). [default: sync]
    #[arg(long, value_name = "sync|async")]
    flush: Option<FlushMode>,
    /// TOML file with the same settings (listen, admin_listen, brokers, data_dir, flush, strict,
    /// auto_create_groups, topics, groups, auth, auth_date_window, tls_cert, tls_key, tls_only,
    /// transaction_check_interval, retention, snapshot_every, log). Command-line flags add
    /// to it and win over it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Declare a topic: NAME:TYPE[:QUEUES], TYPE one of NORMAL, FIFO, DELAY, TRANSACTION,
    /// PRIORITY, LITE, MIXED (default 8 queues). Repeatable.
    #[arg(long = "topic", value_name = "NAME:TYPE[:QUEUES]")]
    topics: Vec<String>,
    /// Declare a consumer group: NAME[:fifo][:max-attempts=N], or a lite group
    /// NAME:lite-topic=PARENT[:lite-quota=N][:exclusive]. Repeatable.
    #[arg(
        long = "group",
        value_name = "NAME[:fifo][:max-attempts=N][:lite-topic=PARENT[:lite-quota=N][:exclusive]]"
    )]
    groups: Vec<String>,
    /// Refuse unknown topics and groups (TOPIC_NOT_FOUND / CONSUMER_GROUP_NOT_FOUND) instead
    /// of creating them.
    #[arg(long)]
    strict: bool,
    /// With --strict, still create unknown consumer groups on first use, as a stock Apache
    /// deployment does (topics by an administrator, groups on first use).
    #[arg(long, requires = "strict")]
    auto_create_groups: bool,
    /// PEM certificate chain for TLS (with --tls-key). Without them a self-signed certificate
    /// is generated. TLS and cleartext are served on the same port unless --tls-only.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Close cleartext connections: TLS only, as Apache's tlsMode=enforcing.
    #[arg(long)]
    tls_only: bool,
    /// Require requests signed with this access key and secret key. Repeatable.
    #[arg(long = "auth", value_name = "AK:SK")]
    auth: Vec<String>,
    /// How far a signed date may be from this clock beyond the widest UTC offset (14 h), or
    /// off to accept any date as Apache does. [default: 15m]
    #[arg(long, value_name = "DUR|off")]
    auth_date_window: Option<String>,
    /// Time before the first, and between later, orphaned-transaction checks (e.g. 500ms, 2s).
    #[arg(long, value_name = "DUR")]
    transaction_check_interval: Option<String>,
    /// Start a mini-cluster of N brokers (named broker-0…), each on its own port (free ports
    /// with port 0, else PORT, PORT+1, …), all listed in every route; with --data-dir each
    /// keeps its journal in DIR/broker-<i>. The ready line lists the endpoints joined by `;`.
    #[arg(long, value_name = "N")]
    brokers: Option<usize>,
    /// How long messages every group has consumed are kept (e.g. 10m, 1h, 0s), or `off` to
    /// keep every message. Unconsumed messages are always kept. [default: 1h]
    #[arg(long, value_name = "DUR|off")]
    retention: Option<String>,
    /// With --data-dir: write a snapshot after N journal entries (and at shutdown) and delete
    /// the journal segments it covers, or `off` to keep the whole journal. [default: 100000]
    #[arg(long, value_name = "N|off")]
    snapshot_every: Option<String>,
    /// Log level for stderr: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL")]
    log: Option<String>,
}

/// The config file's shape.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    admin_listen: Option<String>,
    brokers: Option<usize>,
    data_dir: Option<PathBuf>,
    flush: Option<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    auto_create_groups: bool,
    #[serde(default)]
    topics: Vec<FileTopic>,
    #[serde(default)]
    groups: Vec<FileGroup>,
    #[serde(default)]
    auth: Vec<FileAuth>,
    transaction_check_interval: Option<String>,
    retention: Option<String>,
    snapshot_every: Option<String>,
    log: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    tls_only: bool,
    auth_date_window: Option<String>,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileTopic {
    name: String,
    #[serde(rename = "type")]
    topic_type: TopicType,
    queues: Option<u32>,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileGroup {
    name: String,
    #[serde(default)]
    fifo: bool,
    max_attempts: Option<i32>,
    /// Makes it a lite group of this parent topic.
    lite_topic: Option<String>,
    lite_quota: Option<i32>,
    #[serde(default)]
    exclusive: bool,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileAuth {
    access_key: String,
    secret_key: String,
}

/// What `main` starts: the builder, the number of brokers, the log filter.
type Plan = (rmq_mini_broker::MiniBrokerBuilder, usize, String);

fn build(args: Args) -> Result<Plan, String> {
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            toml::from_str(&text).map_err(|e| format!("bad config {}: {e}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let strict = args.strict || file.strict;
    let mut builder = MiniBroker::builder().strict(strict);
    if strict && (args.auto_create_groups || file.auto_create_groups) {
        builder = builder.auto_create_groups(true);
    }
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| format!("127.0.0.1:{}", rmq_proto::limits::DEFAULT_PORT));
    builder = builder.listen(listen);
    if let Some(admin) = args.admin_listen.or(file.admin_listen) {
        builder = builder.admin_listen(admin);
    }
    if let Some(dir) = args.data_dir.or(file.data_dir) {
        builder = builder.data_dir(dir);
    }
    let flush = match (args.flush, file.flush) {
        (Some(mode), _) => Some(mode),
        (None, Some(text)) => Some(text.parse::<FlushMode>()?),
        (None, None) => None,
    };
    if let Some(mode) = flush {
        builder = builder.flush(mode);
    }
    match (
        args.tls_cert.or(file.tls_cert),
        args.tls_key.or(file.tls_key),
    ) {
        (Some(cert), Some(key)) => {
            for file in [&cert, &key] {
                std::fs::metadata(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            }
            builder = builder.tls(cert, key);
        }
        (None, None) => {}
        _ => return Err("tls_cert and tls_key go together".into()),
    }
    builder = builder.tls_only(args.tls_only || file.tls_only);
    if let Some(text) = args.auth_date_window.or(file.auth_date_window) {
        builder = builder.auth_date_window(duration_or_off(&text, "auth date window")?);
    }
    for topic in file.topics {
        let mut config = TopicConfig::new(topic.name, topic.topic_type);
        if let Some(q) = topic.queues {
            config = config.queues(q);
        }
        builder = builder.topic(config);
    }
    for group in file.groups {
        let mut config = GroupConfig::new(group.name).fifo(group.fifo);
        if let Some(n) = group.max_attempts {
            config = config.max_delivery_attempts(n);
        }
        match group.lite_topic {
            Some(parent) => {
                let mut lite = rmq_mini_broker::LiteGroup::new(parent);
                lite.quota = group.lite_quota.unwrap_or(lite.quota);
                lite.exclusive = group.exclusive;
                config = config.lite(lite);
            }
            None if group.lite_quota.is_some() || group.exclusive => {
                return Err(format!(
                    "group {}: lite_quota and exclusive need lite_topic",
                    config.name
                ));
            }
            None => {}
        }
        builder = builder.group(config);
    }
    for auth in file.auth {
        builder = builder.credentials(auth.access_key, auth.secret_key);
    }
    for spec in &args.topics {
        builder = builder.topic(spec.parse()?);
    }
    for spec in &args.groups {
        builder = builder.group(spec.parse()?);
    }
    for spec in &args.auth {
        let (ak, sk) = spec
            .split_once(':')
            .filter(|(ak, sk)| !ak.is_empty() && !sk.is_empty())
            .ok_or(format!("--auth wants AK:SK, got {spec:?}"))?;
        builder = builder.credentials(ak, sk);
    }
    if let Some(text) = args
        .transaction_check_interval
        .or(file.transaction_check_interval)
    {
        let interval: Duration = humantime::parse_duration(&text)
            .map_err(|e| format!("bad transaction check interval {text:?}: {e}"))?;
        builder = builder
            .transaction_check_delay(interval)
            .transaction_check_interval(interval);
    }
    if let Some(text) = args.retention.or(file.retention) {
        builder = builder.retention(duration_or_off(&text, "retention")?);
    }
    if let Some(text) = args.snapshot_every.or(file.snapshot_every) {
        let every = match text.as_str() {
            "off" => None,
            _ => Some(
                text.parse::<u64>()
                    .map_err(|e| format!("bad snapshot interval {text:?}: {e}"))?,
            ),
        };
        builder = builder.snapshot_every(every);
    }
    let log = args.log.or(file.log).unwrap_or_else(|| "info".into());
    let brokers = args.brokers.or(file.brokers).unwrap_or(1);
    if brokers == 0 {
        return Err("--brokers must be at least 1".into());
    }
    Ok((builder, brokers, log))
}

fn main() -> ExitCode {
    let (builder, brokers, log) = match build(Args::parse()) {
        Ok(b) => b,
        Err(message) => {
            eprintln!("rmq-mini-broker: {message}");
            return ExitCode::from(2);
        }
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rmq-mini-broker: bad --log {log:?}: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rmq-mini-broker: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let started = if brokers == 1 {
            builder.start().await.map(|b| Running::One(Box::new(b)))
        } else {
            MiniCluster::start(builder, brokers)
                .await
                .map(Running::Cluster)
        };
        let broker = match started {
            Ok(b) => b,
            Err(e) => {
                eprintln!("rmq-mini-broker: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Signal handlers exist before readiness is announced, so a SIGTERM sent right
        // after the ready line still means a clean shutdown.
        let signals = match Signals::install() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("rmq-mini-broker: cannot install signal handlers: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "rmq-mini-broker listening on {}", broker.endpoint());
        if let Some(admin) = broker.admin_endpoint() {
            let _ = writeln!(stdout, "rmq-mini-broker admin on {admin}");
        }
        let _ = stdout.flush();
        signals.wait().await;
        tracing::info!("shutting down");
        broker.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// SIGINT and SIGTERM listeners.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// One broker or a mini-cluster, as `--brokers` asked.
enum Running {
    One(Box<MiniBroker>),
    Cluster(MiniCluster),
}

impl Running {
    fn endpoint(&self) -> String {
        match self {
            Running::One(b) => b.endpoint(),
            Running::Cluster(c) => c.endpoints(),
        }
    }

    fn admin_endpoint(&self) -> Option<String> {
        match self {
            Running::One(b) => b.admin_endpoint(),
            Running::Cluster(c) => c.admin_endpoint(),
        }
    }

    async fn shutdown(self) {
        match self {
            Running::One(b) => b.shutdown().await,
            Running::Cluster(c) => c.shutdown().await,
        }
    }
}

/// A duration such as `10m`, or `off` (None).
fn duration_or_off(text: &str, what: &str) -> Result<Option<Duration>, String> {
    match text {
        "off" => Ok(None),
        _ => humantime::parse_duration(text)
            .map(Some)
            .map_err(|e| format!("bad {what} {text:?}: {e}")),
    }
}
