//! `rmq_simple_consumer`: receive a batch of messages into an owned array, ack each, or change
//! how long one stays invisible.

#![allow(non_camel_case_types)]

use crate::config::rmq_conf;
use crate::error::{boundary, boundary_or, fail, fail_with, result, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::filter::{rmq_subscription, subscriptions};
use crate::runtime::{Owner, block_on};
use crate::view::rmq_message_view;
use rmq_client::SimpleConsumer;
use rmq_client::options::duration_from_millis;
use std::ffi::c_char;

/// A started simple consumer. Thread-safe.
pub struct rmq_simple_consumer {
    inner: SimpleConsumer,
    owner: Owner,
}

impl rmq_simple_consumer {
    /// The handle of a started core consumer (a lite simple consumer's too).
    pub(crate) fn started(inner: SimpleConsumer) -> rmq_simple_consumer {
        rmq_simple_consumer {
            inner,
            owner: Owner::here(),
        }
    }

    /// The core consumer, unless the handle is a copy from before fork().
    pub(crate) fn live(&self) -> Result<&SimpleConsumer, rmq_err> {
        self.owner.check("simple consumer").map_err(|e| fail(&e))?;
        Ok(&self.inner)
    }
}

/// Builds and starts a simple consumer of `group` from `conf` (client and simple-consumer keys
/// of `client-core/OPTIONS.md`) with `count` subscriptions. Blocks until started.
///
/// # Safety
/// `conf` is live; `group` NUL-terminated; `subs` points to `count` subscriptions; `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_new(
    conf: *const rmq_conf,
    group: *const c_char,
    subs: *const rmq_subscription,
    count: usize,
    out: *mut *mut rmq_simple_consumer,
) -> rmq_err {
    boundary("rmq_simple_consumer_new", || {
        // SAFETY: the caller's contract.
        let conf = check!(unsafe { ffi::handle(conf, "conf") });
        // SAFETY: the caller's contract.
        let group = check!(unsafe { ffi::text(group, "group") });
        // SAFETY: the caller's contract.
        let subs = check!(unsafe { subscriptions(subs, count) });
        let out = check!(ffi::out(out, "out"));
        if conf.listener.is_some() {
            return fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "a message listener configures push consumers, not simple consumers",
            );
        }
        let mut builder = core_try!(SimpleConsumer::builder_from_map(group, conf.map()));
        for (topic, filter) in subs {
            builder = builder.subscribe(topic, filter);
        }
        let inner = core_try!(core_try!(block_on(builder.start())));
        let consumer = rmq_simple_consumer::started(inner);
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(consumer)) };
        rmq_err::RMQ_OK
    })
}

/// Receives up to `max_messages` messages (long-polling up to the `await_duration` option),
/// each invisible to other consumers for `invisible_ms`, into the caller's array `views` (room
/// for `max_messages` pointers). On success `*count` views were written; each is the caller's,
/// to free with `rmq_message_view_free`. Nothing to receive is success with `*count` 0.
///
/// # Safety
/// `consumer` is live; `views` writable for `max_messages` pointers; `count` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_receive(
    consumer: *const rmq_simple_consumer,
    max_messages: u32,
    invisible_ms: i64,
    views: *mut *mut rmq_message_view,
    count: *mut usize,
) -> rmq_err {
    boundary("rmq_simple_consumer_receive", || {
        // SAFETY: the caller's contract.
        let consumer = check!(check!(unsafe { ffi::handle(consumer, "consumer") }).live());
        let views = check!(ffi::out(views, "views"));
        let count = check!(ffi::out(count, "count"));
        let max = core_try!(SimpleConsumer::check_max_messages(i64::from(max_messages)));
        #[allow(clippy::cast_precision_loss)]
        let invisible = core_try!(duration_from_millis("invisible_ms", invisible_ms as f64));
        let got = core_try!(core_try!(block_on(consumer.receive(max, invisible))));
        let n = got.len().min(max as usize);
        for (i, view) in got.into_iter().take(n).enumerate() {
            // SAFETY: the caller's contract: room for `max_messages` pointers.
            unsafe { views.add(i).write(ffi::boxed(rmq_message_view::new(view))) };
        }
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(count, n) };
        rmq_err::RMQ_OK
    })
}

/// Frees a view from `rmq_simple_consumer_receive`; NULL is a no-op. (A listener's or
/// checker's view is borrowed: never free it.)
///
/// # Safety
/// `view` is NULL or a received view, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_free(view: *mut rmq_message_view) {
    // SAFETY: the caller's contract.
    boundary_or("rmq_message_view_free", (), || unsafe { ffi::free(view) })
}

/// Acknowledges `view`: the message is consumed and not delivered again to this group.
///
/// # Safety
/// `consumer` and `view` are live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_ack(
    consumer: *const rmq_simple_consumer,
    view: *const rmq_message_view,
) -> rmq_err {
    boundary("rmq_simple_consumer_ack", || {
        // SAFETY: the caller's contract.
        let consumer = check!(check!(unsafe { ffi::handle(consumer, "consumer") }).live());
        // SAFETY: the caller's contract.
        let view = check!(unsafe { ffi::handle(view, "view") });
        result(core_try!(block_on(consumer.ack(&view.inner))))
    })
}

/// Keeps `view`'s message invisible for `invisible_ms` from now (0: visible again at once).
/// On success the view holds the new receipt handle (the old one no longer works).
///
/// # Safety
/// `consumer` and `view` are live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_change_invisible_duration(
    consumer: *const rmq_simple_consumer,
    view: *mut rmq_message_view,
    invisible_ms: i64,
) -> rmq_err {
    boundary("rmq_simple_consumer_change_invisible_duration", || {
        // SAFETY: the caller's contract.
        let consumer = check!(check!(unsafe { ffi::handle(consumer, "consumer") }).live());
        // SAFETY: the caller's contract.
        let view = check!(unsafe { ffi::handle_mut(view, "view") });
        #[allow(clippy::cast_precision_loss)]
        let invisible = core_try!(duration_from_millis("invisible_ms", invisible_ms as f64));
        let changed = core_try!(core_try!(block_on(
            consumer.change_invisible_duration(&view.inner, invisible)
        )));
        view.replace(changed);
        rmq_err::RMQ_OK
    })
}

/// Tells the servers the consumer leaves and closes it (its unsettled messages become visible
/// again after their invisible duration). Closing twice is fine.
///
/// # Safety
/// `consumer` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_close(
    consumer: *const rmq_simple_consumer,
) -> rmq_err {
    boundary("rmq_simple_consumer_close", || {
        // SAFETY: the caller's contract.
        let consumer = check!(check!(unsafe { ffi::handle(consumer, "consumer") }).live());
        core_try!(block_on(consumer.shutdown()));
        rmq_err::RMQ_OK
    })
}

/// Closes the consumer (if still open) and frees it; NULL is a no-op.
///
/// # Safety
/// `consumer` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_simple_consumer_free(consumer: *mut rmq_simple_consumer) {
    boundary_or("rmq_simple_consumer_free", (), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { consumer.as_ref() }
            && let Ok(inner) = c.live()
        {
            let _ = block_on(inner.shutdown());
        }
        // SAFETY: the caller's contract.
        unsafe { ffi::free(consumer) }
    })
}
