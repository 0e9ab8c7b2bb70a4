//! `rmq_lite_push_consumer`: a push consumer of lite topics (Apache RocketMQ 5.5) under one
//! LITE parent topic. The listener set with `rmq_conf_set_message_listener` gets only the lite
//! topics subscribed, each in order, on the consumer's own listener threads.

#![allow(non_camel_case_types)]

use crate::callbacks::listener_on_threads;
use crate::config::rmq_conf;
use crate::error::{boundary, fail, fail_with, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::inflight;
use crate::lite;
use crate::push_consumer::{Listening, close, free};
use crate::runtime::{Owner, block_on};
use rmq_client::LitePushConsumer;
use rmq_client::callback_pool::CallbackPool;
use std::ffi::c_char;
use std::sync::Arc;

/// A started lite push consumer.
pub struct rmq_lite_push_consumer {
    inner: LitePushConsumer,
    pool: Arc<CallbackPool>,
    /// This consumer's number, to recognise a close from inside its own listener.
    id: usize,
    owner: Owner,
}

impl rmq_lite_push_consumer {
    fn live(&self) -> Result<&LitePushConsumer, rmq_err> {
        self.owner
            .check("lite push consumer")
            .map_err(|e| fail(&e))?;
        Ok(&self.inner)
    }

    fn close(&self) {
        let _ = block_on(self.inner.shutdown());
        self.pool.close();
    }
}

/// Builds and starts a lite push consumer of lite group `group` bound to the LITE topic
/// `topic`, from `conf` (client and push-consumer keys, and the listener, which is required).
/// It receives nothing until a lite topic is subscribed. Blocks until started.
///
/// # Safety
/// `conf` is live; `group` and `topic` NUL-terminated; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_new(
    conf: *const rmq_conf,
    group: *const c_char,
    topic: *const c_char,
    out: *mut *mut rmq_lite_push_consumer,
) -> rmq_err {
    boundary("rmq_lite_push_consumer_new", || {
        // SAFETY: the caller's contract.
        let conf = check!(unsafe { ffi::handle(conf, "conf") });
        // SAFETY: the caller's contract.
        let group = check!(unsafe { ffi::text(group, "group") });
        // SAFETY: the caller's contract.
        let topic = check!(unsafe { ffi::text(topic, "topic") });
        let out = check!(ffi::out(out, "out"));
        let Some(listener) = conf.listener else {
            return fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "a lite push consumer needs a message listener (rmq_conf_set_message_listener)",
            );
        };
        let builder = core_try!(LitePushConsumer::builder_from_map(group, topic, conf.map()));
        let id = inflight::next_id();
        let threads = builder.listener_concurrency();
        let (listen, pool) =
            match listener_on_threads(threads, id, move |view| listener.consume(view)) {
                Ok(wired) => wired,
                Err(e) => {
                    return fail_with(
                        rmq_err::RMQ_ERR__UNEXPECTED,
                        &format!("cannot start the listener threads: {e}"),
                    );
                }
            };
        let inner = match block_on(builder.listener(listen).start()) {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) | Err(e) => {
                pool.close();
                return fail(&e);
            }
        };
        let consumer = rmq_lite_push_consumer {
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

/// Subscribes `lite_topic` (1 to 64 of `[A-Za-z0-9_-]`) from where the group left it (a lite
/// topic new to the group: its end). Subscribing one already subscribed does nothing. Over the
/// group's quota: `RMQ_ERR_LITE_SUBSCRIPTION_QUOTA_EXCEEDED`.
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_subscribe(
    consumer: *const rmq_lite_push_consumer,
    lite_topic: *const c_char,
) -> rmq_err {
    let what = "rmq_lite_push_consumer_subscribe";
    // SAFETY: the caller's contract.
    unsafe { lite::subscribe(what, consumer, lite_topic, None) }
}

/// Subscribes `lite_topic` starting at an offset option: `kind` is one of `RMQ_OFFSET_*`,
/// `value` the offset, tail count or timestamp it needs (ignored by the others).
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_subscribe_from(
    consumer: *const rmq_lite_push_consumer,
    lite_topic: *const c_char,
    kind: i32,
    value: i64,
) -> rmq_err {
    let what = "rmq_lite_push_consumer_subscribe_from";
    // SAFETY: the caller's contract.
    unsafe { lite::subscribe(what, consumer, lite_topic, Some((kind, value))) }
}

/// Stops receiving `lite_topic` (messages already received are still consumed).
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_unsubscribe(
    consumer: *const rmq_lite_push_consumer,
    lite_topic: *const c_char,
) -> rmq_err {
    let what = "rmq_lite_push_consumer_unsubscribe";
    // SAFETY: the caller's contract.
    unsafe { lite::unsubscribe(what, consumer, lite_topic) }
}

/// How many lite topics are subscribed now (0 for NULL).
///
/// # Safety
/// `consumer` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_lite_topic_count(
    consumer: *const rmq_lite_push_consumer,
) -> usize {
    lite::count("rmq_lite_push_consumer_lite_topic_count", consumer)
}

/// 1 if `lite_topic` is subscribed now, 0 if not (or for NULL arguments).
///
/// # Safety
/// `consumer` is NULL or live; `lite_topic` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_is_subscribed(
    consumer: *const rmq_lite_push_consumer,
    lite_topic: *const c_char,
) -> i32 {
    let what = "rmq_lite_push_consumer_is_subscribed";
    // SAFETY: the caller's contract.
    unsafe { lite::is_subscribed(what, consumer, lite_topic) }
}

/// Stops receiving, waits for listener calls in progress and their acks, and closes it. From
/// inside its own listener: `RMQ_ERR__WOULD_DEADLOCK`. Closing twice is fine.
///
/// # Safety
/// `consumer` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_close(
    consumer: *const rmq_lite_push_consumer,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe { close("rmq_lite_push_consumer_close", consumer) }
}

/// Closes the consumer (if still open) and frees it; NULL is a no-op. Never call it from the
/// consumer's own listener.
///
/// # Safety
/// `consumer` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_free(consumer: *mut rmq_lite_push_consumer) {
    // SAFETY: the caller's contract.
    unsafe { free("rmq_lite_push_consumer_free", consumer) }
}

impl Listening for rmq_lite_push_consumer {
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

lite::lite_handle!(rmq_lite_push_consumer, inner);
