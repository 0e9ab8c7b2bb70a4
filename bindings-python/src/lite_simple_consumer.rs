//! `rmq._native.LiteSimpleConsumer`: the core's lite simple consumer. Its subscriptions are
//! here; receiving and settling go through the plain `SimpleConsumer` over the same client
//! (`simple()`), so both consumers share one implementation of those.

use crate::config::Config;
use crate::error::IntoPy;
use crate::lite;
use crate::runtime::{Owner, block_on};
use crate::simple_consumer::SimpleConsumer;
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;

/// A started lite simple consumer.
#[pyclass(module = "rmq._native", frozen)]
pub struct LiteSimpleConsumer {
    inner: core::LiteSimpleConsumer,
    owner: Owner,
}

#[pymethods]
impl LiteSimpleConsumer {
    #[staticmethod]
    fn start(
        py: Python<'_>,
        config: &Config,
        group: String,
        topic: String,
        options: HashMap<String, String>,
    ) -> PyResult<LiteSimpleConsumer> {
        let builder =
            core::LiteSimpleConsumer::builder_from_map(group, topic, config.with(options))
                .py_err()?;
        let inner = block_on(py, builder.start())?.py_err()?;
        Ok(LiteSimpleConsumer {
            inner,
            owner: Owner::here(),
        })
    }

    /// The same client as a `SimpleConsumer` (receive, ack, change invisible, close).
    fn simple(&self) -> SimpleConsumer {
        SimpleConsumer::wrap(self.inner.as_simple_consumer().clone())
    }

    /// Subscribes a lite topic; `offset` is `(kind, value)` or None.
    #[pyo3(signature = (lite_topic, offset=None))]
    fn subscribe_lite(
        &self,
        py: Python<'_>,
        lite_topic: String,
        offset: Option<(String, i64)>,
    ) -> PyResult<()> {
        self.owner.check("consumer")?;
        let offset = lite::offset_option(offset)?;
        block_on(py, self.inner.subscribe_lite_at(&lite_topic, offset))?.py_err()
    }

    fn unsubscribe_lite(&self, py: Python<'_>, lite_topic: String) -> PyResult<()> {
        self.owner.check("consumer")?;
        block_on(py, self.inner.unsubscribe_lite(&lite_topic))?.py_err()
    }

    /// The lite topics subscribed now, in name order.
    #[getter]
    fn lite_topics(&self) -> Vec<String> {
        self.inner.lite_topics()
    }
}
