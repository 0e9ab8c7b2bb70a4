//! `rmq._native.MiniBroker`: the in-process mini-broker on the binding's runtime.

use crate::convert::seconds;
use crate::runtime::{Owner, block_on};
use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use rmq_mini_broker::proto::{Code, Rpc};
use rmq_mini_broker::{self as mb, GroupConfig, RetryPolicy, TopicConfig, TopicType};
use std::time::Duration;

/// A group declaration from Python: name, FIFO, max delivery attempts (0: default), retry
/// delays in seconds (empty: the Apache default policy).
/// (name, fifo, max attempts (0: default), retry delays, lite parent topic).
pub(crate) type GroupSpec = (String, bool, i32, Vec<f64>, Option<String>);

/// A running in-process broker.
#[pyclass(module = "rmq._native", frozen)]
pub struct MiniBroker {
    inner: Mutex<Option<mb::MiniBroker>>,
    endpoint: String,
    admin_endpoint: Option<String>,
    certificate_pem: String,
    owner: Owner,
}

pub(crate) fn topic(name: String, kind: &str) -> PyResult<TopicConfig> {
    let kind: TopicType = kind.parse().map_err(PyValueError::new_err)?;
    Ok(TopicConfig::new(name, kind))
}

pub(crate) fn group((name, fifo, attempts, delays, lite): GroupSpec) -> PyResult<GroupConfig> {
    let mut group = GroupConfig::new(name).fifo(fifo);
    if let Some(parent) = lite {
        group = group.lite(mb::LiteGroup::new(parent));
    }
    if attempts < 0 {
        return Err(PyValueError::new_err("max_attempts must be at least 1"));
    }
    if attempts > 0 {
        group = group.max_delivery_attempts(attempts);
    }
    if !delays.is_empty() {
        let delays = delays
            .into_iter()
            .map(|d| seconds(d, "a retry delay"))
            .collect::<PyResult<Vec<Duration>>>()?;
        group = group.retry_policy(RetryPolicy::Customized(delays));
    }
    Ok(group)
}

/// The broker settings Python passes, checked by `rmq.testing`.
pub(crate) struct BrokerSpec {
    pub(crate) topics: Vec<(String, String)>,
    pub(crate) groups: Vec<GroupSpec>,
    pub(crate) data_dir: Option<std::path::PathBuf>,
    pub(crate) virtual_clock: bool,
    pub(crate) strict: bool,
    pub(crate) transaction_check_delay: f64,
    pub(crate) transaction_check_interval: f64,
    pub(crate) credentials: Vec<(String, String)>,
    /// Serve the admin facade on a free loopback port.
    pub(crate) admin: bool,
    /// Seconds consumed messages are kept; `None` keeps every message.
    pub(crate) retention: Option<f64>,
    /// Journal entries between snapshots; `None` never snapshots.
    pub(crate) snapshot_every: Option<u64>,
    /// PEM certificate and key files to serve TLS with (default self-signed).
    pub(crate) tls_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// Close cleartext connections.
    pub(crate) tls_only: bool,
}

/// One builder for a broker and for each broker of a cluster.
pub(crate) fn builder(spec: BrokerSpec) -> PyResult<mb::MiniBrokerBuilder> {
    let mut builder = mb::MiniBroker::builder()
        .virtual_clock(spec.virtual_clock)
        .strict(spec.strict)
        .auto_create_groups(true)
        .transaction_check_delay(seconds(
            spec.transaction_check_delay,
            "transaction_check_delay",
        )?)
        .transaction_check_interval(seconds(
            spec.transaction_check_interval,
            "transaction_check_interval",
        )?);
    for (name, kind) in spec.topics {
        builder = builder.topic(topic(name, &kind)?);
    }
    for group_spec in spec.groups {
        builder = builder.group(group(group_spec)?);
    }
    if let Some(dir) = spec.data_dir {
        builder = builder.data_dir(dir);
    }
    for (ak, sk) in spec.credentials {
        builder = builder.credentials(ak, sk);
    }
    if spec.admin {
        builder = builder.admin_listen("127.0.0.1:0");
    }
    if let Some((certificate, key)) = spec.tls_files {
        builder = builder.tls(certificate, key);
    }
    let retention = spec
        .retention
        .map(|s| seconds(s, "retention"))
        .transpose()?;
    Ok(builder
        .retention(retention)
        .snapshot_every(spec.snapshot_every)
        .tls_only(spec.tls_only))
}

impl MiniBroker {
    fn with<T>(&self, f: impl FnOnce(&mb::MiniBroker) -> T) -> PyResult<T> {
        self.owner.check("broker")?;
        let inner = self.inner.lock();
        let broker = inner
            .as_ref()
            .ok_or_else(|| crate::error::closed("the broker is closed".into()))?;
        Ok(f(broker))
    }
}

