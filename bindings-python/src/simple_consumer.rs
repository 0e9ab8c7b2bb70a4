//! `rmq._native.SimpleConsumer`.

use crate::bridge::{self, Completions};
use crate::config::Config;
use crate::convert::seconds;
use crate::error::{self, IntoPy};
use crate::filter::subscriptions;
use crate::message::MessageView;
use crate::runtime::{Owner, block_on};
use pyo3::prelude::*;
use pyo3::types::PyList;
use rmq_client as core;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A started simple consumer.
#[pyclass(module = "rmq._native", frozen)]
pub struct SimpleConsumer {
    inner: core::SimpleConsumer,
    owner: Owner,
}

/// The core's builder from the config's entries and the consumer's `options` (string keys of
/// `client-core/OPTIONS.md`), with the subscriptions.
fn builder(
    config: &Config,
    group: String,
    subscribed: &Bound<'_, PyAny>,
    options: HashMap<String, String>,
) -> PyResult<core::SimpleConsumerBuilder> {
    let subscribed = subscriptions(subscribed)?;
    let mut builder =
        core::SimpleConsumer::builder_from_map(group, config.with(options)).py_err()?;
    for (topic, filter) in subscribed {
        builder = builder.subscribe(topic, filter);
    }
    Ok(builder)
}

fn views(py: Python<'_>, views: Vec<core::MessageView>) -> PyResult<Py<PyAny>> {
    let list: Vec<Py<MessageView>> = views
        .into_iter()
        .map(|v| Py::new(py, MessageView::new(v)))
        .collect::<PyResult<_>>()?;
    Ok(PyList::new(py, list)?.into_any().unbind())
}

fn receive_args(max_messages: i64, invisible_duration: f64) -> PyResult<(u32, Duration)> {
    let max = core::SimpleConsumer::check_max_messages(max_messages).py_err()?;
    Ok((max, seconds(invisible_duration, "invisible_duration")?))
}

fn acks(py: Python<'_>, results: Vec<core::Result<()>>) -> PyResult<Py<PyAny>> {
    let list = PyList::empty(py);
    for result in results {
        match result {
            Ok(()) => list.append(py.None())?,
            Err(e) => list.append(error::to_py(&e).value(py))?,
        }
    }
    Ok(list.into_any().unbind())
}

impl SimpleConsumer {
    /// The binding's consumer over a started core consumer (a lite simple consumer's).
    pub(crate) fn wrap(inner: core::SimpleConsumer) -> SimpleConsumer {
        SimpleConsumer {
            inner,
            owner: Owner::here(),
        }
    }

    fn live(&self) -> PyResult<&core::SimpleConsumer> {
        self.owner.check("consumer")?;
        Ok(&self.inner)
    }
}

#[pymethods]
impl SimpleConsumer {
    /// Starts a consumer; `options` are its string options (`await_duration`).
    #[staticmethod]
    fn start(
        py: Python<'_>,
        config: &Config,
        group: String,
        subscriptions: &Bound<'_, PyAny>,
        options: HashMap<String, String>,
    ) -> PyResult<SimpleConsumer> {
        let builder = builder(config, group, subscriptions, options)?;
        let inner = block_on(py, builder.start())?.py_err()?;
        Ok(SimpleConsumer {
            inner,
            owner: Owner::here(),
        })
    }

    /// `start` for asyncio.
    #[staticmethod]
    fn start_async(
        config: &Config,
        group: String,
        subscriptions: &Bound<'_, PyAny>,
        options: HashMap<String, String>,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let builder = builder(config, group, subscriptions, options)?;
        bridge::submit(completions, future, builder.start(), |py, inner| {
            Ok(Py::new(
                py,
                SimpleConsumer {
                    inner,
                    owner: Owner::here(),
                },
            )?
            .into_any())
        })
    }

    /// Checks `receive`'s arguments as `receive` does, for a consumer not started yet (its
    /// argument errors come before "not started", as they would once started).
    #[staticmethod]
    fn check_receive(max_messages: i64, invisible_duration: f64) -> PyResult<()> {
        receive_args(max_messages, invisible_duration).map(|_| ())
    }

    fn receive(
        &self,
        py: Python<'_>,
        max_messages: i64,
        invisible_duration: f64,
    ) -> PyResult<Py<PyAny>> {
        let consumer = self.live()?;
        let (max, invisible) = receive_args(max_messages, invisible_duration)?;
        let got = block_on(py, consumer.receive(max, invisible))?.py_err()?;
        views(py, got)
    }

    fn receive_async(
        &self,
        max_messages: i64,
        invisible_duration: f64,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let consumer = self.live()?.clone();
        let (max, invisible) = receive_args(max_messages, invisible_duration)?;
        bridge::submit(
            completions,
            future,
            async move { consumer.receive(max, invisible).await },
            views,
        )
    }

    fn ack(&self, py: Python<'_>, view: &MessageView) -> PyResult<()> {
        let consumer = self.live()?;
        let view = view.core();
        block_on(py, consumer.ack(&view))?.py_err()
    }

    fn ack_async(
        &self,
        view: &MessageView,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let consumer = self.live()?.clone();
        let view = view.core();
        bridge::submit(
            completions,
            future,
            async move { consumer.ack(&view).await },
            bridge::none,
        )
    }

    fn ack_batch(&self, py: Python<'_>, views: Vec<PyRef<'_, MessageView>>) -> PyResult<Py<PyAny>> {
        let consumer = self.live()?;
        let views: Vec<core::MessageView> = views.iter().map(|v| (*v.core()).clone()).collect();
        let results = block_on(py, consumer.ack_batch(&views))?.py_err()?;
        acks(py, results)
    }

    fn ack_batch_async(
        &self,
        views: Vec<PyRef<'_, MessageView>>,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let consumer = self.live()?.clone();
        let views: Vec<core::MessageView> = views.iter().map(|v| (*v.core()).clone()).collect();
        bridge::submit(
            completions,
            future,
            async move { consumer.ack_batch(&views).await },
            acks,
        )
    }

    fn change_invisible_duration(
        &self,
        py: Python<'_>,
        view: Py<MessageView>,
        invisible_duration: f64,
    ) -> PyResult<()> {
        let consumer = self.live()?;
        let invisible = seconds(invisible_duration, "invisible_duration")?;
        let current = view.get().core();
        let changed =
            block_on(py, consumer.change_invisible_duration(&current, invisible))?.py_err()?;
        view.get().replace(changed);
        Ok(())
    }

    fn change_invisible_duration_async(
        &self,
        view: Py<MessageView>,
        invisible_duration: f64,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let consumer = self.live()?.clone();
        let invisible = seconds(invisible_duration, "invisible_duration")?;
        let current: Arc<core::MessageView> = view.get().core();
        bridge::submit(
            completions,
            future,
            async move {
                consumer
                    .change_invisible_duration(&current, invisible)
                    .await
            },
            move |py, changed| {
                view.get().replace(changed);
                Ok(py.None())
            },
        )
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let consumer = self.live()?;
        block_on(py, consumer.shutdown())
    }

    fn close_async(&self, completions: &Completions, future: Py<PyAny>) -> PyResult<()> {
        let consumer = self.live()?.clone();
        bridge::submit(
            completions,
            future,
            async move {
                consumer.shutdown().await;
                Ok(())
            },
            bridge::none,
        )
    }

    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }
}
