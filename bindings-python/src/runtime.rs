//! The binding's one tokio runtime, shared by every client and broker of the process: the
//! core's caller-driven runtime ([`CallerDriven`]), so a thread that makes a sync call drives
//! it itself with the GIL released, and `rmq-io` drives asyncio work, push consumers and
//! timers between calls.
//!
//! A forked child inherits the parent's memory but none of its threads, so the parent's
//! runtime is dead there. The child gets a fresh runtime on first use; clients and brokers
//! created before the fork belong to the parent and refuse to work in the child with a clear
//! error ([`Owner::check`]) instead of hanging on threads that do not exist.

use crate::error::closed;
use parking_lot::Mutex;
use pyo3::prelude::*;
use rmq_client::caller_driven::CallerDriven;
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Handle;

struct Current {
    pid: u32,
    runtime: CallerDriven,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// The runtime of this process, built on first use (and again in a forked child).
pub fn runtime() -> PyResult<&'static Handle> {
    current(std::process::id()).map(|c| c.handle())
}

fn current(pid: u32) -> PyResult<CallerDriven> {
    let mut current = CURRENT.lock();
    if let Some(c) = current.as_ref().filter(|c| c.pid == pid) {
        return Ok(c.runtime);
    }
    let runtime = CallerDriven::start("rmq-io")
        .map_err(|e| closed(format!("cannot start the rmq runtime: {e}")))?;
    *current = Some(Current { pid, runtime });
    Ok(runtime)
}

/// The process an object was created in.
#[derive(Clone, Copy)]
pub struct Owner {
    pid: u32,
}

impl Owner {
    /// Owned by the calling process.
    pub fn here() -> Owner {
        Owner {
            pid: std::process::id(),
        }
    }

    /// Fails in a forked child: the object's background tasks ran on the parent's threads.
    pub fn check(self, what: &str) -> PyResult<()> {
        if self.pid == std::process::id() {
            Ok(())
        } else {
            Err(closed(format!(
                "this {what} was created in process {} and cannot be used after fork(); \
                 create a new {what} in the child process",
                self.pid
            )))
        }
    }
}

/// How often a blocked call looks for a pending signal (Ctrl-C), so a long receive can be
/// interrupted.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `work` to completion with the GIL released, driving the runtime from this thread
/// (see the module docs). Every [`SIGNAL_CHECK`] the caller leaves the runtime and looks for a
/// pending signal, so a handler runs while `rmq-io` drives (it may call rmq itself) and one
/// that raises (Ctrl-C) abandons the work; its exception is returned.
pub fn block_on<F>(py: Python<'_>, work: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = current(std::process::id())?;
    py.detach(|| {
        let mut work = std::pin::pin!(work);
        loop {
            match runtime.block_on_for(&mut work, SIGNAL_CHECK) {
                Ok(done) => return Ok(done),
                Err(_) => Python::attach(|py| py.check_signals())?,
            }
        }
    })
}
