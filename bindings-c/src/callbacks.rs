//! C callbacks: a function pointer plus the application's `opaque` pointer, called on rmq's
//! own threads (never on a runtime thread, never while rmq holds a lock the API takes), with
//! arguments borrowed for the duration of the call.

#![allow(non_camel_case_types)]

use crate::error::{boundary_or, rmq_err};
use crate::message::rmq_message_view;
use crate::producer::rmq_send_receipt;
use rmq_client::callback_pool::CallbackPool;
use rmq_client::{ConsumeResult, MessageView, TransactionResolution};
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

    /// Calls the listener of consumer number `consumer` on `view`; a panic or a failure value
    /// is a consume failure.
    pub(crate) fn consume(self, consumer: u64, view: MessageView) -> ConsumeResult {
        let view = rmq_message_view::new(view);
        let result = boundary_or("message listener", RMQ_CONSUME_FAILURE, || {
            let _inside = InListener::enter(consumer);
            // SAFETY: the application's callback, given a view valid for the call.
            unsafe { (self.call)(self.opaque.0, &view) }
        });
        match result {
            RMQ_CONSUME_SUCCESS => ConsumeResult::Success,
            _ => ConsumeResult::Failure,
        }
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

    /// Asks the checker about `view`, on the checker's own thread.
    pub(crate) fn into_core(self) -> std::io::Result<impl rmq_client::TransactionChecker> {
        let pool = CallbackPool::new("rmq-checker", 1)?;
        let (call, opaque) = (self.call, self.opaque);
        Ok(move |view: &MessageView| {
            let view = view.clone();
            let answer = pool.call(move || {
                let view = rmq_message_view::new(view);
                boundary_or("transaction checker", RMQ_TRANSACTION_UNKNOWN, || {
                    // SAFETY: the application's callback, given a view valid for the call.
                    unsafe { call(opaque.get(), &view) }
                })
            });
            match answer {
                Some(RMQ_TRANSACTION_COMMIT) => TransactionResolution::Commit,
                Some(RMQ_TRANSACTION_ROLLBACK) => TransactionResolution::Rollback,
                _ => TransactionResolution::Unknown,
            }
        })
    }
}

thread_local! {
    /// The consumer whose listener runs on this thread (0: none).
    static IN_LISTENER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Marks the current thread as running a listener, so closing a consumer from inside its
/// listener is refused instead of waiting for itself.
struct InListener;

impl InListener {
    fn enter(consumer: u64) -> InListener {
        IN_LISTENER.with(|i| i.set(consumer));
        InListener
    }
}

impl Drop for InListener {
    fn drop(&mut self) {
        IN_LISTENER.with(|i| i.set(0));
    }
}

/// Whether the current thread is inside the listener of consumer number `consumer`.
pub(crate) fn in_listener(consumer: u64) -> bool {
    IN_LISTENER.with(|i| i.get()) == consumer
}

/// The threads async send completions run on (one per process, started on first use).
pub fn completions() -> Option<&'static Arc<CallbackPool>> {
    static POOL: OnceLock<Option<Arc<CallbackPool>>> = OnceLock::new();
    POOL.get_or_init(|| CallbackPool::new("rmq-callback", 1).ok())
        .as_ref()
}
