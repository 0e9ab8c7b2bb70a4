//! `rmq_push_consumer`: the client receives in the background and calls the listener set with
//! `rmq_conf_set_message_listener` on its own listener threads (see `rmq_message_listener`).

#![allow(non_camel_case_types)]

use crate::callbacks::listen_on_threads;
use crate::config::rmq_conf;
use crate::error::{boundary, boundary_or, fail, fail_with, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::filter::{rmq_subscription, subscriptions};
use crate::inflight::{self, is_inside};
use crate::runtime::{Owner, block_on};
use rmq_client::PushConsumer;
use rmq_client::callback_pool::CallbackPool;
use std::ffi::c_char;
use std::sync::Arc;

/// A started push consumer.
pub struct rmq_push_consumer {
    inner: PushConsumer,
    pool: Arc<CallbackPool>,
    /// This consumer's number, to recognise a close from inside its own listener.
    id: usize,
    owner: Owner,
}

impl rmq_push_consumer {
    fn live(&self) -> Result<&PushConsumer, rmq_err> {
        self.owner.check("push consumer").map_err(|e| fail(&e))?;
        Ok(&self.inner)
    }

    fn close(&self) {
        let _ = block_on(self.inner.shutdown());
        self.pool.close();
    }
}

/// Builds and starts a push consumer of `group` from `conf` (client and push-consumer keys of
/// `client-core/OPTIONS.md`, and the listener, which is required) with `count` subscriptions.
/// Blocks until started; the listener may be called before this returns.
///
/// # Safety
/// `conf` is live; `group` NUL-terminated; `subs` points to `count` subscriptions; `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_push_consumer_new(
    conf: *const rmq_conf,
    group: *const c_char,
    subs: *const rmq_subscription,
    count: usize,
    out: *mut *mut rmq_push_consumer,
) -> rmq_err {
    boundary("rmq_push_consumer_new", || {
        // SAFETY: the caller's contract.
        let conf = check!(unsafe { ffi::handle(conf, "conf") });
        // SAFETY: the caller's contract.
        let group = check!(unsafe { ffi::text(group, "group") });
        // SAFETY: the caller's contract.
        let subs = check!(unsafe { subscriptions(subs, count) });
        let out = check!(ffi::out(out, "out"));
        let Some(listener) = conf.listener else {
            return fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "a push consumer needs a message listener (rmq_conf_set_message_listener)",
            );
        };
        let builder = core_try!(PushConsumer::builder_from_map(group, conf.map()));
        let id = inflight::next_id();
        let (mut builder, pool) =
            match listen_on_threads(builder, id, move |view| listener.consume(view)) {
                Ok(wired) => wired,
                Err(e) => {
                    return fail_with(
                        rmq_err::RMQ_ERR__UNEXPECTED,
                        &format!("cannot start the listener threads: {e}"),
                    );
                }
            };
        for (topic, filter) in subs {
            builder = builder.subscribe(topic, filter);
        }
        let started = block_on(builder.start());
        let inner = match started {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) | Err(e) => {
                pool.close();
                return fail(&e);
            }
        };
        let consumer = rmq_push_consumer {
            inner,
            pool,
            id,
            owner: Owner::here(),
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(consumer)) };
        rmq_err::RMQ_OK
    })
}

/// Stops receiving, waits for listener calls in progress and their acks, tells the servers the
/// consumer leaves, and closes it. From inside this consumer's own listener it returns
/// `RMQ_ERR__WOULD_DEADLOCK` instead of waiting for itself. Closing twice is fine.
///
/// # Safety
/// `consumer` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_push_consumer_close(consumer: *const rmq_push_consumer) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe { close("rmq_push_consumer_close", consumer) }
}

/// Closes the consumer (if still open) and frees it; NULL is a no-op. Never call it from the
/// consumer's own listener.
///
/// # Safety
/// `consumer` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_push_consumer_free(consumer: *mut rmq_push_consumer) {
    // SAFETY: the caller's contract.
    unsafe { free("rmq_push_consumer_free", consumer) }
}

/// A consumer whose listener runs on its own threads: closing it waits for them.
pub(crate) trait Listening {
    /// Its number, to recognise a call from inside its own listener.
    fn id(&self) -> usize;
    /// Whether it belongs to this process (not a copy inherited through fork).
    fn owned(&self) -> Result<(), rmq_err>;
    /// Stops it and its listener threads.
    fn shut(&self);
}

impl Listening for rmq_push_consumer {
    fn id(&self) -> usize {
        self.id
    }
    fn owned(&self) -> Result<(), rmq_err> {
        self.live().map(drop)
    }
    fn shut(&self) {
        self.close();
    }
}

/// `_close` of a consumer: refused from inside its own listener, which it would wait for.
///
/// # Safety
/// `consumer` is live.
pub(crate) unsafe fn close<C: Listening>(what: &'static str, consumer: *const C) -> rmq_err {
    boundary(what, || {
        // SAFETY: the caller's contract.
        let consumer = check!(unsafe { ffi::handle(consumer, "consumer") });
        check!(consumer.owned());
        if is_inside(consumer.id()) {
            return fail_with(
                rmq_err::RMQ_ERR__WOULD_DEADLOCK,
                "a push consumer cannot be closed from inside its own listener (close waits for \
                 the listener calls in progress)",
            );
        }
        consumer.shut();
        rmq_err::RMQ_OK
    })
}

/// `_free` of a consumer: closes it if still open (not from inside its own listener, which it
/// would wait for: then it is left alone) and frees it.
///
/// # Safety
/// `consumer` is NULL or live, not used afterwards.
pub(crate) unsafe fn free<C: Listening>(what: &'static str, consumer: *mut C) {
    boundary_or(what, (), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { consumer.as_ref() } {
            if is_inside(c.id()) {
                crate::error::set_last(&format!(
                    "{what}: called from the consumer's own listener; not freed"
                ));
                return;
            }
            if c.owned().is_ok() {
                c.shut();
            }
        }
        // SAFETY: the caller's contract.
        unsafe { ffi::free(consumer) }
    })
}
