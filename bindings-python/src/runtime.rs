//! The binding's one tokio runtime, shared by every client and broker of the process, and who
//! drives it.
//!
//! The runtime is a current-thread runtime: one thread at a time runs all of its tasks and its
//! I/O. A thread that makes a sync call (`block_on`) drives it itself for the call's duration,
//! so a sequential caller's request, the HTTP/2 connection and the answer all run on the
//! caller's thread, with no hand-off to another thread and back (measured: ~4.9 context
//! switches per sync send with a separate network thread, ~1 driving it from the caller).
//! Between calls a background thread (`rmq-io`) drives it: it gives the runtime up as soon as
//! a caller asks, and takes it back once no caller has come for [`HAND_BACK`], so a loop of
//! sync calls keeps the runtime on the calling thread, while asyncio work, push consumers and
//! timers are driven by `rmq-io` whenever no sync call is in progress.
//!
//! A forked child inherits the parent's memory but none of its threads, so the parent's
//! runtime is dead there. The child gets a fresh runtime on first use; clients and brokers
//! created before the fork belong to the parent and refuse to work in the child with a clear
//! error ([`Owner::check`]) instead of hanging on threads that do not exist.

use crate::error::closed;
use parking_lot::{Condvar, Mutex};
use pyo3::prelude::*;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

/// How long `rmq-io` leaves the runtime to sync callers after the last one returned.
const HAND_BACK: Duration = Duration::from_millis(1);
/// The longest `rmq-io` stays away while sync calls keep coming and going.
const AWAY_AT_MOST: Duration = Duration::from_millis(10);

struct Current {
    pid: u32,
    // Leaked on purpose: dropping a runtime joins its threads, which a forked child does not
    // have, and at interpreter exit the process ends them anyway.
    runtime: &'static Runtime,
    driver: &'static Driver,
}

/// Who drives the runtime: sync callers while there are any, `rmq-io` otherwise.
struct Driver {
    /// Sync calls in progress.
    callers: AtomicUsize,
    /// When the last sync call returned, in µs since `epoch`.
    released: AtomicU64,
    epoch: Instant,
    /// Wakes `rmq-io` to give the runtime up.
    wanted: Notify,
    /// Wakes `rmq-io` when the last sync call returns.
    idle: Condvar,
    idle_lock: Mutex<()>,
}

impl Driver {
    fn since_release(&self) -> Duration {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(now.saturating_sub(self.released.load(Ordering::Acquire)))
    }

    fn enter(&self) {
        self.callers.fetch_add(1, Ordering::AcqRel);
        self.wanted.notify_one();
    }

    fn leave(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.released.store(now, Ordering::Release);
        if self.callers.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _guard = self.idle_lock.lock();
            self.idle.notify_one();
        }
    }

    /// Blocks until no sync call has been in progress for [`HAND_BACK`], or none is in
    /// progress after [`AWAY_AT_MOST`] (calls that end without driving anything, such as
    /// refused arguments in a tight loop, must not keep background work waiting).
    fn wait_until_quiet(&self) {
        let gave_up = Instant::now();
        loop {
            {
                let mut guard = self.idle_lock.lock();
                while self.callers.load(Ordering::Acquire) > 0 {
                    self.idle.wait(&mut guard);
                }
            }
            std::thread::sleep(HAND_BACK);
            let quiet = self.since_release() >= HAND_BACK || gave_up.elapsed() >= AWAY_AT_MOST;
            if quiet && self.callers.load(Ordering::Acquire) == 0 {
                return;
            }
        }
    }
}

/// The `rmq-io` thread: drives the runtime until a sync caller wants it, then waits for the
/// callers to be gone for [`HAND_BACK`] before driving again.
fn drive(runtime: &'static Runtime, driver: &'static Driver) {
    loop {
        runtime.block_on(async {
            loop {
                let wanted = driver.wanted.notified();
                if driver.callers.load(Ordering::Acquire) > 0 {
                    return;
                }
                wanted.await;
            }
        });
        driver.wait_until_quiet();
    }
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// The runtime of this process, built on first use (and again in a forked child).
pub fn runtime() -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    current(pid).map(|c| c.0)
}

fn current(pid: u32) -> PyResult<(&'static Runtime, &'static Driver)> {
    let mut current = CURRENT.lock();
    if let Some(c) = current.as_ref().filter(|c| c.pid == pid) {
        return Ok((c.runtime, c.driver));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .thread_name("rmq-blocking")
        .enable_all()
        .build()
        .map_err(|e| closed(format!("cannot start the rmq runtime: {e}")))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    let driver: &'static Driver = Box::leak(Box::new(Driver {
        callers: AtomicUsize::new(0),
        released: AtomicU64::new(0),
        epoch: Instant::now(),
        wanted: Notify::new(),
        idle: Condvar::new(),
        idle_lock: Mutex::new(()),
    }));
    std::thread::Builder::new()
        .name("rmq-io".to_owned())
        .spawn(move || drive(runtime, driver))
        .map_err(|e| closed(format!("cannot start the rmq network thread: {e}")))?;
    *current = Some(Current {
        pid,
        runtime,
        driver,
    });
    Ok((runtime, driver))
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

/// A sync call in progress; leaving it (even by unwinding) lets `rmq-io` drive again.
struct Calling(&'static Driver);

impl Calling {
    fn new(driver: &'static Driver) -> Calling {
        driver.enter();
        Calling(driver)
    }
}

impl Drop for Calling {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// Runs `work` to completion with the GIL released, driving the runtime from this thread
/// (see the module docs). Every [`SIGNAL_CHECK`] the caller leaves the runtime and looks for a
/// pending signal, so a handler runs while `rmq-io` drives (it may call rmq itself) and one
/// that raises (Ctrl-C) abandons the work; its exception is returned.
pub fn block_on<F>(py: Python<'_>, work: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let (runtime, driver) = current(std::process::id())?;
    py.detach(|| {
        let mut work = std::pin::pin!(work);
        loop {
            let waited = {
                let _calling = Calling::new(driver);
                // The timer is made inside the runtime: it needs the runtime's clock.
                runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut work).await })
            };
            match waited {
                Ok(done) => return Ok(done),
                Err(_) => Python::attach(|py| py.check_signals())?,
            }
        }
    })
}
