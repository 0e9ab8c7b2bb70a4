//! `rmq_producer`: every message type (normal, FIFO, delay, priority), batches, recall, async
//! sends with a completion callback, and transactions (`transaction.rs`).

#![allow(non_camel_case_types)]

use crate::callbacks::{Opaque, check_on_thread, complete_on_thread, rmq_send_callback};
use crate::config::rmq_conf;
use crate::error::{boundary, boundary_or, fail, fail_with, result, rmq_err};
use crate::ffi::{self, check, core_try, cstring};
use crate::inflight::{self, InFlight};
use crate::message::{read, rmq_message};
use crate::runtime::{Owner, block_on, runtime};
use rmq_client::{Producer, SendReceipt};
use std::ffi::{CString, c_char, c_void};
use std::ptr::null;
use std::sync::Arc;

/// A started producer. Thread-safe: any thread may send.
pub struct rmq_producer {
    pub(crate) inner: Producer,
    pub(crate) owner: Owner,
    /// Async send completions and transaction checks still to come.
    inflight: Arc<InFlight>,
}

impl rmq_producer {
    /// The producer, if this process may use it.
    pub(crate) fn live(&self) -> Result<&Producer, rmq_err> {
        self.owner.check("producer").map_err(|e| fail(&e))?;
        Ok(&self.inner)
    }

    /// Waits for the callbacks in flight (refusing new ones), then shuts the client down.
    fn close(&self) -> Result<(), rmq_err> {
        self.inflight.close().map_err(|_| {
            fail_with(
                rmq_err::RMQ_ERR__WOULD_DEADLOCK,
                "a producer cannot be closed or freed from inside its own send callback or \
                 transaction checker (closing waits for them)",
            )
        })?;
        let _ = block_on(self.inner.shutdown());
        Ok(())
    }
}

/// What a send returned.
pub struct rmq_send_receipt {
    inner: SendReceipt,
    message_id: CString,
    transaction_id: CString,
    recall_handle: CString,
    topic: CString,
}

impl rmq_send_receipt {
    pub(crate) fn new(inner: SendReceipt) -> rmq_send_receipt {
        rmq_send_receipt {
            message_id: cstring(&inner.message_id),
            transaction_id: cstring(&inner.transaction_id),
            recall_handle: cstring(&inner.recall_handle),
            topic: cstring(&inner.topic),
            inner,
        }
    }
}

/// Writes a receipt to an optional output.
pub(crate) fn give_receipt(receipt: SendReceipt, out: *mut *mut rmq_send_receipt) {
    if !out.is_null() {
        // SAFETY: the send functions' contract: `out` NULL or writable.
        unsafe { out.write(ffi::boxed(rmq_send_receipt::new(receipt))) };
    }
}

/// Builds and starts a producer from `conf` (client and producer keys of
/// `client-core/OPTIONS.md`; `topics` are checked at start; a transaction checker from
/// `rmq_conf_set_transaction_checker`). Blocks until started. `conf` is not kept: free it when
/// you like.
///
/// # Safety
/// `conf` is a live `rmq_conf`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_new(
    conf: *const rmq_conf,
    out: *mut *mut rmq_producer,
) -> rmq_err {
    boundary("rmq_producer_new", || {
        // SAFETY: the caller's contract.
        let conf = check!(unsafe { ffi::handle(conf, "conf") });
        let out = check!(ffi::out(out, "out"));
        let mut builder = core_try!(Producer::builder_from_map(conf.map()));
        let inflight = InFlight::new(inflight::next_id());
        if let Some(checker) = conf.checker {
            let checker = match check_on_thread(inflight.clone(), move |view| checker.check(view)) {
                Ok(c) => c,
                Err(e) => {
                    return fail_with(
                        rmq_err::RMQ_ERR__UNEXPECTED,
                        &format!("cannot start the checker thread: {e}"),
                    );
                }
            };
            builder = builder.transaction_checker(checker);
        }
        let inner = core_try!(core_try!(block_on(builder.start())));
        let producer = rmq_producer {
            inner,
            owner: Owner::here(),
            inflight,
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(producer)) };
        rmq_err::RMQ_OK
    })
}

