//! `MiniBroker`: the in-process mini-broker on the binding's runtime (`rmq/testing`).

use crate::error;
use crate::runtime::promise;
use napi::bindgen_prelude::*;
use parking_lot::Mutex;
use rmq_client as core;
use rmq_mini_broker::proto::{Code, Rpc};
use rmq_mini_broker::{self as mb, GroupConfig, RetryPolicy, TopicConfig, TopicType};
use std::sync::Arc;
use std::time::Duration;

/// A group declaration (`lib/testing.cjs` checks the JS types).
#[napi(object)]
pub struct GroupSpec {
    pub name: String,
    pub fifo: bool,
    /// Deliveries before the dead-letter queue (broker default when absent).
    pub max_attempts: Option<i32>,
    /// Milliseconds before each redelivery to push consumers (Apache's policy when absent).
    pub retry_delays: Option<Vec<f64>>,
    /// Makes it a lite group of this LITE parent topic.
    pub lite_topic: Option<String>,
}

/// A stored message as tests inspect it.
#[napi(object)]
pub struct StoredMessage {
    pub message_id: String,
    pub body: Buffer,
}

/// Everything `MiniBroker.start` takes.
#[napi(object)]
pub struct BrokerSpec {
    /// `[name, type, ...]`.
    pub topics: Vec<String>,
    pub groups: Vec<GroupSpec>,
    pub data_dir: Option<String>,
    pub virtual_clock: bool,
    pub strict: bool,
    pub transaction_check_delay: f64,
    pub transaction_check_interval: f64,
    /// `[accessKey, secretKey, ...]`.
    pub credentials: Vec<String>,
    /// Serve the admin facade on a free loopback port.
    pub admin: bool,
    /// Milliseconds consumed messages are kept; absent keeps every message (the JS layer
    /// applies the default).
    pub retention: Option<f64>,
    /// Journal entries between snapshots; absent never snapshots.
    pub snapshot_every: Option<u32>,
    /// PEM certificate chain and private key files to serve TLS with.
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// Close cleartext connections.
    pub tls_only: bool,
}

pub(crate) type Invalid = String;

pub(crate) fn ms(value: f64, what: &str) -> std::result::Result<Duration, Invalid> {
    core::options::duration_from_millis(what, value).map_err(|e| e.message().to_owned())
}

pub(crate) fn topic(name: String, kind: &str) -> std::result::Result<TopicConfig, Invalid> {
    let kind: TopicType = kind.parse()?;
    Ok(TopicConfig::new(name, kind))
}

pub(crate) fn group(spec: GroupSpec) -> std::result::Result<GroupConfig, Invalid> {
    let mut group = GroupConfig::new(spec.name).fifo(spec.fifo);
    if let Some(parent) = spec.lite_topic {
        group = group.lite(mb::LiteGroup::new(parent));
    }
    if let Some(attempts) = spec.max_attempts {
        if attempts < 1 {
            return Err("maxAttempts must be at least 1".into());
        }
        group = group.max_delivery_attempts(attempts);
    }
    if let Some(delays) = spec.retry_delays.filter(|d| !d.is_empty()) {
        let delays = delays
            .into_iter()
            .map(|d| ms(d, "each retry delay"))
            .collect::<std::result::Result<Vec<Duration>, Invalid>>()?;
        group = group.retry_policy(RetryPolicy::Customized(delays));
    }
    Ok(group)
}

pub(crate) fn builder(spec: BrokerSpec) -> std::result::Result<mb::MiniBrokerBuilder, Invalid> {
    let mut builder = mb::MiniBroker::builder()
        .virtual_clock(spec.virtual_clock)
        .strict(spec.strict)
        .auto_create_groups(true)
        .transaction_check_delay(ms(spec.transaction_check_delay, "transactionCheckDelay")?)
        .transaction_check_interval(ms(
            spec.transaction_check_interval,
            "transactionCheckInterval",
        )?);
    for pair in spec.topics.chunks_exact(2) {
        builder = builder.topic(topic(pair[0].clone(), &pair[1])?);
    }
    for g in spec.groups {
        builder = builder.group(group(g)?);
    }
    if let Some(dir) = spec.data_dir {
        builder = builder.data_dir(dir);
    }
    for pair in spec.credentials.chunks_exact(2) {
        builder = builder.credentials(pair[0].clone(), pair[1].clone());
    }
    if spec.admin {
        builder = builder.admin_listen("127.0.0.1:0");
    }
    match (spec.tls_cert, spec.tls_key) {
        (Some(certificate), Some(key)) => builder = builder.tls(certificate, key),
        (None, None) => {}
        _ => return Err("tlsCert and tlsKey go together".into()),
    }
    let retention = spec.retention.map(|r| ms(r, "retention")).transpose()?;
    Ok(builder
        .retention(retention)
        .snapshot_every(spec.snapshot_every.map(u64::from))
        .tls_only(spec.tls_only))
}

