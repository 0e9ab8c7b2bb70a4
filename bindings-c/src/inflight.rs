//! What stops a client's callbacks from outliving it: callbacks in flight (async send
//! completions, transaction checks) are counted, closing the client refuses new ones and waits
//! for the running ones, and a thread inside a client's callback is known, so a close from
//! there is refused (`RMQ_ERR__WOULD_DEADLOCK`) instead of waiting for itself. Used by librmq
//! and librocketmq alike.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

thread_local! {
    /// The client whose callback runs on this thread (0: none).
    static INSIDE: Cell<usize> = const { Cell::new(0) };
}

/// A fresh number for a client, never 0.
pub fn next_id() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `call` marked as inside client `id`'s callback.
pub fn inside<R>(id: usize, call: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            INSIDE.with(|i| i.set(self.0));
        }
    }
    let _restore = Restore(INSIDE.with(|i| i.replace(id)));
    call()
}

/// Whether this thread is inside client `id`'s callback.
pub fn is_inside(id: usize) -> bool {
    INSIDE.with(Cell::get) == id
}

/// The callbacks a client may still make.
pub struct InFlight {
    id: usize,
    /// (closed, running)
    state: Mutex<(bool, usize)>,
    idle: Condvar,
}

/// One counted callback (or the work that ends in one); dropping it ends it.
pub struct Entered(Arc<InFlight>);

impl Drop for Entered {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 -= 1;
        if state.1 == 0 {
            self.0.idle.notify_all();
        }
    }
}

impl Entered {
    /// Runs the callback, marked as inside this client's callbacks.
    pub fn run<R>(&self, call: impl FnOnce() -> R) -> R {
        inside(self.0.id, call)
    }
}

/// What a close from inside one of the client's own callbacks gets.
#[derive(Debug)]
pub struct WouldDeadlock;

impl InFlight {
    /// A tracker for client `id` (see [`next_id`]).
    pub fn new(id: usize) -> Arc<InFlight> {
        Arc::new(InFlight {
            id,
            state: Mutex::new((false, 0)),
            idle: Condvar::new(),
        })
    }

    /// Counts one more callback to come, or `None` once the client is closing.
    pub fn enter(self: &Arc<Self>) -> Option<Entered> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.0 {
            return None;
        }
        state.1 += 1;
        Some(Entered(self.clone()))
    }

    /// Refuses new callbacks and waits for the running ones; refused from inside one of them.
    pub fn close(&self) -> Result<(), WouldDeadlock> {
        if is_inside(self.id) {
            return Err(WouldDeadlock);
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = true;
        while state.1 > 0 {
            state = self
                .idle
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        Ok(())
    }
}
