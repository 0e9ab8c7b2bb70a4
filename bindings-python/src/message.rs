//! Messages in and out: `Message` (checked by the core's builder before any I/O),
//! `MessageView` (what consumers get), `SendReceipt` and `FilterExpression`. This side only
//! converts Python values; the core checks them.

use crate::convert::{bytes, datetime, none_to_option, properties, py_repr, string, timestamp};
use crate::error::IntoPy;
use parking_lot::Mutex;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use rmq_client as core;
use std::sync::Arc;

/// A message to send.
#[pyclass(module = "rmq", frozen)]
pub struct Message {
    pub(crate) inner: core::Message,
}

#[pymethods]
impl Message {
    #[new]
    #[pyo3(signature = (topic, body, *, tag=None, keys=None, properties=None, message_group=None, delivery_timestamp=None, priority=None, lite_topic=None))]
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
        lite_topic: Option<&Bound<'_, PyAny>>,
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
        if let Some(lite) = none_to_option(lite_topic) {
            builder = builder.lite_topic(string(&lite, "lite_topic")?);
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

    /// The lite topic (under a LITE topic), if any.
    #[getter]
    fn lite_topic(&self) -> Option<&str> {
        self.inner.lite_topic()
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

    /// The priority (priority topics only), or None.
    #[getter]
    fn priority(&self) -> Option<i32> {
        self.core().priority
    }

    /// The lite topic (lite topics only), or None.
    #[getter]
    fn lite_topic(&self) -> Option<String> {
        self.core().lite_topic.clone()
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
