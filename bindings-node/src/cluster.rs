//! `MiniCluster`: several in-process mini-brokers under one route (`rmq/testing`).

use crate::broker::{
    BrokerSpec, GroupSpec, StoredMessage, builder, group, ms, parse_code, parse_rpc, stored, topic,
};
use crate::error;
use crate::runtime::promise;
use napi::bindgen_prelude::*;
use parking_lot::Mutex;
use rmq_client as core;
use rmq_mini_broker as mb;
use std::sync::Arc;
use std::time::Duration;

/// Starts `brokers` brokers on 127.0.0.1, each on a free port.
#[napi(ts_return_type = "Promise<MiniCluster>")]
pub fn start_cluster<'env>(
    env: &'env Env,
    brokers: u32,
    spec: BrokerSpec,
) -> Result<PromiseRaw<'env, MiniCluster>> {
    let template = builder(spec).map_err(|why| error::invalid(env, why))?;
    promise(
        env,
        None,
        async move {
            mb::MiniCluster::start(template, brokers as usize)
                .await
                .map_err(|e| {
                    core::Error::new(
                        core::ErrorKind::Unexpected,
                        "cluster",
                        format!("the mini-cluster did not start: {e}"),
                    )
                })
        },
        |_, cluster: mb::MiniCluster| {
            Ok(MiniCluster {
                endpoints: cluster.brokers().iter().map(|b| b.endpoint()).collect(),
                admin_endpoint: cluster.admin_endpoint(),
                inner: Arc::new(Mutex::new(Some(Arc::new(cluster)))),
            })
        },
    )
}

/// A running mini-cluster.
#[napi]
pub struct MiniCluster {
    inner: Arc<Mutex<Option<Arc<mb::MiniCluster>>>>,
    endpoints: Vec<String>,
    admin_endpoint: Option<String>,
}

impl MiniCluster {
    fn cluster(&self, env: &Env) -> Result<Arc<mb::MiniCluster>> {
        self.inner
            .lock()
            .clone()
            .ok_or_else(|| error::closed(env, "cluster"))
    }

    fn index(&self, env: &Env, i: u32) -> Result<usize> {
        let i = i as usize;
        if i < self.endpoints.len() {
            Ok(i)
        } else {
            Err(error::invalid(
                env,
                format!(
                    "broker {i} is out of range: the cluster has {} brokers",
                    self.endpoints.len()
                ),
            ))
        }
    }

    fn targets(&self, env: &Env, broker: Option<u32>) -> Result<Vec<usize>> {
        match broker {
            Some(i) => Ok(vec![self.index(env, i)?]),
            None => Ok((0..self.endpoints.len()).collect()),
        }
    }
}

#[napi]
impl MiniCluster {
    /// `host:port` of the admin facade (any broker's lists the whole cluster), when on.
    #[napi(getter)]
    pub fn admin_endpoint(&self) -> Option<String> {
        self.admin_endpoint.clone()
    }

    /// Every broker's `host:port`, in broker order.
    #[napi(getter)]
    pub fn endpoints(&self) -> Vec<String> {
        self.endpoints.clone()
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn broker_down<'env>(&self, env: &'env Env, i: u32) -> Result<PromiseRaw<'env, ()>> {
        let (cluster, i) = (self.cluster(env)?, self.index(env, i)?);
        promise(
            env,
            None,
            async move {
                cluster.broker_down(i).await;
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn broker_up<'env>(&self, env: &'env Env, i: u32) -> Result<PromiseRaw<'env, ()>> {
        let (cluster, i) = (self.cluster(env)?, self.index(env, i)?);
        promise(
            env,
            None,
            async move {
                cluster.broker_up(i).await.map_err(|e| {
                    core::Error::new(core::ErrorKind::Unexpected, "cluster", e.to_string())
                })
            },
            |_, ()| Ok(()),
        )
    }

    #[napi]
    pub fn set_listed(&self, env: &Env, i: u32, listed: bool) -> Result<()> {
        self.cluster(env)?.set_listed(self.index(env, i)?, listed);
        Ok(())
    }

    #[napi]
    pub fn set_latency(&self, env: &Env, i: u32, latency_ms: f64) -> Result<()> {
        let latency = if latency_ms == 0.0 {
            Duration::ZERO
        } else {
            ms(latency_ms, "latency").map_err(|why| error::invalid(env, why))?
        };
        self.cluster(env)?.set_latency(self.index(env, i)?, latency);
        Ok(())
    }

    #[napi]
    pub fn messages(
        &self,
        env: &Env,
        topic: String,
        broker: Option<u32>,
    ) -> Result<Vec<StoredMessage>> {
        let cluster = self.cluster(env)?;
        let all = self
            .targets(env, broker)?
            .into_iter()
            .flat_map(|i| cluster.broker(i).messages(&topic))
            .collect();
        Ok(stored(all))
    }

    #[napi]
    pub fn rpc_calls(&self, env: &Env, rpc: String, broker: Option<u32>) -> Result<f64> {
        let (cluster, rpc) = (self.cluster(env)?, parse_rpc(env, &rpc)?);
        let calls: u64 = self
            .targets(env, broker)?
            .into_iter()
            .map(|i| cluster.broker(i).rpc_calls(rpc))
            .sum();
        // Counts stay far below 2^53.
        Ok(calls as f64)
    }

    #[napi]
    pub fn fail_rpc(
        &self,
        env: &Env,
        rpc: String,
        code: String,
        times: Option<u32>,
        broker: Option<u32>,
    ) -> Result<()> {
        let cluster = self.cluster(env)?;
        let (rpc, code) = (parse_rpc(env, &rpc)?, parse_code(env, &code)?);
        for i in self.targets(env, broker)? {
            cluster.broker(i).fail_rpc(rpc, code, times);
        }
        Ok(())
    }

    #[napi]
    pub fn clear_faults(&self, env: &Env) -> Result<()> {
        self.cluster(env)?.clear_faults();
        Ok(())
    }

    #[napi]
    pub fn create_topic(&self, env: &Env, name: String, kind: String) -> Result<()> {
        let topic = topic(name, &kind).map_err(|why| error::invalid(env, why))?;
        self.cluster(env)?.create_topic(topic);
        Ok(())
    }

    #[napi]
    pub fn create_group(&self, env: &Env, spec: GroupSpec) -> Result<()> {
        let group = group(spec).map_err(|why| error::invalid(env, why))?;
        self.cluster(env)?.create_group(group);
        Ok(())
    }

    /// Moves every broker's virtual clock; false on wall-clock brokers.
    #[napi]
    pub fn advance(&self, env: &Env, by_ms: f64) -> Result<bool> {
        let by = ms(by_ms, "advance").map_err(|why| error::invalid(env, why))?;
        Ok(self.cluster(env)?.advance(by))
    }

    /// Stops every broker; idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let cluster = self.inner.lock().take();
        promise(
            env,
            None,
            async move {
                // A verb still running holds the other handle only for its own duration.
                if let Some(cluster) = cluster.and_then(|c| Arc::try_unwrap(c).ok()) {
                    cluster.shutdown().await;
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
