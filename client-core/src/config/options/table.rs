//! The table itself: every key, the client it configures, the form of its value and its
//! default. `OPTIONS.md` documents the same table for users.

use std::time::Duration;

/// Which client an option configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Every client ([`ClientConfig`]).
    Client,
    /// [`crate::Producer`].
    Producer,
    /// [`crate::SimpleConsumer`].
    SimpleConsumer,
    /// [`crate::PushConsumer`].
    PushConsumer,
}

impl Applies {
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Applies::Client => "every client",
            Applies::Producer => "producers",
            Applies::SimpleConsumer => "simple consumers",
            Applies::PushConsumer => "push consumers",
        }
    }
}

/// The accepted form of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Any text.
    Text,
    /// Comma-separated names.
    List,
    /// One of these words (case-insensitive).
    Choice(&'static [&'static str]),
    /// A duration within bounds.
    Duration {
        /// Shortest accepted.
        min: Duration,
        /// Longest accepted.
        max: Duration,
    },
    /// A duration within bounds, or `off`.
    DurationOrOff {
        /// Shortest accepted.
        min: Duration,
        /// Longest accepted.
        max: Duration,
    },
    /// An integer within bounds.
    Count {
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let span = |d: &Duration| humantime::format_duration(*d).to_string();
        match self {
            Form::Text => f.write_str("text"),
            Form::List => f.write_str("comma-separated names"),
            Form::Choice(words) => write!(f, "one of {}", words.join(", ")),
            Form::Duration { min, max } => {
                write!(
                    f,
                    "a duration from {} to {} (seconds, or e.g. 500ms)",
                    span(min),
                    span(max)
                )
            }
            Form::DurationOrOff { min, max } => write!(
                f,
                "off, or a duration from {} to {} (seconds, or e.g. 5ms)",
                span(min),
                span(max)
            ),
            Form::Count { min, max } => write!(f, "an integer from {min} to {max}"),
        }
    }
}

/// One option key.
#[derive(Clone, Copy, Debug)]
pub struct OptionKey {
    /// The key.
    pub name: &'static str,
    /// The client it configures.
    pub applies: Applies,
    /// The accepted form of its value.
    pub form: Form,
    /// The default, as text.
    pub default: &'static str,
}

const MS: Duration = Duration::from_millis(1);
const TEN_MS: Duration = Duration::from_millis(10);
const HOUR: Duration = Duration::from_secs(3600);

const fn key(name: &'static str, applies: Applies, form: Form, default: &'static str) -> OptionKey {
    OptionKey {
        name,
        applies,
        form,
        default,
    }
}

/// Every option of every client.
pub const OPTIONS: &[OptionKey] = &[
    key("endpoints", Applies::Client, Form::Text, "(required)"),
    key("namespace", Applies::Client, Form::Text, ""),
    key("access_key", Applies::Client, Form::Text, "(unsigned)"),
    key("secret_key", Applies::Client, Form::Text, "(unsigned)"),
    key("security_token", Applies::Client, Form::Text, "(none)"),
    key(
        "request_timeout",
        Applies::Client,
        Form::Duration { min: MS, max: HOUR },
        "3s",
    ),
    key(
        "tls",
        Applies::Client,
        Form::Choice(&["off", "on", "trust-all", "trust_all", "true", "false"]),
        "off",
    ),
    key("tls_ca_pem", Applies::Client, Form::Text, "(system roots)"),
    key(
        "heartbeat_interval",
        Applies::Client,
        Form::Duration {
            min: TEN_MS,
            max: HOUR,
        },
        "10s",
    ),
    key(
        "route_refresh_interval",
        Applies::Client,
        Form::Duration {
            min: TEN_MS,
            max: HOUR,
        },
        "30s",
    ),
    key(
        "settings_resync_interval",
        Applies::Client,
        Form::Duration {
            min: TEN_MS,
            max: HOUR,
        },
        "5min",
    ),
    key("topics", Applies::Producer, Form::List, "(none)"),
    key(
        "max_attempts",
        Applies::Producer,
        Form::Count { min: 1, max: 100 },
        "3",
    ),
    key(
        "max_sends_in_flight",
        Applies::Producer,
        Form::Count { min: 1, max: 65536 },
        "1024",
    ),
    key(
        "linger",
        Applies::Producer,
        Form::DurationOrOff {
            min: Duration::ZERO,
            max: HOUR,
        },
        "off",
    ),
    key(
        "linger_max_messages",
        Applies::Producer,
        Form::Count { min: 1, max: 1024 },
        "256",
    ),
    key(
        "linger_max_bytes",
        Applies::Producer,
        Form::Count {
            min: 1,
            max: 128 << 20,
        },
        "1048576",
    ),
    key(
        "await_duration",
        Applies::SimpleConsumer,
        Form::Duration {
            min: Duration::ZERO,
            max: HOUR,
        },
        "30s",
    ),
    key(
        "max_cache_messages",
        Applies::PushConsumer,
        Form::Count {
            min: 1,
            max: 1 << 24,
        },
        "4096",
    ),
    key(
        "max_cache_bytes",
        Applies::PushConsumer,
        Form::Count {
            min: 1,
            max: 1 << 40,
        },
        "67108864",
    ),
    key(
        "consumption_threads",
        Applies::PushConsumer,
        Form::Count { min: 1, max: 1024 },
        "20",
    ),
    key(
        "assignment_scan_interval",
        Applies::PushConsumer,
        Form::Duration {
            min: TEN_MS,
            max: HOUR,
        },
        "5s",
    ),
];
