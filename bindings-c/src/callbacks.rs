//! C callbacks: a function pointer plus the application's `opaque` pointer, called on rmq's
//! own threads (never on a runtime thread, never while rmq holds a lock the API takes), with
//! arguments borrowed for the duration of the call.

#![allow(non_camel_case_types)]

use crate::error::{boundary_or, rmq_err};
use crate::inflight::{self, Entered, InFlight};
use crate::producer::rmq_send_receipt;
use crate::view::rmq_message_view;
use rmq_client::callback_pool::CallbackPool;
use rmq_client::{
    ConsumeResult, MessageView, PushConsumerBuilder, TransactionChecker, TransactionResolution,
};
use std::ffi::c_void;
use std::sync::{Arc, OnceLock};

/// The application's pointer, handed back to its callbacks. rmq never reads it; the
/// application makes whatever it points to safe to use from rmq's threads.
#[derive(Clone, Copy)]
pub struct Opaque(*mut c_void);

impl Opaque {
    /// Wraps the application's pointer.
    pub fn new(p: *mut c_void) -> Opaque {
        Opaque(p)
    }

    /// The application's pointer.
    pub fn get(self) -> *mut c_void {
        self.0
    }
}

// SAFETY: rmq only passes the pointer back to the application's own callback; the C API
// documents that callbacks run on rmq's threads.
unsafe impl Send for Opaque {}
// SAFETY: as above.
unsafe impl Sync for Opaque {}

/// A push consumer's listener: called once per message on one of the consumer's listener
/// threads (`rmq-listener-N`, up to `consumption_threads` at once; one message group at a time
/// for a FIFO group). `view` is borrowed for the call: copy what you keep, never free it.
/// Return `RMQ_CONSUME_SUCCESS` (0) to acknowledge the message; any other value is
/// `RMQ_CONSUME_FAILURE`, and the message is redelivered after the group's backoff. The
/// listener may call the API (send, ...), but must not close or free its own consumer.
pub type rmq_message_listener =
    Option<unsafe extern "C" fn(opaque: *mut c_void, view: *const rmq_message_view) -> i32>;

/// A producer's transaction checker: called on the producer's checker thread when the server
/// asks about a transaction left undecided; `view` (the half message) is borrowed for the
/// call. Return `RMQ_TRANSACTION_COMMIT` (0), `RMQ_TRANSACTION_ROLLBACK` (1) or
/// `RMQ_TRANSACTION_UNKNOWN` (2; any other value too: the server asks again later).
pub type rmq_transaction_checker =
    Option<unsafe extern "C" fn(opaque: *mut c_void, view: *const rmq_message_view) -> i32>;

/// An async send's completion: called once, on an rmq callback thread, with `RMQ_OK` and the
/// receipt, or an error (its text in `rmq_last_error_message()` during the call) and a NULL
/// receipt. The receipt is borrowed for the call.
pub type rmq_send_callback = Option<
    unsafe extern "C" fn(opaque: *mut c_void, err: rmq_err, receipt: *const rmq_send_receipt),
>;

/// What a listener returns: acknowledge.
pub const RMQ_CONSUME_SUCCESS: i32 = 0;
/// What a listener returns: redeliver after the group's backoff.
pub const RMQ_CONSUME_FAILURE: i32 = 1;
/// What a checker returns: commit the transaction.
pub const RMQ_TRANSACTION_COMMIT: i32 = 0;
/// What a checker returns: roll the transaction back.
pub const RMQ_TRANSACTION_ROLLBACK: i32 = 1;
/// What a checker returns: undecided; the server asks again later.
pub const RMQ_TRANSACTION_UNKNOWN: i32 = 2;

type ViewFn = unsafe extern "C" fn(*mut c_void, *const rmq_message_view) -> i32;

/// A listener as the configuration holds it.
#[derive(Clone, Copy)]
pub(crate) struct Listener {
    call: ViewFn,
    opaque: Opaque,
}

impl Listener {
    pub(crate) fn new(call: ViewFn, opaque: *mut c_void) -> Listener {
        Listener {
            call,
            opaque: Opaque(opaque),
        }
    }

    /// Calls the listener on `view`: its status (a panic is a failure).
    pub(crate) fn consume(self, view: MessageView) -> i32 {
        let view = rmq_message_view::new(view);
        boundary_or("message listener", RMQ_CONSUME_FAILURE, || {
            // SAFETY: the application's callback, given a view valid for the call.
            unsafe { (self.call)(self.opaque.0, &view) }
        })
    }
}

