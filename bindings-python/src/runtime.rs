//! The binding's one tokio runtime, shared by every client and broker of the process.
//!
//! A forked child inherits the parent's memory but none of its threads, so the parent's
//! runtime is dead there. The child gets a fresh runtime on first use; clients and brokers
//! created before the fork belong to the parent and refuse to work in the child with a clear
//! error ([`Owner::check`]) instead of hanging on threads that do not exist.

use crate::error::closed;
use parking_lot::Mutex;
use pyo3::prelude::*;
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Runtime;

struct Current {
    pid: u32,
    // Leaked on purpose: dropping a runtime joins its threads, which a forked child does not
    // have, and at interpreter exit the process ends them anyway.
    runtime: &'static Runtime,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// The runtime of this process, built on first use (and again in a forked child).
pub fn runtime() -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut current = CURRENT.lock();
    if let Some(c) = current.as_ref().filter(|c| c.pid == pid) {
        return Ok(c.runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("rmq-io")
        .enable_all()
        .build()
        .map_err(|e| closed(format!("cannot start the rmq runtime: {e}")))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *current = Some(Current { pid, runtime });
    Ok(runtime)
}

/// Worker threads: `RMQ_WORKER_THREADS` if set, else one per core but one (the calling Python
/// thread keeps a core busy too), from 1 to 4: the client is network-bound and more threads
/// only add hand-offs. On 2 cores one worker gives about 7% more sequential sends than two.
fn worker_threads() -> usize {
    std::env::var("RMQ_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .clamp(1, 4)
        })
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

/// Runs `work` to completion with the GIL released. A signal handler that raises (Ctrl-C)
/// abandons the work and its exception is returned.
pub fn block_on<F>(py: Python<'_>, work: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = runtime()?;
    py.detach(|| {
        runtime.block_on(async {
            let mut work = std::pin::pin!(work);
            loop {
                match tokio::time::timeout(SIGNAL_CHECK, &mut work).await {
                    Ok(done) => return Ok(done),
                    Err(_) => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}
