//! `rmq_lite_push_consumer`: a push consumer of lite topics (Apache RocketMQ 5.5) under one
//! LITE parent topic. The listener set with `rmq_conf_set_message_listener` gets only the lite
//! topics subscribed, each in order, on the consumer's own listener threads.

#![allow(non_camel_case_types)]

use crate::callbacks::listener_on_threads;
use crate::config::rmq_conf;
use crate::error::{boundary, fail, fail_with, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::inflight;
use crate::message::read;
use crate::push_consumer::{Listening, close, free};
use crate::runtime::{Owner, block_on};
use rmq_client::callback_pool::CallbackPool;
use rmq_client::{LitePushConsumer, OffsetOption};
use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// `rmq_lite_push_consumer_subscribe_from`: the group's last position (a lite topic new to the
/// group starts at its end; the default of `rmq_lite_push_consumer_subscribe`).
pub const RMQ_OFFSET_LAST: i32 = 0;
/// The oldest message kept.
pub const RMQ_OFFSET_MIN: i32 = 1;
/// Only messages sent from now on.
pub const RMQ_OFFSET_MAX: i32 = 2;
/// The queue offset `value`.
pub const RMQ_OFFSET_OFFSET: i32 = 3;
/// `value` messages before the group's last position.
pub const RMQ_OFFSET_TAIL_N: i32 = 4;
/// The first message stored at or after `value` (milliseconds since 1970; Apache 5.5.0
/// ignores it).
pub const RMQ_OFFSET_TIMESTAMP: i32 = 5;

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

fn offset(kind: i32, value: i64) -> Result<OffsetOption, rmq_err> {
    let whole = |what: &str| {
        if value < 0 {
            Err(fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                &format!("{what} must be 0 or more, not {value}"),
            ))
        } else {
            Ok(value)
        }
    };
    Ok(match kind {
        RMQ_OFFSET_LAST => OffsetOption::Last,
        RMQ_OFFSET_MIN => OffsetOption::Min,
        RMQ_OFFSET_MAX => OffsetOption::Max,
        RMQ_OFFSET_OFFSET => OffsetOption::Offset(whole("an offset")?),
        RMQ_OFFSET_TAIL_N => OffsetOption::TailN(whole("a tail count")?),
        RMQ_OFFSET_TIMESTAMP => OffsetOption::Timestamp(
            UNIX_EPOCH + Duration::from_millis(whole("a timestamp")?.unsigned_abs()),
        ),
        other => {
            return Err(fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                &format!("unknown offset kind {other} (RMQ_OFFSET_LAST ... RMQ_OFFSET_TIMESTAMP)"),
            ));
        }
    })
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
    // SAFETY: the caller's contract.
    unsafe {
        subscribe(
            "rmq_lite_push_consumer_subscribe",
            consumer,
            lite_topic,
            None,
        )
    }
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
    unsafe { subscribe(what, consumer, lite_topic, Some((kind, value))) }
}

/// # Safety
/// As the exported callers'.
unsafe fn subscribe(
    what: &'static str,
    consumer: *const rmq_lite_push_consumer,
    lite_topic: *const c_char,
    from: Option<(i32, i64)>,
) -> rmq_err {
    boundary(what, || {
        // SAFETY: the caller's contract.
        let consumer = check!(unsafe { ffi::handle(consumer, "consumer") });
        // SAFETY: the caller's contract.
        let lite = check!(unsafe { ffi::text(lite_topic, "lite_topic") });
        let offset = match from {
            Some((kind, value)) => Some(check!(offset(kind, value))),
            None => None,
        };
        let inner = check!(consumer.live());
        let done = block_on(async {
            match offset {
                Some(offset) => inner.subscribe_lite_from(lite, offset).await,
                None => inner.subscribe_lite(lite).await,
            }
        });
        match done {
            Ok(Ok(())) => rmq_err::RMQ_OK,
            Ok(Err(e)) | Err(e) => fail(&e),
        }
    })
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
    boundary("rmq_lite_push_consumer_unsubscribe", || {
        // SAFETY: the caller's contract.
        let consumer = check!(unsafe { ffi::handle(consumer, "consumer") });
        // SAFETY: the caller's contract.
        let lite = check!(unsafe { ffi::text(lite_topic, "lite_topic") });
        let inner = check!(consumer.live());
        match block_on(inner.unsubscribe_lite(lite)) {
            Ok(Ok(())) => rmq_err::RMQ_OK,
            Ok(Err(e)) | Err(e) => fail(&e),
        }
    })
}

/// How many lite topics are subscribed now (0 for NULL).
///
/// # Safety
/// `consumer` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_lite_push_consumer_lite_topic_count(
    consumer: *const rmq_lite_push_consumer,
) -> usize {
    read(
        "rmq_lite_push_consumer_lite_topic_count",
        consumer,
        0,
        |c| c.inner.lite_topics().len(),
    )
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
    // SAFETY: the caller's contract.
    let Ok(lite) = (unsafe { ffi::text(lite_topic, "lite_topic") }) else {
        return 0;
    };
    read("rmq_lite_push_consumer_is_subscribed", consumer, 0, |c| {
        i32::from(c.inner.lite_topics().iter().any(|t| t == lite))
    })
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