/// A checker as the configuration holds it.
#[derive(Clone, Copy)]
pub(crate) struct Checker {
    call: ViewFn,
    opaque: Opaque,
}

impl Checker {
    pub(crate) fn new(call: ViewFn, opaque: *mut c_void) -> Checker {
        Checker {
            call,
            opaque: Opaque(opaque),
        }
    }

    /// Asks the checker about `view`: its status (a panic is "unknown").
    pub(crate) fn check(self, view: MessageView) -> i32 {
        let view = rmq_message_view::new(view);
        boundary_or("transaction checker", RMQ_TRANSACTION_UNKNOWN, || {
            // SAFETY: the application's callback, given a view valid for the call.
            unsafe { (self.call)(self.opaque.0, &view) }
        })
    }
}

/// Gives a push consumer a listener that runs `consume` (the application's callback, answering
/// 0 for success) on the consumer's own threads (`rmq-listener-N`, as many as it calls at
/// once), marked as inside consumer `id`. The threads stop with [`CallbackPool::close`].
pub fn listen_on_threads(
    builder: PushConsumerBuilder,
    id: usize,
    consume: impl Fn(MessageView) -> i32 + Send + Sync + Clone + 'static,
) -> std::io::Result<(PushConsumerBuilder, Arc<CallbackPool>)> {
    let (listener, pool) = listener_on_threads(builder.listener_concurrency(), id, consume)?;
    Ok((builder.listener(listener), pool))
}

/// The core listener [`listen_on_threads`] sets, and its `threads` listener threads, for a
/// builder of another kind (the lite push consumer's).
pub fn listener_on_threads(
    threads: usize,
    id: usize,
    consume: impl Fn(MessageView) -> i32 + Send + Sync + Clone + 'static,
) -> std::io::Result<(
    impl Fn(&MessageView) -> ConsumeResult + Send + Sync + 'static,
    Arc<CallbackPool>,
)> {
    let pool = CallbackPool::new("rmq-listener", threads)?;
    let on = pool.clone();
    let listener = move |view: &MessageView| {
        let (view, consume) = (view.clone(), consume.clone());
        match on.call(move || inflight::inside(id, || consume(view))) {
            Some(RMQ_CONSUME_SUCCESS) => ConsumeResult::Success,
            _ => ConsumeResult::Failure,
        }
    };
    Ok((listener, pool))
}

/// A transaction checker that runs `check` (the application's callback, answering 0 commit,
/// 1 rollback, anything else unknown) on the producer's checker thread (`rmq-checker-0`),
/// counted in `inflight`: once the producer is closing, checks answer "unknown" without
/// calling it (the server asks again later).
pub fn check_on_thread(
    inflight: Arc<InFlight>,
    check: impl Fn(MessageView) -> i32 + Send + Sync + Clone + 'static,
) -> std::io::Result<impl TransactionChecker> {
    let pool = CallbackPool::new("rmq-checker", 1)?;
    Ok(move |view: &MessageView| {
        let Some(entered) = inflight.enter() else {
            return TransactionResolution::Unknown;
        };
        let (view, check) = (view.clone(), check.clone());
        match pool.call(move || entered.run(|| check(view))) {
            Some(RMQ_TRANSACTION_COMMIT) => TransactionResolution::Commit,
            Some(RMQ_TRANSACTION_ROLLBACK) => TransactionResolution::Rollback,
            _ => TransactionResolution::Unknown,
        }
    })
}

/// Runs a send's completion callback on rmq's callback thread (`rmq-callback-0`), inside the
/// producer's callbacks; `entered` (taken when the send started) ends after it. Never silent:
/// a completion that cannot be delivered is logged.
pub fn complete_on_thread(entered: Entered, done: impl FnOnce() + Send + 'static) {
    static POOL: OnceLock<Option<Arc<CallbackPool>>> = OnceLock::new();
    let pool = POOL.get_or_init(|| CallbackPool::new("rmq-callback", 1).ok());
    let delivered = pool
        .as_ref()
        .is_some_and(|pool| pool.spawn(move || entered.run(done)));
    if !delivered {
        tracing::error!("a send completion could not be delivered: no callback thread");
    }
}
