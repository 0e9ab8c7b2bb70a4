//! A tokio runtime driven by the threads that wait on it: the shape every binding's blocking
//! calls use (Python's sync methods, every C call).
//!
//! The core never builds a runtime of its own; a binding builds one of these once and owns it.
//! It is a current-thread runtime: one thread at a time runs all of its tasks and its I/O. A
//! thread that makes a blocking call drives it itself for the call's duration, so a sequential
//! caller's request, the HTTP/2 connection and the answer all run on the caller's thread, with
//! no hand-off to another thread and back (measured in the Python binding: ~4.9 context
//! switches per sync send with a separate network thread, ~1 driving it from the caller).
//! Between calls a background thread drives it: it gives the runtime up as soon as a caller
//! asks, and takes it back once no caller has come for [`HAND_BACK`], so a loop of blocking
//! calls keeps the runtime on the calling thread, while background work (push consumers,
//! timers, async sends) is driven by that thread whenever no blocking call is in progress.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::Notify;

/// How long the background thread leaves the runtime to blocking callers after the last one
/// returned.
const HAND_BACK: Duration = Duration::from_millis(1);
/// The longest the background thread stays away while blocking calls keep coming and going.
const AWAY_AT_MOST: Duration = Duration::from_millis(10);

/// Who drives the runtime: blocking callers while there are any, the background thread
/// otherwise.
struct Driver {
    /// Blocking calls in progress.
    callers: AtomicUsize,
    /// When the last blocking call returned, in µs since `epoch`.
    released: AtomicU64,
    epoch: Instant,
    /// Wakes the background thread to give the runtime up.
    wanted: Notify,
    /// Wakes the background thread when the last blocking call returns.
    idle: Condvar,
    idle_lock: Mutex<()>,
}

impl Driver {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn since_release(&self) -> Duration {
        Duration::from_micros(
            self.now()
                .saturating_sub(self.released.load(Ordering::Acquire)),
        )
    }

    fn enter(&self) {
        self.callers.fetch_add(1, Ordering::AcqRel);
        self.wanted.notify_one();
    }

    fn leave(&self) {
        self.released.store(self.now(), Ordering::Release);
        if self.callers.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _guard = self
                .idle_lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.idle.notify_one();
        }
    }

    /// Blocks until no blocking call has been in progress for [`HAND_BACK`], or none is in
    /// progress after [`AWAY_AT_MOST`] (calls that end without driving anything, such as
    /// refused arguments in a tight loop, must not keep background work waiting).
    fn wait_until_quiet(&self) {
        let gave_up = Instant::now();
        loop {
            {
                let mut guard = self
                    .idle_lock
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                while self.callers.load(Ordering::Acquire) > 0 {
                    guard = self
                        .idle
                        .wait(guard)
                        .unwrap_or_else(PoisonError::into_inner);
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

/// The background thread: drives the runtime until a blocking caller wants it, then waits for
/// the callers to be gone for [`HAND_BACK`] before driving again.
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

/// A blocking call in progress; leaving it (even by unwinding) lets the background thread
/// drive again.
struct Calling(&'static Driver);

impl Drop for Calling {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// A caller-driven runtime (see the module docs). It lives for the rest of the process: a
/// binding keeps one per process, and dropping a runtime would join threads that a forked
/// child does not have.
#[derive(Clone, Copy)]
pub struct CallerDriven {
    runtime: &'static Runtime,
    driver: &'static Driver,
}

impl CallerDriven {
    /// Builds the runtime and starts its background thread, named `thread_name`.
    pub fn start(thread_name: &str) -> std::io::Result<CallerDriven> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name(format!("{thread_name}-blocking"))
            .enable_all()
            .build()?;
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
            .name(thread_name.to_owned())
            .spawn(move || drive(runtime, driver))?;
        Ok(CallerDriven { runtime, driver })
    }

    /// The runtime, to spawn background work on.
    pub fn handle(self) -> &'static Handle {
        self.runtime.handle()
    }

    /// Runs `work` to completion, driving the runtime from this thread.
    pub fn block_on<F: Future>(&self, work: F) -> F::Output {
        self.driver.enter();
        let _calling = Calling(self.driver);
        self.runtime.block_on(work)
    }

    /// Drives `work` from this thread for at most `slice`: `Ok` with its output when it
    /// finished, `Err` otherwise (the caller may look at something, such as a pending signal,
    /// and call again with the same pinned work).
    pub fn block_on_for<F: Future + Unpin>(
        &self,
        work: &mut F,
        slice: Duration,
    ) -> Result<F::Output, tokio::time::error::Elapsed> {
        self.driver.enter();
        let _calling = Calling(self.driver);
        // The timer is made inside the runtime: it needs the runtime's clock.
        self.runtime
            .block_on(async { tokio::time::timeout(slice, work).await })
    }
}
