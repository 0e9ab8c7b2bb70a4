//! The core's `tracing` events as one line of text each, named after the logger a binding
//! hands them to (Python `logging`, a JS logger, a C callback): every binding forwards the
//! same words.

use std::fmt::Write as _;
use tracing::Event;
use tracing::field::{Field, Visit};

/// The host logger for events of `target`: `rmq.client` for this crate, `rmq.broker` for
/// the mini-broker, `rmq.c` for the C binding's libraries (`rmq`, and `rocketmq`, the legacy
/// API); `None` for anything else (not forwarded).
pub fn logger_name(target: &str) -> Option<&'static str> {
    let crate_name = target.split("::").next().unwrap_or_default();
    match crate_name {
        "rmq_client" => Some("rmq.client"),
        "rmq_mini_broker" => Some("rmq.broker"),
        "rmq" | "rocketmq" => Some("rmq.c"),
        _ => None,
    }
}

/// The event's message followed by its other fields in parentheses:
/// `query assignment failed (topic=orders error=...)`.
pub fn event_text(event: &Event<'_>) -> String {
    let mut text = Text::default();
    event.record(&mut text);
    text.finish()
}

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else if self.message.is_empty() {
            self.fields.trim_start().to_owned()
        } else {
            self.message + " (" + self.fields.trim_start() + ")"
        }
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