/// Sends `message` and waits for the server's answer. On success `*receipt` (if `receipt` is
/// not NULL) gets a receipt to free with `rmq_send_receipt_free`.
///
/// # Safety
/// `producer` and `message` are live handles; `receipt` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_send(
    producer: *const rmq_producer,
    message: *const rmq_message,
    receipt: *mut *mut rmq_send_receipt,
) -> rmq_err {
    boundary("rmq_producer_send", || {
        // SAFETY: the caller's contract.
        let producer = check!(check!(unsafe { ffi::handle(producer, "producer") }).live());
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle(message, "message") });
        let message = core_try!(message.build());
        let sent = core_try!(core_try!(block_on(producer.send(&message))));
        give_receipt(sent, receipt);
        rmq_err::RMQ_OK
    })
}

/// Sends `count` messages of one topic in one request. On success, if `receipts` is not NULL,
/// `receipts[i]` gets message i's receipt (free each with `rmq_send_receipt_free`).
///
/// # Safety
/// `producer` is live; `messages` points to `count` live messages; `receipts` NULL or writable
/// for `count` pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_send_batch(
    producer: *const rmq_producer,
    messages: *const *const rmq_message,
    count: usize,
    receipts: *mut *mut rmq_send_receipt,
) -> rmq_err {
    boundary("rmq_producer_send_batch", || {
        // SAFETY: the caller's contract.
        let producer = check!(check!(unsafe { ffi::handle(producer, "producer") }).live());
        if messages.is_null() {
            return fail_with(rmq_err::RMQ_ERR__NULL_ARGUMENT, "messages is NULL");
        }
        // SAFETY: the caller's contract.
        let handles = unsafe { std::slice::from_raw_parts(messages, count) };
        let mut batch = Vec::with_capacity(count);
        for (i, m) in handles.iter().enumerate() {
            // SAFETY: the caller's contract.
            let m = check!(unsafe { ffi::handle(*m, &format!("messages[{i}]")) });
            batch.push(core_try!(m.build()));
        }
        let sent = core_try!(core_try!(block_on(producer.send_batch(&batch))));
        if !receipts.is_null() {
            for (i, r) in sent.into_iter().enumerate().take(count) {
                // SAFETY: the caller's contract: `count` writable slots.
                give_receipt(r, unsafe { receipts.add(i) });
            }
        }
        rmq_err::RMQ_OK
    })
}

/// Sends `message` without waiting: returns at once (an error only for a message refused
/// before any I/O, or a closed producer), and `callback` runs later, once, on an rmq callback
/// thread (see `rmq_send_callback`). The message is copied: free it when you like. Closing or
/// freeing the producer waits for the callbacks still to come.
///
/// # Safety
/// `producer` and `message` are live handles; `opaque` is passed back as given.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_send_async(
    producer: *const rmq_producer,
    message: *const rmq_message,
    callback: rmq_send_callback,
    opaque: *mut c_void,
) -> rmq_err {
    boundary("rmq_producer_send_async", || {
        // SAFETY: the caller's contract.
        let handle = check!(unsafe { ffi::handle(producer, "producer") });
        let producer = check!(handle.live()).clone();
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle(message, "message") });
        let message = core_try!(message.build());
        let runtime = core_try!(runtime());
        let Some(entered) = handle.inflight.enter() else {
            return fail_with(rmq_err::RMQ_ERR__CLOSED, "the producer is closed");
        };
        let opaque = Opaque::new(opaque);
        runtime.handle().spawn(async move {
            let sent = producer.send(&message).await;
            complete_on_thread(entered, move || complete(callback, opaque, sent));
        });
        rmq_err::RMQ_OK
    })
}

/// Calls a send callback with the send's outcome (on the completion thread).
fn complete(
    callback: rmq_send_callback,
    opaque: Opaque,
    sent: Result<SendReceipt, rmq_client::Error>,
) {
    let Some(callback) = callback else { return };
    boundary_or("send callback", (), || match sent {
        Ok(receipt) => {
            let receipt = rmq_send_receipt::new(receipt);
            // SAFETY: the application's callback; the receipt lives for the call.
            unsafe { callback(opaque.get(), rmq_err::RMQ_OK, &receipt) }
        }
        Err(e) => {
            let err = fail(&e);
            // SAFETY: the application's callback.
            unsafe { callback(opaque.get(), err, null()) }
        }
    })
}

