//! The two clusters the failover scenario runs on, behind one type: a real Apache RocketMQ
//! cluster driven by `interop/apache/server.sh`, or an in-process `MiniCluster`.

use crate::REQUEST_TIMEOUT;
use rmq_client::ClientConfig;
use rmq_interop_scenarios::{FAILOVER_TOPIC, unique};
use rmq_mini_broker::{FlushMode, MiniBroker, MiniCluster, TopicConfig, TopicType};
use std::path::{Path, PathBuf};

/// A cluster of two brokers, the first of which the scenario stops and starts again.
pub(crate) enum Cluster {
    /// Apache RocketMQ 5.5.0 run by `interop/apache/server.sh start-cluster`.
    Apache { endpoint: String, dir: PathBuf },
    /// Two in-process mini-brokers.
    Mini {
        cluster: MiniCluster,
        _data: TempDir,
    },
}

impl Cluster {
    pub(crate) async fn start() -> Cluster {
        let endpoint = std::env::var("RMQ_SCENARIO_ENDPOINT").unwrap_or_default();
        let dir = std::env::var("RMQ_APACHE_CLUSTER_DIR").unwrap_or_default();
        if !endpoint.is_empty() && !dir.is_empty() {
            let dir = PathBuf::from(dir);
            assert!(
                dir.is_absolute(),
                "RMQ_APACHE_CLUSTER_DIR must be absolute (cargo runs tests in the package's \
                 directory): {dir:?}"
            );
            return Cluster::Apache { endpoint, dir };
        }
        let data = TempDir::new();
        // Strict like a production proxy, groups created on first use as on Apache.
        let template = MiniBroker::builder()
            .strict(true)
            .auto_create_groups(true)
            .topic(TopicConfig::new(FAILOVER_TOPIC, TopicType::Normal).queues(4))
            .data_dir(&data.0)
            .flush(FlushMode::Sync);
        let cluster = MiniCluster::start(template, 2)
            .await
            .expect("mini-cluster starts");
        Cluster::Mini {
            cluster,
            _data: data,
        }
    }

    /// The name of the broker the scenario stops, as routes and receipt handles give it.
    pub(crate) fn stopped_broker(&self) -> &'static str {
        match self {
            Cluster::Apache { .. } => "broker-a",
            Cluster::Mini { .. } => "broker-0",
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Cluster::Apache { .. } => "Apache RocketMQ 5.5.0 cluster (broker-a SIGKILLed)",
            Cluster::Mini { .. } => "mini-cluster (broker 0 down with its state kept)",
        }
    }

    /// Clients reach the cluster through an access point that stays up, as through Apache's
    /// proxy: on the mini-cluster, the broker that is not stopped (routes asked of it list
    /// both brokers, and clients talk to each at its own endpoint). With the stopped broker
    /// as an access point too, a consumer started during the outage gets no assignment, and
    /// a receive the outage cuts can leave a message leased for good (FIDELITY.md, "Broker
    /// failover").
    pub(crate) fn config(&self) -> ClientConfig {
        let endpoints = match self {
            Cluster::Apache { endpoint, .. } => endpoint.clone(),
            Cluster::Mini { cluster, .. } => cluster.broker(1).endpoint(),
        };
        ClientConfig::builder()
            .endpoints(endpoints)
            .request_timeout(REQUEST_TIMEOUT)
            .build()
            .expect("client config")
    }

    /// Where the mini-cluster holds acknowledged messages `group` never consumed: in flight
    /// (delivered and invisible) on a broker, stored, or nowhere. Apache cannot be asked.
    pub(crate) fn whereabouts(&self, group: &str, missing: &[u64]) -> Vec<String> {
        let Cluster::Mini { cluster, .. } = self else {
            return Vec::new();
        };
        let number = |body: &[u8]| String::from_utf8_lossy(body).parse::<u64>().ok();
        missing
            .iter()
            .map(|n| {
                for (i, broker) in cluster.brokers().iter().enumerate() {
                    let in_flight = broker.in_flight(group, FAILOVER_TOPIC);
                    if let Some((_, attempt)) =
                        in_flight.iter().find(|(m, _)| number(&m.body) == Some(*n))
                    {
                        return format!("#{n}: in flight on broker-{i}, attempt {attempt}");
                    }
                    if broker
                        .messages(FAILOVER_TOPIC)
                        .iter()
                        .any(|m| number(&m.body) == Some(*n))
                    {
                        return format!("#{n}: stored on broker-{i}, not in flight");
                    }
                }
                format!("#{n}: not stored")
            })
            .collect()
    }

    /// Stops the first broker; returns once it no longer serves.
    pub(crate) async fn kill(&self) {
        match self {
            Cluster::Apache { dir, .. } => server_sh("kill-broker", dir, "broker-a").await,
            Cluster::Mini { cluster, .. } => cluster.broker_down(0).await,
        }
    }

    /// Starts the first broker again; returns once it serves and the name server lists it.
    pub(crate) async fn restart(&self) {
        match self {
            Cluster::Apache { dir, .. } => server_sh("start-broker", dir, "broker-a").await,
            Cluster::Mini { cluster, .. } => cluster.broker_up(0).await.expect("broker_up"),
        }
    }
}

/// Runs `server.sh ACTION DIR NAME` (it waits for the broker or proxy itself), off the
/// runtime's threads so sends and consumption go on meanwhile.
pub(crate) async fn server_sh(action: &'static str, dir: &Path, name: &'static str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../apache/server.sh");
    let dir = dir.to_owned();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(&script)
            .arg(action)
            .arg(&dir)
            .arg(name)
            .status()
    })
    .await
    .expect("server.sh task")
    .expect("server.sh runs");
    assert!(status.success(), "server.sh {action} failed: {status}");
}

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        let dir = std::env::temp_dir().join(unique("rmq-failover"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
