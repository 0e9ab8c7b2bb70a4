//! The threads user callbacks (message listeners, transaction checkers) run on.
//!
//! The core calls listeners on tokio's blocking threads. Python code does not run there: a
//! blocking thread belongs to the runtime, so a listener that sends with the sync API (which
//! blocks on the runtime) would fail, and a callback waiting for the GIL would hold a thread
//! the runtime may need. Each consumer or checker gets its own named threads instead
//! (`rmq-callback-N`); the core's thread waits for the answer.

use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::mpsc;

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
                        let job = rx.lock().recv();
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

    /// Runs `call` on a pool thread and waits for its answer; `None` once the pool is closed.
    pub fn call<R: Send + 'static>(&self, call: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(call());
        });
        self.jobs.lock().as_ref()?.send(job).ok()?;
        rx.recv().ok()
    }

    /// Lets the threads finish their current job and exit.
    pub fn close(&self) {
        self.jobs.lock().take();
    }
}
