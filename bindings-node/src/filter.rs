//! Filter expressions and the subscriptions consumers take. `lib/filter.cjs` holds the
//! `FilterExpression` class; the core checks each expression here.

use crate::error::OrThrow;
use napi::bindgen_prelude::*;
use rmq_client as core;

fn expression(kind: &str, text: String) -> core::FilterExpression {
    match kind {
        "SQL92" => core::FilterExpression::sql(text),
        _ => core::FilterExpression::tag(text),
    }
}

/// Checks an expression (`kind` is `"TAG"` or `"SQL92"`) as the consumer's start would.
#[napi]
pub fn check_filter(env: &Env, kind: String, text: String) -> Result<()> {
    expression(&kind, text).check().or_throw(env)
}

/// Subscriptions from `[topic, kind, expression, ...]`.
pub(crate) fn subscriptions(flat: Vec<String>) -> Vec<(String, core::FilterExpression)> {
    flat.chunks_exact(3)
        .map(|t| (t[0].clone(), expression(&t[1], t[2].clone())))
        .collect()
}