/// Starts a broker on 127.0.0.1 and a free port.
#[napi(ts_return_type = "Promise<MiniBroker>")]
pub fn start_broker<'env>(
    env: &'env Env,
    spec: BrokerSpec,
) -> Result<PromiseRaw<'env, MiniBroker>> {
    let builder = builder(spec).map_err(|why| error::invalid(env, why))?;
    promise(
        env,
        None,
        async move {
            builder.start().await.map_err(|e| {
                core::Error::new(
                    core::ErrorKind::Unexpected,
                    "broker",
                    format!("the mini-broker did not start: {e}"),
                )
            })
        },
        |_, broker: mb::MiniBroker| {
            Ok(MiniBroker {
                endpoint: broker.endpoint(),
                admin_endpoint: broker.admin_endpoint(),
                certificate_pem: broker.tls_certificate_pem().to_owned(),
                inner: Arc::new(Mutex::new(Some(broker))),
            })
        },
    )
}

/// A running in-process broker.
#[napi]
pub struct MiniBroker {
    inner: Arc<Mutex<Option<mb::MiniBroker>>>,
    endpoint: String,
    admin_endpoint: Option<String>,
    certificate_pem: String,
}

impl MiniBroker {
    fn with<T>(&self, env: &Env, f: impl FnOnce(&mb::MiniBroker) -> T) -> Result<T> {
        let inner = self.inner.lock();
        let broker = inner.as_ref().ok_or_else(|| error::closed(env, "broker"))?;
        Ok(f(broker))
    }
}

pub(crate) fn stored(list: Vec<mb::StoredMessage>) -> Vec<StoredMessage> {
    list.into_iter()
        .map(|m| StoredMessage {
            message_id: m.message_id,
            body: Buffer::from(m.body.to_vec()),
        })
        .collect()
}

#[napi]
impl MiniBroker {
    /// `host:port` to connect to.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// `host:port` of the admin facade, when started with it.
    #[napi(getter)]
    pub fn admin_endpoint(&self) -> Option<String> {
        self.admin_endpoint.clone()
    }

    /// The PEM certificate the broker presents to TLS clients.
    #[napi(getter)]
    pub fn tls_certificate_pem(&self) -> String {
        self.certificate_pem.clone()
    }

    /// Moves the virtual clock; false on a wall-clock broker.
    #[napi]
    pub fn advance(&self, env: &Env, by_ms: f64) -> Result<bool> {
        let by = ms(by_ms, "advance").map_err(|why| error::invalid(env, why))?;
        self.with(env, |b| b.advance(by))
    }

    #[napi]
    pub fn create_topic(&self, env: &Env, name: String, kind: String) -> Result<()> {
        let topic = topic(name, &kind).map_err(|why| error::invalid(env, why))?;
        self.with(env, |b| b.create_topic(topic))
    }

    #[napi]
    pub fn create_group(&self, env: &Env, spec: GroupSpec) -> Result<()> {
        let group = group(spec).map_err(|why| error::invalid(env, why))?;
        self.with(env, |b| b.create_group(group))
    }

    #[napi]
    pub fn messages(&self, env: &Env, topic: String) -> Result<Vec<StoredMessage>> {
        self.with(env, |b| stored(b.messages(&topic)))
    }

    #[napi]
    pub fn dead_letters(&self, env: &Env, group: String) -> Result<Vec<StoredMessage>> {
        self.with(env, |b| stored(b.dead_letters(&group)))
    }

    #[napi]
    pub fn rpc_calls(&self, env: &Env, rpc: String) -> Result<f64> {
        // Counts stay far below 2^53.
        let rpc = parse_rpc(env, &rpc)?;
        self.with(env, |b| b.rpc_calls(rpc) as f64)
    }

    #[napi]
    pub fn connected_clients(&self, env: &Env) -> Result<u32> {
        self.with(env, |b| {
            u32::try_from(b.connected_clients()).unwrap_or(u32::MAX)
        })
    }

    /// Makes `rpc` answer with status `code` (a `Code` name such as `"TOO_MANY_REQUESTS"`) for
    /// the next `times` calls, or until `clearFaults`.
    #[napi]
    pub fn fail_rpc(&self, env: &Env, rpc: String, code: String, times: Option<u32>) -> Result<()> {
        let (rpc, code) = (parse_rpc(env, &rpc)?, parse_code(env, &code)?);
        self.with(env, |b| b.fail_rpc(rpc, code, times))
    }

    /// Makes the coming calls of `rpc` answer with `codes`, one per call in order.
    #[napi]
    pub fn push_rpc_errors(&self, env: &Env, rpc: String, codes: Vec<String>) -> Result<()> {
        let rpc = parse_rpc(env, &rpc)?;
        let codes = codes
            .iter()
            .map(|c| parse_code(env, c))
            .collect::<Result<Vec<_>>>()?;
        self.with(env, |b| b.push_rpc_errors(rpc, &codes))
    }

    #[napi]
    pub fn clear_faults(&self, env: &Env) -> Result<()> {
        self.with(env, |b| b.clear_faults())
    }

    /// Stops serving; idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let broker = self.inner.lock().take();
        promise(
            env,
            None,
            async move {
                if let Some(broker) = broker {
                    broker.shutdown().await;
                }
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.lock().is_none()
    }
}

pub(crate) fn parse_rpc(env: &Env, rpc: &str) -> Result<Rpc> {
    rpc.parse()
        .map_err(|e: mb::proto::UnknownRpc| error::invalid(env, e.to_string()))
}

pub(crate) fn parse_code(env: &Env, code: &str) -> Result<Code> {
    Code::from_str_name(code)
        .ok_or_else(|| error::invalid(env, format!("unknown status code {code:?}")))
}
