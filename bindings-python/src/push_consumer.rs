//! `rmq._native.PushConsumer`: the core receives and acks; each message goes to a Python
//! callable on this consumer's own callback threads.

use crate::callbacks::CallbackPool;
use crate::config::Config;
use crate::error::{IntoPy, closed};
use crate::filter::subscriptions;
use crate::message::MessageView;
use crate::runtime::{Owner, block_on};
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;
use std::sync::Arc;

/// The callback threads (one per listener call the core may make at once) and the core
/// listener that runs `dispatch(view) -> bool` on them.
pub(crate) fn listener(
    threads: usize,
    dispatch: Py<PyAny>,
) -> PyResult<(
    Arc<CallbackPool>,
    impl Fn(&core::MessageView) -> core::ConsumeResult + Send + Sync + 'static,
)> {
    let pool = CallbackPool::new("rmq-callback", threads)
        .map_err(|e| closed(format!("cannot start the listener threads: {e}")))?;
    let dispatch = Arc::new(dispatch);
    let on = pool.clone();
    let listener = move |view: &core::MessageView| {
        let (dispatch, view) = (dispatch.clone(), view.clone());
        let consumed = on.call(move || {
            Python::try_attach(|py| {
                let view = Py::new(py, MessageView::new(view))?;
                dispatch.call1(py, (view,))?.is_truthy(py)
            })
        });
        match consumed {
            Some(Some(Ok(true))) => core::ConsumeResult::Success,
            _ => core::ConsumeResult::Failure,
        }
    };
    Ok((pool, listener))
}

/// A started push consumer.
#[pyclass(module = "rmq._native", frozen)]
pub struct PushConsumer {
    inner: core::PushConsumer,
    owner: Owner,
    pool: Arc<CallbackPool>,
}

#[pymethods]
impl PushConsumer {
    /// `dispatch(view) -> bool` (True: consumed) runs on the consumer's callback threads; it
    /// must not raise (the Python wrapper turns exceptions into False and logs them).
    /// `options` are the consumer's string options (`max_cache_messages`, ...).
    #[staticmethod]
    fn start(
        py: Python<'_>,
        config: &Config,
        group: String,
        subscribed: &Bound<'_, PyAny>,
        dispatch: Py<PyAny>,
        options: HashMap<String, String>,
    ) -> PyResult<PushConsumer> {
        let subscribed = subscriptions(subscribed)?;
        let mut builder =
            core::PushConsumer::builder_from_map(group, config.with(options)).py_err()?;
        let (pool, listener) = listener(builder.listener_concurrency(), dispatch)?;
        builder = builder.listener(listener);
        for (topic, filter) in subscribed {
            builder = builder.subscribe(topic, filter);
        }
        let started = block_on(py, builder.start())?;
        let inner = match started {
            Ok(inner) => inner,
            Err(e) => {
                pool.close();
                return Err(crate::error::to_py(&e));
            }
        };
        Ok(PushConsumer {
            inner,
            owner: Owner::here(),
            pool,
        })
    }

    /// Stops receiving, waits for listener calls in progress and their acks.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.owner.check("consumer")?;
        block_on(py, self.inner.shutdown())?;
        self.pool.close();
        Ok(())
    }

    /// Messages received and not yet settled.
    #[getter]
    fn cached_messages(&self) -> usize {
        self.inner.cached_messages()
    }

    /// Queues this consumer is currently assigned.
    #[getter]
    fn assigned_queues(&self) -> usize {
        self.inner.assigned_queues()
    }

    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }

    #[getter]
    fn is_fifo(&self) -> bool {
        self.inner.is_fifo()
    }
}
