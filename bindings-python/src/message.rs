//! Messages in and out: `Message` (checked by the core's builder before any I/O),
//! `MessageView` (what consumers get), `SendReceipt` and `FilterExpression`. This side only
//! converts Python values; the core checks them.

use crate::error::{self, IntoPy};
use parking_lot::Mutex;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use rmq_client as core;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A message to send.
#[pyclass(module = "rmq", frozen)]
pub struct Message {
    pub(crate) inner: core::Message,
}

#[pymethods]
impl Message {
    #[new]
    #[pyo3(signature = (topic, body, *, tag=None, keys=None, properties=None, message_group=None, delivery_timestamp=None, priority=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        topic: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        tag: Option<&Bound<'_, PyAny>>,
        keys: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
        message_group: Option<&Bound<'_, PyAny>>,
        delivery_timestamp: Option<&Bound<'_, PyAny>>,
        priority: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Message> {
        let topic = string(topic, "topic")?;
        let mut builder = core::Message::builder(topic, bytes(body)?);
        if let Some(tag) = none_to_option(tag) {
            builder = builder.tag(string(&tag, "tag")?);
        }
        if let Some(keys) = none_to_option(keys) {
            if keys.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "keys must be a sequence of str, not a str (use keys=[\"k\"])",
                ));
            }
            for key in keys.try_iter()? {
                builder = builder.key(string(&key?, "each key")?);
            }
        }
        if let Some(properties) = none_to_option(properties) {
            let properties = properties
                .cast::<PyDict>()
                .map_err(|_| PyTypeError::new_err("properties must be a dict of str to str"))?;
            for (k, v) in properties.iter() {
                builder = builder.property(
                    string(&k, "each property name")?,
                    string(&v, "each property value")?,
                );
            }
        }
        if let Some(group) = none_to_option(message_group) {
            builder = builder.message_group(string(&group, "message_group")?);
        }
        if let Some(at) = none_to_option(delivery_timestamp) {
            builder = builder.delivery_timestamp(timestamp(&at)?);
        }
        if let Some(priority) = none_to_option(priority) {
            if priority.is_instance_of::<pyo3::types::PyBool>() {
                return Err(PyTypeError::new_err("priority must be an int"));
            }
            let priority: i32 = priority
                .extract()
                .map_err(|_| PyTypeError::new_err("priority must be an int (32-bit)"))?;
            builder = builder.priority(priority);
        }
        let inner = builder.build().py_err()?;
        Ok(Message { inner })
    }

    /// The topic.
    #[getter]
    fn topic(&self) -> &str {
        self.inner.topic()
    }

    /// The body.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.body())
    }

    /// The tag, if any.
    #[getter]
    fn tag(&self) -> Option<&str> {
        self.inner.tag()
    }

    /// The keys.
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.keys())
    }

    /// User properties (a new dict on each access).
    #[getter]
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        properties(py, self.inner.properties())
    }

    /// The FIFO message group, if any.
    #[getter]
    fn message_group(&self) -> Option<&str> {
        self.inner.message_group()
    }

    /// When the message becomes visible (an aware UTC datetime), if scheduled.
    #[getter]
    fn delivery_timestamp(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner
            .delivery_timestamp()
            .map(|t| datetime(py, t))
            .transpose()
    }

    /// The priority, if any.
    #[getter]
    fn priority(&self) -> Option<i32> {
        self.inner.priority()
    }

    fn __repr__(&self) -> String {
        format!(
            "Message(topic={:?}, body=<{} bytes>, tag={}, message_group={})",
            self.inner.topic(),
            self.inner.body().len(),
            py_repr(self.inner.tag()),
            py_repr(self.inner.message_group())
        )
    }
}

/// A received message. Its receipt handle follows `change_invisible_duration`, so the same
/// object can be acked afterwards.
#[pyclass(module = "rmq", frozen)]
pub struct MessageView {
    inner: Mutex<Arc<core::MessageView>>,
}

impl MessageView {
    pub(crate) fn new(view: core::MessageView) -> MessageView {
        MessageView {
            inner: Mutex::new(Arc::new(view)),
        }
    }

    pub(crate) fn core(&self) -> Arc<core::MessageView> {
        self.inner.lock().clone()
    }

    pub(crate) fn replace(&self, view: core::MessageView) {
        *self.inner.lock() = Arc::new(view);
    }
}

#[pymethods]
impl MessageView {
    /// The message id.
    #[getter]
    fn message_id(&self) -> String {
        self.core().message_id.clone()
    }

