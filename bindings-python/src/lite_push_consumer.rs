//! `rmq._native.LitePushConsumer`: the core's lite push consumer (Apache 5.5 lite topics);
//! messages go to a Python callable on the consumer's own callback threads, as for
//! `PushConsumer`.

use crate::callbacks::CallbackPool;
use crate::config::Config;
use crate::error::IntoPy;
use crate::lite;
use crate::push_consumer::listener;
use crate::runtime::{Owner, block_on};
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;
use std::sync::Arc;

/// A started lite push consumer.
#[pyclass(module = "rmq._native", frozen)]
pub struct LitePushConsumer {
    inner: core::LitePushConsumer,
    owner: Owner,
    pool: Arc<CallbackPool>,
}

#[pymethods]
impl LitePushConsumer {
    /// `dispatch(view) -> bool` (True: consumed) runs on the consumer's callback threads.
    #[staticmethod]
    fn start(
        py: Python<'_>,
        config: &Config,
        group: String,
        topic: String,
        dispatch: Py<PyAny>,
        options: HashMap<String, String>,
    ) -> PyResult<LitePushConsumer> {
        let mut builder =
            core::LitePushConsumer::builder_from_map(group, topic, config.with(options))
                .py_err()?;
        let (pool, listener) = listener(builder.listener_concurrency(), dispatch)?;
        builder = builder.listener(listener);
        let inner = match block_on(py, builder.start())? {
            Ok(inner) => inner,
            Err(e) => {
                pool.close();
                return Err(crate::error::to_py(&e));
            }
        };
        Ok(LitePushConsumer {
            inner,
            owner: Owner::here(),
            pool,
        })
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

    /// Stops receiving, waits for listener calls in progress and their acks.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.owner.check("consumer")?;
        block_on(py, self.inner.shutdown())?;
        self.pool.close();
        Ok(())
    }

    #[getter]
    fn cached_messages(&self) -> usize {
        self.inner.cached_messages()
    }

    #[getter]
    fn assigned_queues(&self) -> usize {
        self.inner.assigned_queues()
    }

    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }
}