/// Cancels a delayed message before delivery, with the recall handle its send returned.
///
/// # Safety
/// `producer` is live; `topic` and `recall_handle` NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_recall(
    producer: *const rmq_producer,
    topic: *const c_char,
    recall_handle: *const c_char,
) -> rmq_err {
    boundary("rmq_producer_recall", || {
        // SAFETY: the caller's contract.
        let producer = check!(check!(unsafe { ffi::handle(producer, "producer") }).live());
        // SAFETY: the caller's contract.
        let topic = check!(unsafe { ffi::text(topic, "topic") });
        // SAFETY: the caller's contract.
        let handle = check!(unsafe { ffi::text(recall_handle, "recall_handle") });
        result(core_try!(block_on(producer.recall(topic, handle))).map(|_| ()))
    })
}

/// Waits for the async send callbacks and transaction checks in progress, sends what linger
/// mode holds, tells the servers the producer leaves, and closes it. Later sends fail with
/// `RMQ_ERR__CLOSED`. Closing twice is fine; from inside the producer's own send callback or
/// checker it returns `RMQ_ERR__WOULD_DEADLOCK`.
///
/// # Safety
/// `producer` is a live producer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_close(producer: *const rmq_producer) -> rmq_err {
    boundary("rmq_producer_close", || {
        // SAFETY: the caller's contract.
        let producer = check!(unsafe { ffi::handle(producer, "producer") });
        check!(producer.live());
        check!(producer.close());
        rmq_err::RMQ_OK
    })
}

/// Closes the producer (if still open; see `rmq_producer_close`) and frees it; NULL is a
/// no-op. Never call it from the producer's own send callback or checker: there it frees
/// nothing and leaves the reason in `rmq_last_error_message()`.
///
/// # Safety
/// `producer` is NULL or a live producer, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_free(producer: *mut rmq_producer) {
    boundary_or("rmq_producer_free", (), || {
        // SAFETY: the caller's contract.
        if let Some(p) = unsafe { producer.as_ref() }
            && p.owner.check("producer").is_ok()
            && p.close().is_err()
        {
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { ffi::free(producer) }
    })
}

/// Frees a receipt; NULL is a no-op.
///
/// # Safety
/// `receipt` is NULL or a receipt from a send, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_free(receipt: *mut rmq_send_receipt) {
    // SAFETY: the caller's contract.
    boundary_or("rmq_send_receipt_free", (), || unsafe {
        ffi::free(receipt)
    })
}

/// The message id.
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_message_id(
    receipt: *const rmq_send_receipt,
) -> *const c_char {
    read("rmq_send_receipt_message_id", receipt, null(), |r| {
        r.message_id.as_ptr()
    })
}

/// The transaction id (`""` unless the message was sent in a transaction).
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_transaction_id(
    receipt: *const rmq_send_receipt,
) -> *const c_char {
    read("rmq_send_receipt_transaction_id", receipt, null(), |r| {
        r.transaction_id.as_ptr()
    })
}

/// The handle to recall a delayed message with (`""` for other messages).
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_recall_handle(
    receipt: *const rmq_send_receipt,
) -> *const c_char {
    read("rmq_send_receipt_recall_handle", receipt, null(), |r| {
        r.recall_handle.as_ptr()
    })
}

/// The topic the message was sent to.
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_topic(receipt: *const rmq_send_receipt) -> *const c_char {
    read("rmq_send_receipt_topic", receipt, null(), |r| {
        r.topic.as_ptr()
    })
}

/// The queue offset the server reported (-1 for a NULL receipt).
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_offset(receipt: *const rmq_send_receipt) -> i64 {
    read("rmq_send_receipt_offset", receipt, -1, |r| r.inner.offset)
}

/// The queue id the message went to (-1 for a NULL receipt).
///
/// # Safety
/// `receipt` is NULL or a live receipt.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_send_receipt_queue_id(receipt: *const rmq_send_receipt) -> i32 {
    read("rmq_send_receipt_queue_id", receipt, -1, |r| {
        r.inner.queue_id
    })
}
