//! `rmq._native.Producer` and `Transaction`: sync methods block with the GIL released, `*_async`
//! methods resolve an asyncio future through a loop's `Completions`.

use crate::bridge::{self, Completions};
use crate::callbacks::CallbackPool;
use crate::config::Config;
use crate::error::{IntoPy, closed};
use crate::message::{Message, MessageView, SendReceipt};
use crate::runtime::{Owner, block_on};
use parking_lot::Mutex;
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;
use std::sync::Arc;

/// A started producer.
#[pyclass(module = "rmq._native", frozen, weakref)]
pub struct Producer {
    inner: core::Producer,
    owner: Owner,
    checker: Option<Arc<CallbackPool>>,
}

struct Start {
    builder: core::ProducerBuilder,
    checker: Option<Arc<CallbackPool>>,
}

/// The core's builder from the config's entries and the producer's `options` (string keys of
/// `client-core/OPTIONS.md`), with the checker on a thread of its own.
fn prepare(
    config: &Config,
    options: HashMap<String, String>,
    checker: Option<Py<PyAny>>,
) -> PyResult<Start> {
    let mut builder = core::Producer::builder_from_map(config.with(options)).py_err()?;
    let mut pool = None;
    if let Some(checker) = checker {
        let threads = CallbackPool::new("rmq-callback", 1)
            .map_err(|e| closed(format!("cannot start the checker thread: {e}")))?;
        let checker = Arc::new(checker);
        let on = threads.clone();
        builder = builder.transaction_checker(move |view: &core::MessageView| {
            let (checker, view) = (checker.clone(), view.clone());
            on.call(move || {
                Python::try_attach(|py| {
                    let view = Py::new(py, MessageView::new(view))?;
                    checker.call1(py, (view,))?.extract::<i32>(py)
                })
            })
            .flatten()
            .and_then(Result::ok)
            .map_or(
                core::TransactionResolution::Unknown,
                |decided| match decided {
                    0 => core::TransactionResolution::Commit,
                    1 => core::TransactionResolution::Rollback,
                    _ => core::TransactionResolution::Unknown,
                },
            )
        });
        pool = Some(threads);
    }
    Ok(Start {
        builder,
        checker: pool,
    })
}

impl Producer {
    fn made(inner: core::Producer, checker: Option<Arc<CallbackPool>>) -> Producer {
        Producer {
            inner,
            owner: Owner::here(),
            checker,
        }
    }

    fn live(&self) -> PyResult<&core::Producer> {
        self.owner.check("producer")?;
        Ok(&self.inner)
    }
}

fn receipt(py: Python<'_>, r: core::SendReceipt) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, SendReceipt::new(r))?.into_any())
}

fn receipts(py: Python<'_>, rs: Vec<core::SendReceipt>) -> PyResult<Py<PyAny>> {
    let list: Vec<Py<SendReceipt>> = rs
        .into_iter()
        .map(|r| Py::new(py, SendReceipt::new(r)))
        .collect::<PyResult<_>>()?;
    Ok(pyo3::types::PyList::new(py, list)?.into_any().unbind())
}

