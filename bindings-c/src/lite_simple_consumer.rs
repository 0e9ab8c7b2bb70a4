//! `rmq_lite_simple_consumer`: a simple consumer of lite topics (RIP-83) under one LITE parent
//! topic. Its subscriptions are its own functions; receiving and settling are the simple
//! consumer's, through the borrowed handle `rmq_lite_simple_consumer_as_simple` gives.

#![allow(non_camel_case_types)]

use crate::config::rmq_conf;
use crate::error::{boundary, boundary_or, fail_with, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::lite;
use crate::runtime::block_on;
use crate::simple_consumer::rmq_simple_consumer;
use rmq_client::LiteSimpleConsumer;
use std::ffi::c_char;

/// A started lite simple consumer. Thread-safe.
pub struct rmq_lite_simple_consumer {
    lite: LiteSimpleConsumer,
    /// The same client as a simple consumer, lent to callers for receive and settle.
    simple: rmq_simple_consumer,
}

impl rmq_lite_simple_consumer {
    fn live(&self) -> Result<&LiteSimpleConsumer, rmq_err> {
        self.simple.live().map(|_| &self.lite)
    }
}

/// Builds and starts a lite simple consumer of lite group `group` bound to the LITE topic
/// `topic`, from `conf` (client and simple-consumer keys). It receives nothing until a lite
/// topic is subscribed. Blocks until started. (Apache serves lite simple consumers from 5.5.1.)
///
/// # Safety
/// `conf` is live; `group` and `topic` NUL-terminated; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_new(
    conf: *const rmq_conf,
    group: *const c_char,
    topic: *const c_char,
    out: *mut *mut rmq_lite_simple_consumer,
) -> rmq_err {
    boundary("rmq_lite_simple_consumer_new", || {
        // SAFETY: the caller's contract.
        let conf = check!(unsafe { ffi::handle(conf, "conf") });
        // SAFETY: the caller's contract.
        let group = check!(unsafe { ffi::text(group, "group") });
        // SAFETY: the caller's contract.
        let topic = check!(unsafe { ffi::text(topic, "topic") });
        let out = check!(ffi::out(out, "out"));
        if conf.listener.is_some() {
            return fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "a message listener configures push consumers, not simple consumers",
            );
        }
        let builder = core_try!(LiteSimpleConsumer::builder_from_map(
            group,
            topic,
            conf.map()
        ));
        let lite = core_try!(core_try!(block_on(builder.start())));
        let consumer = rmq_lite_simple_consumer {
            simple: rmq_simple_consumer::started(lite.as_simple_consumer().clone()),
            lite,
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(consumer)) };
        rmq_err::RMQ_OK
    })
}

/// The consumer as a simple consumer, for `rmq_simple_consumer_receive`, `_ack`,
/// `_change_invisible_duration` and `_close` (receives bring only subscribed lite topics; the
/// broker keeps one batch in flight per lite topic, so settle a batch before its lite topic's
/// next messages come). Borrowed: valid until `rmq_lite_simple_consumer_free`; never pass it to
/// `rmq_simple_consumer_free`. NULL for NULL.
///
/// # Safety
/// `consumer` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_as_simple(
    consumer: *const rmq_lite_simple_consumer,
) -> *const rmq_simple_consumer {
    boundary_or(
        "rmq_lite_simple_consumer_as_simple",
        std::ptr::null(),
        || {
            // SAFETY: the caller's contract.
            match unsafe { consumer.as_ref() } {
                Some(c) => &raw const c.simple,
                None => std::ptr::null(),
            }
        },
    )
}

/// Subscribes `lite_topic` (1 to 64 of `[A-Za-z0-9_-]`) from where the group left it (a lite
/// topic new to the group: its end). Subscribing one already subscribed does nothing. Over the
/// group's quota: `RMQ_ERR_LITE_SUBSCRIPTION_QUOTA_EXCEEDED`.
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_subscribe(
    consumer: *const rmq_lite_simple_consumer,
    lite_topic: *const c_char,
) -> rmq_err {
    let what = "rmq_lite_simple_consumer_subscribe";
    // SAFETY: the caller's contract.
    unsafe { lite::subscribe(what, consumer, lite_topic, None) }
}

/// Subscribes `lite_topic` starting at an offset option: `kind` is one of `RMQ_OFFSET_*`,
/// `value` the offset, tail count or timestamp it needs (ignored by the others).
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_subscribe_from(
    consumer: *const rmq_lite_simple_consumer,
    lite_topic: *const c_char,
    kind: i32,
    value: i64,
) -> rmq_err {
    let what = "rmq_lite_simple_consumer_subscribe_from";
    // SAFETY: the caller's contract.
    unsafe { lite::subscribe(what, consumer, lite_topic, Some((kind, value))) }
}

/// Stops receiving `lite_topic` (messages already received can still be settled).
///
/// # Safety
/// `consumer` is live; `lite_topic` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_unsubscribe(
    consumer: *const rmq_lite_simple_consumer,
    lite_topic: *const c_char,
) -> rmq_err {
    let what = "rmq_lite_simple_consumer_unsubscribe";
    // SAFETY: the caller's contract.
    unsafe { lite::unsubscribe(what, consumer, lite_topic) }
}

/// How many lite topics are subscribed now (0 for NULL).
///
/// # Safety
/// `consumer` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_lite_topic_count(
    consumer: *const rmq_lite_simple_consumer,
) -> usize {
    lite::count("rmq_lite_simple_consumer_lite_topic_count", consumer)
}

/// 1 if `lite_topic` is subscribed now, 0 if not (or for NULL arguments).
///
/// # Safety
/// `consumer` is NULL or live; `lite_topic` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_is_subscribed(
    consumer: *const rmq_lite_simple_consumer,
    lite_topic: *const c_char,
) -> i32 {
    let what = "rmq_lite_simple_consumer_is_subscribed";
    // SAFETY: the caller's contract.
    unsafe { lite::is_subscribed(what, consumer, lite_topic) }
}

/// Closes the consumer (if still open) and frees it, with the handle `_as_simple` lent; NULL
/// is a no-op.
///
/// # Safety
/// `consumer` is NULL or live, not used afterwards (nor its simple-consumer handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_simple_consumer_free(consumer: *mut rmq_lite_simple_consumer) {
    boundary_or("rmq_lite_simple_consumer_free", (), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { consumer.as_ref() }
            && let Ok(lite) = c.live()
        {
            let _ = block_on(lite.shutdown());
        }
        // SAFETY: the caller's contract.
        unsafe { ffi::free(consumer) }
    })
}

lite::lite_handle!(rmq_lite_simple_consumer, lite);
