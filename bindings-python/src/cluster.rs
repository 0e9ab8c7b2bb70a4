//! `rmq._native.MiniCluster`: several in-process mini-brokers under one route.

use crate::broker::{
    BrokerSpec, GroupSpec, builder, group, parse_code, parse_rpc, stored_list, topic,
};
use crate::convert::seconds;
use crate::runtime::{Owner, block_on};
use parking_lot::Mutex;
use pyo3::exceptions::{PyIndexError, PyOSError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use rmq_mini_broker as mb;

/// A running mini-cluster.
#[pyclass(module = "rmq._native", frozen)]
pub struct MiniCluster {
    inner: Mutex<Option<std::sync::Arc<mb::MiniCluster>>>,
    endpoints: Vec<String>,
    admin_endpoint: Option<String>,
    owner: Owner,
}

impl MiniCluster {
    fn cluster(&self) -> PyResult<std::sync::Arc<mb::MiniCluster>> {
        self.owner.check("cluster")?;
        self.inner
            .lock()
            .clone()
            .ok_or_else(|| crate::error::closed("the cluster is closed".into()))
    }

    fn index(&self, i: usize) -> PyResult<usize> {
        if i < self.endpoints.len() {
            Ok(i)
        } else {
            Err(PyIndexError::new_err(format!(
                "broker {i} is out of range: the cluster has {} brokers",
                self.endpoints.len()
            )))
        }
    }

    /// The brokers a per-broker verb applies to: one, or all.
    fn targets(&self, broker: Option<usize>) -> PyResult<Vec<usize>> {
        match broker {
            Some(i) => Ok(vec![self.index(i)?]),
            None => Ok((0..self.endpoints.len()).collect()),
        }
    }
}

#[pymethods]
impl MiniCluster {
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn start(
        py: Python<'_>,
        brokers: usize,
        topics: Vec<(String, String)>,
        groups: Vec<GroupSpec>,
        data_dir: Option<std::path::PathBuf>,
        virtual_clock: bool,
        strict: bool,
        transaction_check_delay: f64,
        transaction_check_interval: f64,
        credentials: Vec<(String, String)>,
        admin: bool,
        retention: Option<f64>,
        snapshot_every: Option<u64>,
        tls_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
        tls_only: bool,
    ) -> PyResult<MiniCluster> {
        let template = builder(BrokerSpec {
            topics,
            groups,
            data_dir,
            virtual_clock,
            strict,
            transaction_check_delay,
            transaction_check_interval,
            credentials,
            admin,
            retention,
            snapshot_every,
            tls_files,
            tls_only,
        })?;
        let cluster = block_on(py, mb::MiniCluster::start(template, brokers))?
            .map_err(|e| PyOSError::new_err(format!("the mini-cluster did not start: {e}")))?;
        Ok(MiniCluster {
            endpoints: cluster.brokers().iter().map(|b| b.endpoint()).collect(),
            admin_endpoint: cluster.admin_endpoint(),
            inner: Mutex::new(Some(std::sync::Arc::new(cluster))),
            owner: Owner::here(),
        })
    }

    /// `host:port` of the admin facade (any broker's answers for the cluster), when on.
    #[getter]
    fn admin_endpoint(&self) -> Option<&str> {
        self.admin_endpoint.as_deref()
    }

    /// Every broker's `host:port`, in broker order.
    #[getter]
    fn endpoints(&self) -> Vec<String> {
        self.endpoints.clone()
    }

    fn broker_down(&self, py: Python<'_>, i: usize) -> PyResult<()> {
        let (cluster, i) = (self.cluster()?, self.index(i)?);
        block_on(py, async move { cluster.broker_down(i).await })
    }

    fn broker_up(&self, py: Python<'_>, i: usize) -> PyResult<()> {
        let (cluster, i) = (self.cluster()?, self.index(i)?);
        block_on(py, async move { cluster.broker_up(i).await })?
            .map_err(|e| PyOSError::new_err(e.to_string()))
    }

    fn set_listed(&self, i: usize, listed: bool) -> PyResult<()> {
        self.cluster()?.set_listed(self.index(i)?, listed);
        Ok(())
    }

    fn set_latency(&self, i: usize, latency: f64) -> PyResult<()> {
        let latency = if latency == 0.0 {
            std::time::Duration::ZERO
        } else {
            seconds(latency, "latency")?
        };
        self.cluster()?.set_latency(self.index(i)?, latency);
        Ok(())
    }

    #[pyo3(signature = (topic, broker=None))]
    fn messages<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        broker: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let cluster = self.cluster()?;
        let stored = self
            .targets(broker)?
            .into_iter()
            .flat_map(|i| cluster.broker(i).messages(topic))
            .collect();
        stored_list(py, stored)
    }

    #[pyo3(signature = (rpc, broker=None))]
    fn rpc_calls(&self, rpc: &str, broker: Option<usize>) -> PyResult<u64> {
        let (cluster, rpc) = (self.cluster()?, parse_rpc(rpc)?);
        Ok(self
            .targets(broker)?
            .into_iter()
            .map(|i| cluster.broker(i).rpc_calls(rpc))
            .sum())
    }

    #[pyo3(signature = (rpc, code, times=None, broker=None))]
    fn fail_rpc(
        &self,
        rpc: &str,
        code: &str,
        times: Option<u32>,
        broker: Option<usize>,
    ) -> PyResult<()> {
        let (cluster, rpc, code) = (self.cluster()?, parse_rpc(rpc)?, parse_code(code)?);
        for i in self.targets(broker)? {
            cluster.broker(i).fail_rpc(rpc, code, times);
        }
        Ok(())
    }

    fn clear_faults(&self) -> PyResult<()> {
        self.cluster()?.clear_faults();
        Ok(())
    }

    fn create_topic(&self, name: String, kind: &str) -> PyResult<()> {
        let topic = topic(name, kind)?;
        self.cluster()?.create_topic(topic);
        Ok(())
    }

    fn create_group(&self, spec: GroupSpec) -> PyResult<()> {
        let group = group(spec)?;
        self.cluster()?.create_group(group);
        Ok(())
    }

    /// Moves every broker's virtual clock; false on wall-clock brokers.
    fn advance(&self, py: Python<'_>, by: f64) -> PyResult<bool> {
        let (cluster, by) = (self.cluster()?, seconds(by, "advance")?);
        Ok(py.detach(|| cluster.advance(by)))
    }

    /// Stops every broker; idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.owner.check("cluster")?;
        let cluster = self.inner.lock().take();
        if let Some(cluster) = cluster {
            // A verb still running on another thread may hold it; then its brokers stop
            // when that verb returns and drops the last handle.
            if let Ok(cluster) = std::sync::Arc::try_unwrap(cluster) {
                block_on(py, cluster.shutdown())?;
            }
        }
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.lock().is_none()
    }
}
