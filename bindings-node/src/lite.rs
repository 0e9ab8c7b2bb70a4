//! What both lite consumers share: offset options from JS and the promises of their
//! subscription calls.

use crate::error;
use crate::runtime::promise;
use napi::bindgen_prelude::*;
use rmq_client as core;
use std::future::Future;
use std::time::{Duration, UNIX_EPOCH};

/// `(kind, value)` as `OffsetOption` in lib/lite.cjs spells it (for both lite consumers).
fn offset(env: &Env, kind: &str, value: f64) -> Result<core::OffsetOption> {
    if !value.is_finite() || value < 0.0 || value.fract() != 0.0 {
        return Err(error::invalid(
            env,
            format!("an offset option's value must be a whole number 0 or more, not {value}"),
        ));
    }
    // A whole, finite, non-negative f64: the conversion only saturates past i64::MAX.
    let n = value as i64;
    Ok(match kind {
        "last" => core::OffsetOption::Last,
        "min" => core::OffsetOption::Min,
        "max" => core::OffsetOption::Max,
        "offset" => core::OffsetOption::Offset(n),
        "tailN" => core::OffsetOption::TailN(n),
        "timestamp" => core::OffsetOption::Timestamp(UNIX_EPOCH + Duration::from_millis(n as u64)),
        other => {
            return Err(error::invalid(
                env,
                format!("unknown offset option {other:?}"),
            ));
        }
    })
}

/// `subscribeLite(liteTopic, kind?, value?)` of either lite consumer.
pub(crate) fn subscribe<'env, F>(
    env: &'env Env,
    offset_kind: Option<String>,
    offset_value: Option<f64>,
    subscribe: impl FnOnce(Option<core::OffsetOption>) -> F,
) -> Result<PromiseRaw<'env, ()>>
where
    F: Future<Output = core::Result<()>> + Send + 'static,
{
    let offset = offset_kind
        .map(|kind| offset(env, &kind, offset_value.unwrap_or(0.0)))
        .transpose()?;
    promise(env, None, subscribe(offset), |_, ()| Ok(()))
}

/// `unsubscribeLite(liteTopic)` of either lite consumer.
pub(crate) fn unsubscribe<'env>(
    env: &'env Env,
    unsubscribed: impl Future<Output = core::Result<()>> + Send + 'static,
) -> Result<PromiseRaw<'env, ()>> {
    promise(env, None, unsubscribed, |_, ()| Ok(()))
}