#[pymethods]
impl MiniBroker {
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn start(
        py: Python<'_>,
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
    ) -> PyResult<MiniBroker> {
        let builder = builder(BrokerSpec {
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
        let broker = block_on(py, builder.start())?
            .map_err(|e| PyOSError::new_err(format!("the mini-broker did not start: {e}")))?;
        Ok(MiniBroker {
            endpoint: broker.endpoint(),
            admin_endpoint: broker.admin_endpoint(),
            certificate_pem: broker.tls_certificate_pem().to_owned(),
            inner: Mutex::new(Some(broker)),
            owner: Owner::here(),
        })
    }

    /// `host:port` to connect to.
    #[getter]
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `host:port` of the admin facade, when started with it.
    #[getter]
    fn admin_endpoint(&self) -> Option<&str> {
        self.admin_endpoint.as_deref()
    }

    /// The PEM certificate the broker presents to TLS clients.
    #[getter]
    fn tls_certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// Moves the virtual clock; false on a wall-clock broker.
    fn advance(&self, py: Python<'_>, by: f64) -> PyResult<bool> {
        let by = seconds(by, "advance")?;
        // Firing timers can take a moment on a busy broker; other threads keep running.
        self.owner.check("broker")?;
        let inner = &self.inner;
        py.detach(|| {
            let inner = inner.lock();
            inner.as_ref().map(|b| b.advance(by))
        })
        .ok_or_else(|| crate::error::closed("the broker is closed".into()))
    }

    fn create_topic(&self, name: String, kind: &str) -> PyResult<()> {
        let topic = topic(name, kind)?;
        self.with(|b| b.create_topic(topic))
    }

    fn create_group(&self, spec: GroupSpec) -> PyResult<()> {
        let group = group(spec)?;
        self.with(|b| b.create_group(group))
    }

    /// `(message_id, body)` of every stored message of `topic`.
    fn messages<'py>(&self, py: Python<'py>, topic: &str) -> PyResult<Bound<'py, PyList>> {
        let stored = self.with(|b| b.messages(topic))?;
        stored_list(py, stored)
    }

    /// `(message_id, body)` of every message in the group's dead-letter queue.
    fn dead_letters<'py>(&self, py: Python<'py>, group: &str) -> PyResult<Bound<'py, PyList>> {
        let stored = self.with(|b| b.dead_letters(group))?;
        stored_list(py, stored)
    }

    fn rpc_calls(&self, rpc: &str) -> PyResult<u64> {
        let rpc = parse_rpc(rpc)?;
        self.with(|b| b.rpc_calls(rpc))
    }

    fn connected_clients(&self) -> PyResult<usize> {
        self.with(|b| b.connected_clients())
    }

    /// Makes `rpc` answer with the status `code` (a `Code` name such as
    /// `"TOO_MANY_REQUESTS"`) for the next `times` calls, or until `clear_faults`.
    #[pyo3(signature = (rpc, code, times=None))]
    fn fail_rpc(&self, rpc: &str, code: &str, times: Option<u32>) -> PyResult<()> {
        let (rpc, code) = (parse_rpc(rpc)?, parse_code(code)?);
        self.with(|b| b.fail_rpc(rpc, code, times))
    }

    /// Makes the coming calls of `rpc` answer with `codes`, one per call in order.
    fn push_rpc_errors(&self, rpc: &str, codes: Vec<String>) -> PyResult<()> {
        let rpc = parse_rpc(rpc)?;
        let codes = codes
            .iter()
            .map(|c| parse_code(c))
            .collect::<PyResult<Vec<_>>>()?;
        self.with(|b| b.push_rpc_errors(rpc, &codes))
    }

    fn clear_faults(&self) -> PyResult<()> {
        self.with(|b| b.clear_faults())
    }

    /// Stops serving; idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.owner.check("broker")?;
        let broker = self.inner.lock().take();
        if let Some(broker) = broker {
            block_on(py, broker.shutdown())?;
        }
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.lock().is_none()
    }
}

pub(crate) fn stored_list<'py>(
    py: Python<'py>,
    stored: Vec<mb::StoredMessage>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for m in stored {
        let entry = PyTuple::new(
            py,
            [
                m.message_id.into_pyobject(py)?.into_any(),
                PyBytes::new(py, &m.body).into_any(),
            ],
        )?;
        list.append(entry)?;
    }
    Ok(list)
}

pub(crate) fn parse_rpc(rpc: &str) -> PyResult<Rpc> {
    rpc.parse()
        .map_err(|e: mb::proto::UnknownRpc| PyValueError::new_err(e.to_string()))
}

pub(crate) fn parse_code(code: &str) -> PyResult<Code> {
    Code::from_str_name(code)
        .ok_or_else(|| PyValueError::new_err(format!("unknown status code {code:?}")))
}
