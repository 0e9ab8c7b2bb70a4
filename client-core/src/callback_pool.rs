//! Named threads that run a binding's user callbacks (message listeners, transaction checkers).
//!
//! The core calls listeners and checkers on tokio's blocking threads. Binding code should not
//! run user code there: a blocking thread belongs to the runtime, so a callback that makes a
//! blocking rmq call (which drives the runtime) or waits for a host lock (Python's GIL) would
//! hold a thread the runtime may need. A binding gives each consumer or checker its own named
//! threads instead; the core's thread waits for the answer.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of named threads running callbacks.
pub struct CallbackPool {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

impl CallbackPool {
    /// Starts `threads` threads named `{name}-{i}`.
    pub fn new(name: &str, threads: usize) -> std::io::Result<Arc<CallbackPool>> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Arc::new(CallbackPool {
            jobs: Mutex::new(Some(tx)),
        }))
    }

    /// Runs `call` on a pool thread and waits for its answer; `None` once the pool is closed
    /// (or if `call` panicked).
    pub fn call<R: Send + 'static>(&self, call: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(call());
        });
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()?
            .send(job)
            .ok()?;
        rx.recv().ok()
    }

    /// Runs `call` on a pool thread without waiting; false once the pool is closed.
    pub fn spawn(&self, call: impl FnOnce() + Send + 'static) -> bool {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        match jobs.as_ref() {
            Some(jobs) => jobs.send(Box::new(call)).is_ok(),
            None => false,
        }
    }

    /// Lets the threads finish their current job and exit.
    pub fn close(&self) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}
