//! What both lite consumers share: the `RMQ_OFFSET_*` options and the subscription calls
//! (subscribe, subscribe from an offset, unsubscribe, count, is-subscribed).

use crate::error::{boundary, fail, fail_with, rmq_err};
use crate::ffi::{self, check};
use crate::message::read;
use crate::runtime::block_on;
use rmq_client::{self as core, OffsetOption};
use std::ffi::c_char;
use std::future::Future;
use std::time::{Duration, UNIX_EPOCH};

/// `rmq_lite_*_consumer_subscribe_from`: the group's last position (a lite topic new to the
/// group starts at its end; the default of `rmq_lite_*_consumer_subscribe`).
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

/// A C handle of a lite consumer (push or simple).
pub(crate) trait LiteHandle {
    /// Subscribes (from `offset` when given), once the handle is known usable here.
    fn subscribe_at<'a>(
        &'a self,
        lite_topic: &'a str,
        offset: Option<OffsetOption>,
    ) -> Result<impl Future<Output = core::Result<()>> + 'a, rmq_err>;

    /// Unsubscribes, once the handle is known usable here.
    fn unsubscribe<'a>(
        &'a self,
        lite_topic: &'a str,
    ) -> Result<impl Future<Output = core::Result<()>> + 'a, rmq_err>;

    fn lite_topics(&self) -> Vec<String>;
}

/// Implements [`LiteHandle`] for a handle type whose `live()` gives its core lite consumer and
/// whose field `$core` holds it.
macro_rules! lite_handle {
    ($handle:ty, $core:ident) => {
        impl $crate::lite::LiteHandle for $handle {
            fn subscribe_at<'a>(
                &'a self,
                lite_topic: &'a str,
                offset: Option<rmq_client::OffsetOption>,
            ) -> Result<
                impl std::future::Future<Output = rmq_client::Result<()>> + 'a,
                $crate::error::rmq_err,
            > {
                Ok(self.live()?.subscribe_lite_at(lite_topic, offset))
            }

            fn unsubscribe<'a>(
                &'a self,
                lite_topic: &'a str,
            ) -> Result<
                impl std::future::Future<Output = rmq_client::Result<()>> + 'a,
                $crate::error::rmq_err,
            > {
                Ok(self.live()?.unsubscribe_lite(lite_topic))
            }

            fn lite_topics(&self) -> Vec<String> {
                self.$core.lite_topics()
            }
        }
    };
}
pub(crate) use lite_handle;

/// Subscribes, from an offset option `(kind, value)` when given.
///
/// # Safety
/// `consumer` is NULL or live; `lite_topic` NULL or NUL-terminated.
pub(crate) unsafe fn subscribe<H: LiteHandle>(
    what: &'static str,
    consumer: *const H,
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
        let subscribed = check!(consumer.subscribe_at(lite, offset));
        match block_on(subscribed) {
            Ok(Ok(())) => rmq_err::RMQ_OK,
            Ok(Err(e)) | Err(e) => fail(&e),
        }
    })
}

/// # Safety
/// `consumer` is NULL or live; `lite_topic` NULL or NUL-terminated.
pub(crate) unsafe fn unsubscribe<H: LiteHandle>(
    what: &'static str,
    consumer: *const H,
    lite_topic: *const c_char,
) -> rmq_err {
    boundary(what, || {
        // SAFETY: the caller's contract.
        let consumer = check!(unsafe { ffi::handle(consumer, "consumer") });
        // SAFETY: the caller's contract.
        let lite = check!(unsafe { ffi::text(lite_topic, "lite_topic") });
        let unsubscribed = check!(consumer.unsubscribe(lite));
        match block_on(unsubscribed) {
            Ok(Ok(())) => rmq_err::RMQ_OK,
            Ok(Err(e)) | Err(e) => fail(&e),
        }
    })
}

/// The number of lite topics subscribed (0 for NULL).
pub(crate) fn count<H: LiteHandle>(what: &str, consumer: *const H) -> usize {
    read(what, consumer, 0, |c| c.lite_topics().len())
}

/// 1 if `lite_topic` is subscribed, else 0 (also for NULL arguments).
///
/// # Safety
/// `consumer` is NULL or live; `lite_topic` NULL or NUL-terminated.
pub(crate) unsafe fn is_subscribed<H: LiteHandle>(
    what: &str,
    consumer: *const H,
    lite_topic: *const c_char,
) -> i32 {
    // SAFETY: the caller's contract.
    let Ok(lite) = (unsafe { ffi::text(lite_topic, "lite_topic") }) else {
        return 0;
    };
    read(what, consumer, 0, |c| {
        i32::from(c.lite_topics().iter().any(|t| t == lite))
    })
}
