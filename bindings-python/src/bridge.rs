//! Hands results of work done on the runtime to asyncio futures without taking the GIL on
//! runtime threads.
//!
//! Each event loop gets one `Completions`: finished work is queued here and the loop is woken
//! through a socket it watches with `add_reader` (one byte per batch of completions, not per
//! result). `drain`, called by the loop with the GIL, turns results into Python objects and
//! resolves the futures. A `call_soon_threadsafe` per result would take the GIL on a runtime
//! thread and write the loop's own wake-up socket once per message.

use crate::error;
use crate::runtime::runtime;
use parking_lot::Mutex;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Done {
    future: Py<PyAny>,
    finish: Finish,
}

struct Shared {
    queue: Mutex<Vec<Done>>,
    wake: UnixStream,
}

impl Shared {
    fn push(&self, done: Done) {
        let mut queue = self.queue.lock();
        let first = queue.is_empty();
        queue.push(done);
        drop(queue);
        if first {
            // A full socket already holds a wake-up; any other failure means the loop is gone.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// The completion queue of one asyncio event loop.
#[pyclass(module = "rmq._native", frozen)]
pub struct Completions {
    shared: Arc<Shared>,
    readable: UnixStream,
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Completions> {
        let cannot = |e: std::io::Error| {
            PyOSError::new_err(format!("cannot create the asyncio wake-up socket: {e}"))
        };
        // A socket pair rather than a pipe: the same on every Unix, close-on-exec by default.
        let (readable, wake) = UnixStream::pair().map_err(cannot)?;
        readable.set_nonblocking(true).map_err(cannot)?;
        wake.set_nonblocking(true).map_err(cannot)?;
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
        while matches!((&self.readable).read(&mut sink), Ok(n) if n > 0) {}
        let done = std::mem::take(&mut *self.shared.queue.lock());
        for Done { future, finish } in done {
            // A future cancelled meanwhile refuses the result (InvalidStateError); that is
            // rarer than asking every future first whether it was cancelled.
            let future = future.bind(py);
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
