//! `rmq._native`: the Python binding's native module. Translation only: types, errors,
//! threads and the event loop; every behaviour is `rmq-client`'s or `rmq-mini-broker`'s.
//! The public API is the Python package `rmq` around it.

mod bridge;
mod broker;
mod callbacks;
mod cluster;
mod config;
mod convert;
mod error;
mod filter;
mod lite;
mod lite_push_consumer;
mod lite_simple_consumer;
mod logging;
mod message;
mod producer;
mod push_consumer;
mod runtime;
mod simple_consumer;

use pyo3::prelude::*;

/// The name of the thread running the caller, as Rust sees it (tests use it to check where
/// callbacks run).
#[pyfunction]
fn current_thread_name() -> Option<String> {
    std::thread::current().name().map(str::to_owned)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py())?;
    m.add_class::<config::Config>()?;
    m.add_class::<message::Message>()?;
    m.add_class::<message::MessageView>()?;
    m.add_class::<message::SendReceipt>()?;
    m.add_class::<filter::FilterExpression>()?;
    m.add_class::<producer::Producer>()?;
    m.add_class::<producer::Transaction>()?;
    m.add_class::<simple_consumer::SimpleConsumer>()?;
    m.add_class::<push_consumer::PushConsumer>()?;
    m.add_class::<lite_push_consumer::LitePushConsumer>()?;
    m.add_class::<lite_simple_consumer::LiteSimpleConsumer>()?;
    m.add_class::<broker::MiniBroker>()?;
    m.add_class::<cluster::MiniCluster>()?;
    m.add_class::<bridge::Completions>()?;
    m.add_function(wrap_pyfunction!(logging::refresh_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(current_thread_name, m)?)?;
    m.add_function(wrap_pyfunction!(reinstall_after_fork, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Restarts the log forwarding in a forked child (registered with `os.register_at_fork`).
#[pyfunction]
fn reinstall_after_fork(py: Python<'_>) -> PyResult<()> {
    logging::install(py)
}
