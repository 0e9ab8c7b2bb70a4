//! Hands results of work done on the runtime to asyncio futures without taking the GIL on
//! runtime threads.
//!
//! Each event loop gets one `Completions`: finished work is queued here and the loop is woken
//! through a pipe it watches with `add_reader` (one byte per batch of completions, not per
//! result). `drain`, called by the loop with the GIL, turns results into Python objects and
//! resolves the futures. A `call_soon_threadsafe` per result would take the GIL on a runtime
//! thread and write the loop's own wake-up pipe once per message.

use crate::error;
use crate::runtime::runtime;
use parking_lot::Mutex;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use std::future::Future;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Done {
    future: Py<PyAny>,
    finish: Finish,
}

struct Shared {
    queue: Mutex<Vec<Done>>,
    wake: OwnedFd,
}

impl Shared {
    fn push(&self, done: Done) {
        let mut queue = self.queue.lock();
        let first = queue.is_empty();
        queue.push(done);
        drop(queue);
        if first {
            // A full pipe already holds a wake-up; any other failure means the loop is gone.
            // SAFETY: writes one byte from a valid buffer to a descriptor we own.
            let _ = unsafe { libc::write(self.wake.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        }
    }
}

/// The completion queue of one asyncio event loop.
#[pyclass(module = "rmq._native", frozen)]
pub struct Completions {
    shared: Arc<Shared>,
    readable: OwnedFd,
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Completions> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(PyOSError::new_err(format!(
                "cannot create the asyncio wake-up pipe: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
        let (readable, wake) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Completions {
            shared: Arc::new(Shared {
                queue: Mutex::new(Vec::new()),
                wake,
            }),
            readable,
        })
    }

    /// The descriptor the loop watches.
    fn fileno(&self) -> i32 {
        self.readable.as_raw_fd()
    }

    /// Resolves every finished future. Called by the loop when `fileno()` is readable.
    fn drain(&self, py: Python<'_>) {
        let mut sink = [0u8; 256];
        // SAFETY: reads into a buffer of the given size from a descriptor we own.
        while unsafe {
            libc::read(
                self.readable.as_raw_fd(),
                sink.as_mut_ptr().cast(),
                sink.len(),
            )
        } > 0
        {}
        let done = std::mem::take(&mut *self.shared.queue.lock());
        for Done { future, finish } in done {
            let future = future.bind(py);
            if future
                .call_method0("cancelled")
                .and_then(|c| c.is_truthy())
                .unwrap_or(true)
            {
                continue;
            }
            // A future cancelled or resolved meanwhile refuses the result; nothing to do then.
            let _ = match finish(py) {
                Ok(value) => future.call_method1("set_result", (value,)),
                Err(err) => future.call_method1("set_exception", (err.value(py),)),
            };
        }
    }
}

/// Runs `work` on the runtime and resolves the asyncio `future` with `convert(result)`.
pub fn submit<T, F, C>(
    completions: &Completions,
    future: Py<PyAny>,
    work: F,
    convert: C,
) -> PyResult<()>
where
    T: Send + 'static,
    F: Future<Output = Result<T, rmq_client::Error>> + Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let shared = completions.shared.clone();
    runtime()?.spawn(async move {
        let result = work.await;
        shared.push(Done {
            future,
            finish: Box::new(move |py| match result {
                Ok(value) => convert(py, value),
                Err(e) => Err(error::to_py(&e)),
            }),
        });
    });
    Ok(())
}

/// `None` for work that returns nothing.
pub fn none(py: Python<'_>, _: ()) -> PyResult<Py<PyAny>> {
    Ok(py.None())
}
