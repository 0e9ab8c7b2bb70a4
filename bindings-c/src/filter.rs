//! Subscriptions from C: a topic and a tag or SQL92 filter.

#![allow(non_camel_case_types)]

use crate::error::{fail_with, rmq_err};
use crate::ffi;
use rmq_client::FilterExpression;
use std::ffi::c_char;

/// `rmq_subscription.filter_type`: a tag expression (`*`, `TagA`, `TagA||TagB`).
pub const RMQ_FILTER_TAG: i32 = 0;
/// `rmq_subscription.filter_type`: an SQL92 expression over the message's properties.
pub const RMQ_FILTER_SQL: i32 = 1;

/// One topic a consumer subscribes to.
#[repr(C)]
pub struct rmq_subscription {
    /// The topic.
    pub topic: *const c_char,
    /// `RMQ_FILTER_TAG` or `RMQ_FILTER_SQL`.
    pub filter_type: i32,
    /// The expression; NULL with `RMQ_FILTER_TAG` means every message (`*`).
    pub expression: *const c_char,
}

/// The subscriptions of a consumer, checked.
///
/// # Safety
/// `subs` points to `count` subscriptions whose strings are NUL-terminated (or is NULL with 0).
pub unsafe fn subscriptions(
    subs: *const rmq_subscription,
    count: usize,
) -> Result<Vec<(String, FilterExpression)>, rmq_err> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if subs.is_null() {
        return Err(fail_with(
            rmq_err::RMQ_ERR__NULL_ARGUMENT,
            "subscriptions is NULL",
        ));
    }
    // SAFETY: the caller's contract.
    let subs = unsafe { std::slice::from_raw_parts(subs, count) };
    subs.iter()
        .enumerate()
        .map(|(i, s)| {
            // SAFETY: the caller's contract.
            let topic = unsafe { ffi::text(s.topic, &format!("subscriptions[{i}].topic")) }?;
            let expression = match s.expression.is_null() {
                true => None,
                // SAFETY: the caller's contract.
                false => Some(unsafe { ffi::text(s.expression, "expression") }?),
            };
            let filter = match (s.filter_type, expression) {
                (RMQ_FILTER_TAG, None) => FilterExpression::all(),
                (RMQ_FILTER_TAG, Some(e)) => FilterExpression::tag(e),
                (RMQ_FILTER_SQL, Some(e)) => FilterExpression::sql(e),
                (RMQ_FILTER_SQL, None) => {
                    return Err(fail_with(
                        rmq_err::RMQ_ERR__NULL_ARGUMENT,
                        &format!("subscriptions[{i}]: an SQL filter needs an expression"),
                    ));
                }
                (other, _) => {
                    return Err(fail_with(
                        rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                        &format!(
                            "subscriptions[{i}]: filter_type {other} is neither RMQ_FILTER_TAG (0) \
                             nor RMQ_FILTER_SQL (1)"
                        ),
                    ));
                }
            };
            filter.check().map_err(|e| crate::error::fail(&e))?;
            Ok((topic.to_owned(), filter))
        })
        .collect()
}