fn messages(list: &[PyRef<'_, Message>]) -> Vec<core::Message> {
    list.iter().map(|m| m.inner.clone()).collect()
}

#[pymethods]
impl Producer {
    /// Starts a producer (fetches the routes of its `topics` option first).
    #[staticmethod]
    #[pyo3(signature = (config, options, checker))]
    fn start(
        py: Python<'_>,
        config: &Config,
        options: HashMap<String, String>,
        checker: Option<Py<PyAny>>,
    ) -> PyResult<Producer> {
        let Start { builder, checker } = prepare(config, options, checker)?;
        let inner = block_on(py, builder.start())?.py_err()?;
        Ok(Producer::made(inner, checker))
    }

    /// `start` for asyncio.
    #[staticmethod]
    #[pyo3(signature = (config, options, checker, completions, future))]
    fn start_async(
        config: &Config,
        options: HashMap<String, String>,
        checker: Option<Py<PyAny>>,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let Start { builder, checker } = prepare(config, options, checker)?;
        bridge::submit(completions, future, builder.start(), move |py, inner| {
            Ok(Py::new(py, Producer::made(inner, checker))?.into_any())
        })
    }

    fn send(&self, py: Python<'_>, message: &Message) -> PyResult<SendReceipt> {
        let producer = self.live()?;
        let sent = block_on(py, producer.send(&message.inner))?.py_err()?;
        Ok(SendReceipt::new(sent))
    }

    /// For the benchmark: `n` sequential sends of `message` by the core itself, from one task
    /// on this binding's runtime (no Python between calls), and each send's seconds. What the
    /// sync `send` costs beyond the core is the difference, measured in the same process.
    fn core_sequential_sends(
        &self,
        py: Python<'_>,
        message: &Message,
        n: usize,
    ) -> PyResult<Vec<f64>> {
        let producer = self.live()?.clone();
        let message = message.inner.clone();
        let runtime = crate::runtime::runtime()?;
        let task = runtime.spawn(async move {
            let mut took = Vec::with_capacity(n);
            for _ in 0..n {
                let started = std::time::Instant::now();
                producer.send(&message).await?;
                took.push(started.elapsed().as_secs_f64());
            }
            Ok::<_, core::Error>(took)
        });
        block_on(py, task)?
            .map_err(|e| crate::error::closed(format!("the benchmark task failed: {e}")))?
            .py_err()
    }

    fn send_async(
        &self,
        message: &Message,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let producer = self.live()?.clone();
        let message = message.inner.clone();
        bridge::submit(
            completions,
            future,
            async move { producer.send(&message).await },
            receipt,
        )
    }

    fn send_batch(&self, py: Python<'_>, messages: Vec<PyRef<'_, Message>>) -> PyResult<Py<PyAny>> {
        let producer = self.live()?;
        let batch = self::messages(&messages);
        let sent = block_on(py, producer.send_batch(&batch))?.py_err()?;
        receipts(py, sent)
    }

    fn send_batch_async(
        &self,
        messages: Vec<PyRef<'_, Message>>,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let producer = self.live()?.clone();
        let batch = self::messages(&messages);
        bridge::submit(
            completions,
            future,
            async move { producer.send_batch(&batch).await },
            receipts,
        )
    }

    fn begin_transaction(&self) -> PyResult<Transaction> {
        let transaction = self.live()?.begin_transaction().py_err()?;
        Ok(Transaction {
            inner: Mutex::new(Some(Arc::new(transaction))),
            owner: self.owner,
        })
    }

    fn recall(&self, py: Python<'_>, topic: String, handle: String) -> PyResult<String> {
        let producer = self.live()?;
        block_on(py, producer.recall(&topic, &handle))?.py_err()
    }

    fn recall_async(
        &self,
        topic: String,
        handle: String,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let producer = self.live()?.clone();
        bridge::submit(
            completions,
            future,
            async move { producer.recall(&topic, &handle).await },
            |py, id: String| Ok(id.into_pyobject(py)?.into_any().unbind()),
        )
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let producer = self.live()?;
        block_on(py, producer.shutdown())?;
        if let Some(pool) = &self.checker {
            pool.close();
        }
        Ok(())
    }

    fn close_async(&self, completions: &Completions, future: Py<PyAny>) -> PyResult<()> {
        let producer = self.live()?.clone();
        let pool = self.checker.clone();
        bridge::submit(
            completions,
            future,
            async move {
                producer.shutdown().await;
                if let Some(pool) = pool {
                    pool.close();
                }
                Ok(())
            },
            bridge::none,
        )
    }

    /// This client's id (`x-mq-client-id`).
    #[getter]
    fn client_id(&self) -> &str {
        self.inner.client_id()
    }
}

/// One transaction: at most one message, then commit or rollback.
#[pyclass(module = "rmq._native", frozen)]
pub struct Transaction {
    inner: Mutex<Option<Arc<core::Transaction>>>,
    owner: Owner,
}

impl Transaction {
    fn current(&self) -> PyResult<Arc<core::Transaction>> {
        self.owner.check("transaction")?;
        self.inner.lock().clone().ok_or_else(ended)
    }

    fn take(&self) -> PyResult<core::Transaction> {
        self.owner.check("transaction")?;
        let mut slot = self.inner.lock();
        let shared = slot.take().ok_or_else(ended)?;
        Arc::try_unwrap(shared).map_err(|shared| {
            *slot = Some(shared);
            crate::error::to_py(&core::Error::invalid(
                "transaction",
                "the transaction's send has not finished",
            ))
        })
    }
}

fn ended() -> PyErr {
    crate::error::to_py(&core::Error::invalid(
        "transaction",
        "the transaction was already committed or rolled back",
    ))
}

#[pymethods]
impl Transaction {
    fn send(&self, py: Python<'_>, message: &Message) -> PyResult<SendReceipt> {
        let transaction = self.current()?;
        let sent = block_on(py, transaction.send(&message.inner))?.py_err()?;
        Ok(SendReceipt::new(sent))
    }

    fn send_async(
        &self,
        message: &Message,
        completions: &Completions,
        future: Py<PyAny>,
    ) -> PyResult<()> {
        let transaction = self.current()?;
        let message = message.inner.clone();
        bridge::submit(
            completions,
            future,
            async move { transaction.send(&message).await },
            receipt,
        )
    }

    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        let transaction = self.take()?;
        block_on(py, transaction.commit())?.py_err()
    }

    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        let transaction = self.take()?;
        block_on(py, transaction.rollback())?.py_err()
    }

    fn commit_async(&self, completions: &Completions, future: Py<PyAny>) -> PyResult<()> {
        let transaction = self.take()?;
        bridge::submit(completions, future, transaction.commit(), bridge::none)
    }

    fn rollback_async(&self, completions: &Completions, future: Py<PyAny>) -> PyResult<()> {
        let transaction = self.take()?;
        bridge::submit(completions, future, transaction.rollback(), bridge::none)
    }
}