    /// The topic.
    #[getter]
    fn topic(&self) -> String {
        self.core().topic.clone()
    }

    /// The body.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.core().body)
    }

    /// The tag, if any.
    #[getter]
    fn tag(&self) -> Option<String> {
        self.core().tag.clone()
    }

    /// The keys.
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.core().keys)
    }

    /// User properties (a new dict on each access).
    #[getter]
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        properties(py, &self.core().properties)
    }

    /// The FIFO message group, if any.
    #[getter]
    fn message_group(&self) -> Option<String> {
        self.core().message_group.clone()
    }

    /// When the message was scheduled to become visible (aware UTC datetime), if it was.
    #[getter]
    fn delivery_timestamp(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.core()
            .delivery_timestamp
            .map(|t| datetime(py, t))
            .transpose()
    }

    /// 1 on the first delivery, 2 on the first redelivery, …
    #[getter]
    fn delivery_attempt(&self) -> i32 {
        self.core().delivery_attempt
    }

    /// When the producer built it (aware UTC datetime).
    #[getter]
    fn born_timestamp(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.core()
            .born_timestamp
            .map(|t| datetime(py, t))
            .transpose()
    }

    /// The producer's host name.
    #[getter]
    fn born_host(&self) -> String {
        self.core().born_host.clone()
    }

    /// The queue it came from.
    #[getter]
    fn queue_id(&self) -> i32 {
        self.core().queue_id
    }

    /// Its offset in that queue, when the server gave one.
    #[getter]
    fn queue_offset(&self) -> Option<i64> {
        self.core().queue_offset
    }

    /// Why the body is unusable (digest mismatch, failed decompression), or None.
    #[getter]
    fn corrupted(&self) -> Option<String> {
        self.core().corrupted.clone()
    }

    /// The current receipt handle (opaque).
    #[getter]
    fn receipt_handle(&self) -> String {
        self.core().receipt_handle().to_owned()
    }

    fn __repr__(&self) -> String {
        let v = self.core();
        format!(
            "MessageView(message_id={:?}, topic={:?}, tag={}, delivery_attempt={}, body=<{} bytes>)",
            v.message_id,
            v.topic,
            py_repr(v.tag.as_deref()),
            v.delivery_attempt,
            v.body.len()
        )
    }
}

/// What a successful send returns.
#[pyclass(module = "rmq", frozen)]
pub struct SendReceipt {
    inner: core::SendReceipt,
}

impl SendReceipt {
    pub(crate) fn new(inner: core::SendReceipt) -> SendReceipt {
        SendReceipt { inner }
    }
}

#[pymethods]
impl SendReceipt {
    /// The message id.
    #[getter]
    fn message_id(&self) -> &str {
        &self.inner.message_id
    }

    /// Handle for `Producer.recall` (scheduled messages only; None otherwise).
    #[getter]
    fn recall_handle(&self) -> Option<&str> {
        Some(self.inner.recall_handle.as_str()).filter(|h| !h.is_empty())
    }

    /// The transaction id (transactional messages only; None otherwise).
    #[getter]
    fn transaction_id(&self) -> Option<&str> {
        Some(self.inner.transaction_id.as_str()).filter(|h| !h.is_empty())
    }

    /// The queue offset the server reported.
    #[getter]
    fn offset(&self) -> i64 {
        self.inner.offset
    }

    /// The queue id it went to.
    #[getter]
    fn queue_id(&self) -> i32 {
        self.inner.queue_id
    }

    /// The topic.
    #[getter]
    fn topic(&self) -> &str {
        &self.inner.topic
    }

    /// The broker endpoint that took it (`host:port`).
    #[getter]
    fn endpoint(&self) -> String {
        self.inner.endpoint.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "SendReceipt(message_id={:?}, topic={:?}, queue_id={}, offset={})",
            self.inner.message_id, self.inner.topic, self.inner.queue_id, self.inner.offset
        )
    }
}

/// Which messages of a topic a consumer wants.
#[pyclass(module = "rmq", frozen)]
#[derive(Clone)]
pub struct FilterExpression {
    pub(crate) inner: core::FilterExpression,
}

#[pymethods]
impl FilterExpression {
    /// A tag expression: `"*"` for all, `"a"`, or `"a||b"`.
    #[staticmethod]
    fn tag(expression: &Bound<'_, PyAny>) -> PyResult<FilterExpression> {
        let inner = core::FilterExpression::tag(string(expression, "a tag expression")?);
        inner.check().py_err()?;
        Ok(FilterExpression { inner })
    }

