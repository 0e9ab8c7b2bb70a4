//! `CancelToken`: what an `AbortSignal` reaches native code through. `lib/cancel.cjs` makes one
//! per call that has a signal and cancels it on `abort`; the call's future is then dropped and
//! its promise rejects with `AbortError`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

#[derive(Default)]
struct Shared {
    cancelled: AtomicBool,
    notify: Notify,
}

/// Cancels the native calls it was passed to.
#[napi]
#[derive(Default, Clone)]
pub struct CancelToken {
    shared: Arc<Shared>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels every call holding this token (now and later).
    #[napi]
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::SeqCst);
        self.shared.notify.notify_waiters();
    }
}

impl CancelToken {
    /// A future that completes once the token is cancelled.
    pub(crate) fn waiter(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let shared = self.shared.clone();
        async move {
            loop {
                let notified = shared.notify.notified();
                if shared.cancelled.load(Ordering::SeqCst) {
                    return;
                }
                notified.await;
            }
        }
    }
}
