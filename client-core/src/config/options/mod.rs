//! The one table of option keys: every option of every client as a `(key, value)` string pair,
//! so Python keyword arguments, JS option objects and C `rmq_conf_set(conf, key, value)` reach
//! the same builders through the same parser, with the same errors. `OPTIONS.md` documents
//! the table; [`OPTIONS`] is the table itself.
//!
//! Values: durations are seconds as a number (`1.5`) or a number with a unit (`500ms`, `2s`,
//! `5min`); counts are non-negative integers; lists are comma-separated. An unknown key, a key
//! of another kind of client, or a bad value is an [`ErrorKind::InvalidArgument`] that names
//! the key and the accepted form.

mod table;

pub use table::{Applies, Form, OPTIONS, OptionKey};

use crate::config::{ClientConfig, Tls};
use crate::error::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::time::Duration;

const OP: &str = "config";

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Text(String),
    List(Vec<String>),
    Duration(Duration),
    Off,
    Count(u64),
}

/// The table entry of `key`.
pub fn describe(key: &str) -> Option<&'static OptionKey> {
    OPTIONS.iter().find(|k| k.name == key)
}

fn known(key: &str) -> Result<&'static OptionKey> {
    describe(key).ok_or_else(|| {
        Error::invalid(
            OP,
            format!("unknown option {key:?} (the keys are listed in client-core/OPTIONS.md)"),
        )
    })
}

fn bad(key: &OptionKey, value: &str) -> Error {
    Error::invalid(
        OP,
        format!("option {} must be {}, not {value:?}", key.name, key.form),
    )
}

/// Checks that `key` is an option and `value` a valid value for it (what a C `rmq_conf_set`
/// answers at once).
pub fn check(key: &str, value: &str) -> Result<()> {
    parse(known(key)?, value).map(|_| ())
}