    /// An SQL92 expression over message properties, e.g. `"region = 'eu' AND n > 3"`.
    #[staticmethod]
    fn sql(expression: &Bound<'_, PyAny>) -> PyResult<FilterExpression> {
        let inner = core::FilterExpression::sql(string(expression, "an SQL expression")?);
        inner.check().py_err()?;
        Ok(FilterExpression { inner })
    }

    /// Every message.
    #[staticmethod]
    fn all() -> FilterExpression {
        FilterExpression {
            inner: core::FilterExpression::all(),
        }
    }

    /// `"TAG"` or `"SQL92"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.inner {
            core::FilterExpression::Sql(_) => "SQL92",
            _ => "TAG",
        }
    }

    /// The expression text.
    #[getter]
    fn expression(&self) -> &str {
        match &self.inner {
            core::FilterExpression::Tag(e) | core::FilterExpression::Sql(e) => e,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "FilterExpression.{}({:?})",
            self.kind().to_lowercase(),
            self.expression()
        )
    }
}

/// Subscriptions from Python: a dict of topic to a tag expression string or a
/// `FilterExpression`. The consumer's `start()` checks them (at least one, no blank filter).
pub(crate) fn subscriptions(
    value: &Bound<'_, PyAny>,
) -> PyResult<Vec<(String, core::FilterExpression)>> {
    let dict = value.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(
            "subscriptions must be a dict of topic to a tag expression or FilterExpression",
        )
    })?;
    let mut out = Vec::with_capacity(dict.len());
    for (topic, filter) in dict.iter() {
        let topic = string(&topic, "each subscribed topic")?;
        let filter = if let Ok(f) = filter.cast::<FilterExpression>() {
            f.get().inner.clone()
        } else if let Ok(tag) = filter.cast::<PyString>() {
            core::FilterExpression::tag(tag.to_cow()?.into_owned())
        } else {
            return Err(PyTypeError::new_err(format!(
                "the filter of topic {topic:?} must be a tag expression str or a FilterExpression"
            )));
        };
        out.push((topic, filter));
    }
    Ok(out)
}

fn py_repr(value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}

pub(crate) fn none_to_option<'py>(value: Option<&Bound<'py, PyAny>>) -> Option<Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none()).cloned()
}

pub(crate) fn string(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    value
        .cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(value)))
        })?
        .to_cow()
        .map(|s| s.into_owned())
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

fn bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if value.is_instance_of::<pyo3::types::PyByteArray>() || is_memoryview(value) {
        // bytes(x) copies any buffer; only the two buffer types users pass are accepted.
        let copied = value.py().get_type::<PyBytes>().call1((value,))?;
        return Ok(copied.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "body must be bytes, bytearray, memoryview or str, not {}",
        type_name(value)
    )))
}

fn is_memoryview(value: &Bound<'_, PyAny>) -> bool {
    type_name(value) == "memoryview"
}

/// A delivery time from a datetime or epoch seconds.
fn timestamp(value: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let seconds: f64 =
        if value.hasattr("timestamp")? && !value.is_instance_of::<pyo3::types::PyFloat>() {
            value.call_method0("timestamp")?.extract()?
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(
                "delivery_timestamp must be a datetime or epoch seconds",
            ));
        } else {
            value.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "delivery_timestamp must be a datetime or epoch seconds (float), not {}",
                    type_name(value)
                ))
            })?
        };
    // Part of the conversion, not a check of the time (the core takes any SystemTime): only
    // epoch seconds after 1970 that a SystemTime can hold have one.
    let unconvertible = |why: String| error::to_py(&core::Error::invalid("message", why));
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(unconvertible(format!(
            "delivery_timestamp must be a time after 1970, got {seconds}"
        )));
    }
    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|since| UNIX_EPOCH.checked_add(since))
        .ok_or_else(|| unconvertible("delivery_timestamp is too far in the future".into()))
}

/// Seconds from Python (`float` or `int`) as a duration; the core refuses negative, infinite
/// and NaN values.
pub(crate) fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    core::options::duration_from_secs(what, value).py_err()
}

static FROM_TIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn datetime(py: Python<'_>, at: SystemTime) -> PyResult<Py<PyAny>> {
    let make = FROM_TIMESTAMP.get_or_try_init(py, || {
        py.import("rmq._time")?
            .getattr("from_epoch")
            .map(Bound::unbind)
    })?;
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    make.call1(py, (seconds,))
}

fn properties<'py>(py: Python<'py>, map: &HashMap<String, String>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}
