//! Client options as the core's one table takes them: `lib/options.cjs` turns a JS options
//! object into `[key, value, ...]` strings with the table's keys; the core checks them.

use rmq_client::options::{Applies, Form, OPTIONS};

/// Every option of the core's table as `[key, form, applies, ...]`; `form` is `text`, `list`,
/// `choice`, `duration`, `duration_or_off` or `count`, `applies` is `client`, `producer`,
/// `simple_consumer` or `push_consumer`.
#[napi]
pub fn option_table() -> Vec<String> {
    let mut out = Vec::with_capacity(OPTIONS.len() * 3);
    for key in OPTIONS {
        out.push(key.name.to_owned());
        out.push(
            match key.form {
                Form::Text => "text",
                Form::List => "list",
                Form::Choice(_) => "choice",
                Form::Duration { .. } => "duration",
                Form::DurationOrOff { .. } => "duration_or_off",
                Form::Count { .. } => "count",
            }
            .to_owned(),
        );
        out.push(
            match key.applies {
                Applies::Client => "client",
                Applies::Producer => "producer",
                Applies::SimpleConsumer => "simple_consumer",
                Applies::PushConsumer => "push_consumer",
            }
            .to_owned(),
        );
    }
    out
}

/// `[key, value, ...]` as pairs.
pub(crate) fn pairs(flat: &[String]) -> Vec<(String, String)> {
    flat.chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}