fn parse(key: &OptionKey, text: &str) -> Result<Value> {
    let trimmed = text.trim();
    match key.form {
        Form::Text => Ok(Value::Text(text.to_owned())),
        Form::List => Ok(Value::List(
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        Form::Choice(words) => {
            let lower = trimmed.to_ascii_lowercase();
            match words.contains(&lower.as_str()) {
                true => Ok(Value::Text(lower)),
                false => Err(bad(key, text)),
            }
        }
        Form::DurationOrOff { .. } if trimmed.eq_ignore_ascii_case("off") => Ok(Value::Off),
        Form::Duration { .. } | Form::DurationOrOff { .. } => {
            let duration = match trimmed.parse::<f64>() {
                Ok(seconds) => Duration::try_from_secs_f64(seconds).ok(),
                Err(_) => humantime::parse_duration(trimmed).ok(),
            };
            let duration = duration.ok_or_else(|| bad(key, text))?;
            within(key, duration).map(Value::Duration)
        }
        Form::Count { .. } => {
            let n = trimmed.parse::<u64>().map_err(|_| bad(key, text))?;
            within_count(key, n).map(Value::Count)
        }
    }
}

fn within(key: &OptionKey, duration: Duration) -> Result<Duration> {
    match key.form {
        Form::Duration { min, max } | Form::DurationOrOff { min, max }
            if duration < min || duration > max =>
        {
            Err(bad(key, &humantime::format_duration(duration).to_string()))
        }
        _ => Ok(duration),
    }
}

fn within_count(key: &OptionKey, n: u64) -> Result<u64> {
    match key.form {
        Form::Count { min, max } if n < min || n > max => Err(bad(key, &n.to_string())),
        _ => Ok(n),
    }
}

/// `duration` if it is within the bounds of option `key` (typed builders check with this,
/// so both ways of setting an option refuse the same values with the same words).
pub(crate) fn bounded(key: &str, duration: Duration) -> Result<Duration> {
    within(known(key)?, duration)
}

/// `n` if it is within the bounds of option `key`.
pub(crate) fn bounded_count(key: &str, n: u64) -> Result<u64> {
    within_count(known(key)?, n)
}

/// A string map split by [`split`]: the client keys as text, a client's own keys parsed.
pub(crate) type Split = (Vec<(String, String)>, Vec<(&'static str, Value)>);

/// Splits `map` into the client keys (as text) and `applies`'s own keys (parsed); keys of
/// other clients are refused.
pub(crate) fn split<K: AsRef<str>, V: AsRef<str>>(
    map: impl IntoIterator<Item = (K, V)>,
    applies: Applies,
) -> Result<Split> {
    let mut client = Vec::new();
    let mut own = Vec::new();
    for (k, v) in map {
        let key = known(k.as_ref())?;
        if key.applies == Applies::Client {
            client.push((key.name.to_owned(), v.as_ref().to_owned()));
        } else if key.applies == applies {
            own.push((key.name, parse(key, v.as_ref())?));
        } else {
            return Err(Error::invalid(
                OP,
                format!(
                    "option {} configures {}, not {}",
                    key.name,
                    key.applies.plural(),
                    applies.plural()
                ),
            ));
        }
    }
    Ok((client, own))
}

/// A duration from a binding's number of seconds (Python), checked: finite, not negative.
pub fn duration_from_secs(what: &str, seconds: f64) -> Result<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(Error::invalid(
            OP,
            format!("{what} must be a non-negative number of seconds, got {seconds}"),
        ));
    }
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| Error::invalid(OP, format!("{what} is too large: {seconds} s")))
}

/// A duration from a binding's number of milliseconds (JS, C), checked the same way.
pub fn duration_from_millis(what: &str, millis: f64) -> Result<Duration> {
    if !millis.is_finite() || millis < 0.0 {
        return Err(Error::invalid(
            OP,
            format!("{what} must be a non-negative number of milliseconds, got {millis}"),
        ));
    }
    Duration::try_from_secs_f64(millis / 1_000.0)
        .map_err(|_| Error::invalid(OP, format!("{what} is too large: {millis} ms")))
}

impl Value {
    /// The value as text, for keys of form Text or Choice.
    pub(crate) fn text(self) -> String {
        match self {
            Value::Text(t) => t,
            Value::List(l) => l.join(","),
            other => format!("{other:?}"),
        }
    }

    /// The value as a duration, for keys of a duration form (`off` is none).
    pub(crate) fn duration(&self) -> Option<Duration> {
        match self {
            Value::Duration(d) => Some(*d),
            _ => None,
        }
    }

    /// The value as a count, for keys of form Count.
    pub(crate) fn count(&self) -> u64 {
        match self {
            Value::Count(n) => *n,
            _ => 0,
        }
    }
}

/// An [`ErrorKind::Unexpected`] for a builder that got a key of its own kind it does not
/// handle: a mismatch between the table and a builder, caught by the tests of every key.
pub(crate) fn unhandled(key: &str) -> Error {
    Error::new(
        ErrorKind::Unexpected,
        OP,
        format!("option {key} is in the table but not handled"),
    )
}

impl ClientConfig {
    /// Builds from string keys (the [`Applies::Client`] keys of [`OPTIONS`]). Unknown keys
    /// and keys of a particular client are refused, so typos do not pass silently.
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<ClientConfig> {
        let mut builder = ClientConfig::builder();
        // Keys that only mean something together, settled after the loop.
        let mut paired: HashMap<&'static str, String> = HashMap::new();
        for (k, v) in map {
            let key = known(k.as_ref())?;
            if key.applies != Applies::Client {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "option {} configures {}; give it to that client's builder",
                        key.name,
                        key.applies.plural()
                    ),
                ));
            }
            let value = parse(key, v.as_ref())?;
            let duration = value.duration().unwrap_or_default();
            builder = match key.name {
                "endpoints" => builder.endpoints(value.text()),
                "namespace" => builder.namespace(value.text()),
                "request_timeout" => builder.request_timeout(duration),
                "heartbeat_interval" => builder.heartbeat_interval(duration),
                "route_refresh_interval" => builder.route_refresh_interval(duration),
                "settings_resync_interval" => builder.settings_resync_interval(duration),
                name @ ("access_key" | "secret_key" | "security_token" | "tls" | "tls_ca_pem") => {
                    paired.insert(name, value.text());
                    builder
                }
                other => return Err(unhandled(other)),
            };
        }
        let mut take = |name| paired.remove(name);
        let (ak, sk, token) = (
            take("access_key"),
            take("secret_key"),
            take("security_token"),
        );
        match (ak, sk) {
            (Some(ak), Some(sk)) => builder = builder.credentials(ak, sk, token),
            (None, None) if token.is_none() => {}
            _ => {
                return Err(Error::invalid(
                    OP,
                    "access_key and secret_key go together (security_token needs both)",
                ));
            }
        }
        builder = builder.tls(match (take("tls").as_deref(), take("tls_ca_pem")) {
            (None | Some("off" | "false"), None) => Tls::Off,
            (Some("on" | "true") | None, ca_pem @ Some(_)) => Tls::On { ca_pem },
            (Some("on" | "true"), None) => Tls::On { ca_pem: None },
            (Some(_), None) => Tls::TrustAll,
            (Some(_), Some(_)) => {
                return Err(Error::invalid(OP, "tls_ca_pem needs tls = on"));
            }
        });
        builder.build()
    }
}

/// A client builder that takes its own option keys: `set` and `builder_from_map` of every
/// client are these two functions.
pub(crate) trait Configurable: Sized {
    /// The keys it takes besides the client keys.
    const APPLIES: Applies;

    /// Applies one of its own keys, already parsed.
    fn apply(self, key: &'static str, value: Value) -> Result<Self>;
}

/// Sets one option on `builder`; a key of every client belongs to the [`ClientConfig`] the
/// builder was made with, and is refused here rather than ignored.
pub(crate) fn set<B: Configurable>(builder: B, key: &str, value: &str) -> Result<B> {
    let (client, own) = split([(key, value)], B::APPLIES)?;
    if let Some((key, _)) = client.first() {
        return Err(Error::invalid(
            OP,
            format!("option {key} configures every client: set it on the ClientConfig"),
        ));
    }
    own.into_iter()
        .try_fold(builder, |b, (key, value)| b.apply(key, value))
}

/// A builder made by `make` from the client keys of `map`, with its own keys applied.
pub(crate) fn build<B: Configurable, K: AsRef<str>, V: AsRef<str>>(
    map: impl IntoIterator<Item = (K, V)>,
    make: impl FnOnce(ClientConfig) -> B,
) -> Result<B> {
    let (client, own) = split(map, B::APPLIES)?;
    let builder = make(ClientConfig::from_map(client)?);
    own.into_iter()
        .try_fold(builder, |b, (key, value)| b.apply(key, value))
}

#[cfg(test)]
mod tests;
