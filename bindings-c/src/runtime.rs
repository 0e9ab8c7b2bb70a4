//! The binding's one tokio runtime: the core's caller-driven runtime, so a C thread blocked in
//! an rmq call drives the client's I/O itself (no hand-off to another thread and back), and the
//! `rmq-io` thread drives background work (push consumers, async sends, timers) between calls.
//!
//! A forked child inherits the parent's memory but none of its threads: it gets a fresh runtime
//! on first use, and handles created before the fork refuse to work there with
//! `RMQ_ERR__CLOSED` instead of waiting on threads that do not exist.

use rmq_client::caller_driven::CallerDriven;
use rmq_client::{Error, ErrorKind};
use std::sync::{Mutex, PoisonError};

static CURRENT: Mutex<Option<(u32, CallerDriven)>> = Mutex::new(None);

/// The runtime of this process, built on first use (and again in a forked child).
pub fn runtime() -> Result<CallerDriven, Error> {
    let pid = std::process::id();
    let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = *current
        && owner == pid
    {
        return Ok(runtime);
    }
    // Threads start with their creator's mask: rmq's own never take a SIGPIPE.
    let _sigpipe = crate::sigpipe::Blocked::here();
    crate::logging::install();
    let runtime = CallerDriven::start("rmq-io").map_err(|e| {
        Error::new(
            ErrorKind::Closed,
            "runtime",
            format!("cannot start rmq's runtime: {e}"),
        )
    })?;
    *current = Some((pid, runtime));
    Ok(runtime)
}

/// The process a handle was created in.
#[derive(Clone, Copy, Debug)]
pub struct Owner(u32);

impl Owner {
    /// Owned by the calling process.
    pub fn here() -> Owner {
        Owner(std::process::id())
    }

    /// Fails in a forked child: the handle's background tasks ran on the parent's threads.
    pub fn check(self, what: &str) -> Result<(), Error> {
        if self.0 == std::process::id() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Closed,
            "fork",
            format!(
                "this {what} was created in process {} and cannot be used after fork(); create a \
                 new one in the child",
                self.0
            ),
        ))
    }
}

/// Runs `work` to completion on the runtime, driving it from the calling thread (with SIGPIPE
/// blocked there meanwhile).
pub fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, Error> {
    let _sigpipe = crate::sigpipe::Blocked::here();
    Ok(runtime()?.block_on(work))
}
