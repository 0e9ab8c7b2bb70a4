//! The core's `tracing` events, forwarded to Python `logging` under the `rmq` logger
//! (`rmq.client` for the client, `rmq.broker` for the mini-broker).
//!
//! Events are formatted where they happen and queued; one forwarding thread takes the GIL
//! and calls `logging`, so runtime threads never wait for the GIL. The level gate is the
//! `rmq` logger's effective level, read again every second and on `refresh_log_level()`.

use parking_lot::Mutex;
use pyo3::prelude::*;
use rmq_client::log_text::{event_text, logger_name};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Records held while Python is busy; beyond it records are dropped (and counted).
const QUEUE: usize = 10_000;
const REFRESH: Duration = Duration::from_secs(1);

// Python level numbers: 5 (trace), 10, 20, 30, 40; the gate lets through >= GATE.
static GATE: AtomicU8 = AtomicU8::new(30);

struct Record {
    logger: &'static str,
    level: u8,
    message: String,
}

struct Forward {
    queue: Mutex<Option<(u32, mpsc::SyncSender<Record>)>>,
}

static FORWARD: Forward = Forward {
    queue: Mutex::new(None),
};

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

struct ToPython;

impl<S: Subscriber> Layer<S> for ToPython {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        // Spans are not forwarded, so they are never built.
        metadata.is_event()
            && logger_name(metadata.target()).is_some()
            && python_level(metadata.level()) >= GATE.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let Some(name) = logger_name(metadata.target()) else {
            return;
        };
        let record = Record {
            logger: name,
            level: python_level(metadata.level()),
            message: event_text(event),
        };
        if let Some((_, queue)) = FORWARD.queue.lock().as_ref() {
            let _ = queue.try_send(record);
        }
    }
}

/// Installs the forwarding (once per process; again in a forked child, whose forwarding
/// thread did not survive the fork). Leaves an application's own global subscriber alone.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let pid = std::process::id();
    let mut queue = FORWARD.queue.lock();
    if queue.as_ref().is_some_and(|(owner, _)| *owner == pid) {
        return Ok(());
    }
    let first = queue.is_none();
    let (tx, rx) = mpsc::sync_channel::<Record>(QUEUE);
    *queue = Some((pid, tx));
    drop(queue);
    refresh_log_level(py)?;
    std::thread::Builder::new()
        .name("rmq-log".into())
        .spawn(move || forward(rx))
        .map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot start the log thread: {e}"))
        })?;
    if first {
        let subscriber = tracing_subscriber::registry().with(ToPython);
        let _ = tracing::subscriber::set_global_default(subscriber);
    }
    Ok(())
}

fn forward(rx: mpsc::Receiver<Record>) {
    loop {
        match rx.recv_timeout(REFRESH) {
            Ok(first) => {
                let mut batch = vec![first];
                batch.extend(rx.try_iter().take(1000));
                // None: the interpreter is shutting down; nothing can be logged any more.
                let attached = Python::try_attach(|py| {
                    for record in batch {
                        let _ = emit(py, record);
                    }
                    let _ = refresh_log_level(py);
                });
                if attached.is_none() {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Python::try_attach(refresh_log_level).is_none() {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn emit(py: Python<'_>, record: Record) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", (record.logger,))?;
    logger.call_method1("log", (record.level, record.message))?;
    Ok(())
}

/// Reads the `rmq` logger's effective level again (the gate for core events).
#[pyfunction]
pub fn refresh_log_level(py: Python<'_>) -> PyResult<()> {
    let level: i64 = py
        .import("logging")?
        .call_method1("getLogger", ("rmq",))?
        .call_method0("getEffectiveLevel")?
        .extract()?;
    let gate = u8::try_from(level.clamp(1, 255)).unwrap_or(30);
    let before = GATE.swap(gate, Ordering::Relaxed);
    if before != gate {
        // Callsites cache whether they are enabled; make them ask again.
        tracing::callsite::rebuild_interest_cache();
    }
    Ok(())
}
