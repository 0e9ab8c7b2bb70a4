//! `rmq_mini_broker`: the mini-broker in-process, so a C test suite starts one on a free
//! loopback port exactly as Python and Node tests do.

#![allow(non_camel_case_types)]

use crate::error::{boundary, boundary_or, fail_with, rmq_err};
use crate::ffi::{self, check, cstring};
use crate::message::read;
use crate::runtime::{Owner, block_on};
use ::rmq_mini_broker::{GroupConfig, MiniBroker, MiniBrokerBuilder, TopicConfig};
use std::ffi::{CString, c_char};
use std::sync::Mutex;
use std::time::Duration;

/// One broker option: a key and its value, both NUL-terminated.
#[repr(C)]
pub struct rmq_option {
    /// The option's name.
    pub key: *const c_char,
    /// Its value.
    pub value: *const c_char,
}

/// A running in-process broker.
pub struct rmq_mini_broker {
    inner: Mutex<Option<MiniBroker>>,
    endpoint: CString,
    admin_endpoint: Option<CString>,
    owner: Owner,
}

fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("{key} must be true or false, not {value:?}")),
    }
}

fn millis(key: &str, value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("{key} must be a whole number of milliseconds, not {value:?}"))
}

/// Applies one option to the builder (the keys of `rmq_mini_broker_start`).
fn apply(b: MiniBrokerBuilder, key: &str, value: &str) -> Result<MiniBrokerBuilder, String> {
    Ok(match key {
        "listen" => b.listen(value),
        "topic" => b.topic(value.parse::<TopicConfig>()?),
        "group" => b.group(value.parse::<GroupConfig>()?),
        "data_dir" => b.data_dir(value),
        "virtual_clock" => b.virtual_clock(flag(key, value)?),
        "strict" => b.strict(flag(key, value)?),
        "auto_create_groups" => b.auto_create_groups(flag(key, value)?),
        "admin" if flag(key, value)? => b.admin_listen("127.0.0.1:0"),
        "admin" => b,
        "auth" => {
            let (ak, sk) = value
                .split_once(':')
                .ok_or_else(|| format!("auth must be ACCESS_KEY:SECRET_KEY, not {value:?}"))?;
            b.credentials(ak, sk)
        }
        "transaction_check_delay_ms" => b.transaction_check_delay(millis(key, value)?),
        "transaction_check_interval_ms" => b.transaction_check_interval(millis(key, value)?),
        "retention_ms" if value.eq_ignore_ascii_case("off") => b.retention(None),
        "retention_ms" => b.retention(Some(millis(key, value)?)),
        "tls_only" => b.tls_only(flag(key, value)?),
        "snapshot_every" if value.eq_ignore_ascii_case("off") => b.snapshot_every(None),
        "snapshot_every" => b.snapshot_every(Some(value.trim().parse().map_err(|_| {
            format!("snapshot_every must be a number of journal entries or off, not {value:?}")
        })?)),
        other => {
            return Err(format!(
                "unknown broker option {other:?} (listen, topic, group, data_dir, virtual_clock, \
                 strict, auto_create_groups, admin, auth, transaction_check_delay_ms, \
                 transaction_check_interval_ms, retention_ms, snapshot_every, tls_cert, tls_key, \
                 tls_only)"
            ));
        }
    })
}

/// Starts a broker with `count` options and writes it to `*out`; it listens before this
/// returns. Options (applied in order; `topic`, `group` and `auth` repeat):
/// `listen` (`HOST:PORT`, default `127.0.0.1:0`, a free port), `topic` (`NAME:TYPE[:QUEUES]`,
/// TYPE one of NORMAL, FIFO, DELAY, TRANSACTION, PRIORITY, MIXED), `group`
/// (`NAME[:fifo][:max-attempts=N]`), `data_dir` (journal directory; default in memory),
/// `virtual_clock`, `strict`, `auto_create_groups` (`true`/`false`), `admin` (`true`: also
/// serve the admin facade), `auth` (`AK:SK`), `transaction_check_delay_ms`,
/// `transaction_check_interval_ms`, `retention_ms` (or `off`), `snapshot_every` (or `off`),
/// `tls_cert` and `tls_key` (PEM files to serve TLS with, both or neither; default a
/// self-signed certificate for localhost and 127.0.0.1), `tls_only` (`true`: close cleartext
/// connections, as Apache's `tlsMode=enforcing`).
///
/// # Safety
/// `options` points to `count` options with NUL-terminated strings (or is NULL with 0); `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_start(
    options: *const rmq_option,
    count: usize,
    out: *mut *mut rmq_mini_broker,
) -> rmq_err {
    boundary("rmq_mini_broker_start", || {
        let out = check!(ffi::out(out, "out"));
        let options = match (options.is_null(), count) {
            (_, 0) => &[][..],
            (true, _) => return fail_with(rmq_err::RMQ_ERR__NULL_ARGUMENT, "options is NULL"),
            // SAFETY: the caller's contract.
            (false, n) => unsafe { std::slice::from_raw_parts(options, n) },
        };
        let mut builder = MiniBroker::builder()
            .listen("127.0.0.1:0")
            .auto_create_groups(true);
        // The certificate and its key are one setting given as two options.
        let (mut tls_cert, mut tls_key) = (None, None);
        for (i, option) in options.iter().enumerate() {
            // SAFETY: the caller's contract.
            let key = check!(unsafe { ffi::text(option.key, &format!("options[{i}].key")) });
            // SAFETY: the caller's contract.
            let value = check!(unsafe { ffi::text(option.value, &format!("options[{i}].value")) });
            match key {
                "tls_cert" => tls_cert = Some(value),
                "tls_key" => tls_key = Some(value),
                _ => {
                    builder = match apply(builder, key, value) {
                        Ok(b) => b,
                        Err(e) => return fail_with(rmq_err::RMQ_ERR__INVALID_ARGUMENT, &e),
                    };
                }
            }
        }
        match (tls_cert, tls_key) {
            (Some(certificate), Some(key)) => builder = builder.tls(certificate, key),
            (None, None) => {}
            _ => {
                return fail_with(
                    rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                    "tls_cert and tls_key go together",
                );
            }
        }
        let broker = match check!(block_on(builder.start()).map_err(|e| crate::error::fail(&e))) {
            Ok(b) => b,
            Err(e) => {
                return fail_with(
                    rmq_err::RMQ_ERR__UNEXPECTED,
                    &format!("the mini-broker did not start: {e}"),
                );
            }
        };
        let handle = rmq_mini_broker {
            endpoint: cstring(&broker.endpoint()),
            admin_endpoint: broker.admin_endpoint().as_deref().map(cstring),
            inner: Mutex::new(Some(broker)),
            owner: Owner::here(),
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(handle)) };
        rmq_err::RMQ_OK
    })
}

/// The broker's gRPC endpoint (`127.0.0.1:PORT`): the `endpoints` option of a client.
///
/// # Safety
/// `broker` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_endpoint(broker: *const rmq_mini_broker) -> *const c_char {
    read("rmq_mini_broker_endpoint", broker, std::ptr::null(), |b| {
        b.endpoint.as_ptr()
    })
}

/// The admin facade's endpoint (with option `admin`), or NULL.
///
/// # Safety
/// `broker` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_admin_endpoint(
    broker: *const rmq_mini_broker,
) -> *const c_char {
    read(
        "rmq_mini_broker_admin_endpoint",
        broker,
        std::ptr::null(),
        |b| {
            b.admin_endpoint
                .as_ref()
                .map_or(std::ptr::null(), |e| e.as_ptr())
        },
    )
}

/// Moves a virtual clock (option `virtual_clock`) forward by `ms`, running what falls due
/// (delayed messages, redeliveries, transaction checks). `RMQ_ERR__INVALID_ARGUMENT` on a
/// broker with the real clock.
///
/// # Safety
/// `broker` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_advance(
    broker: *const rmq_mini_broker,
    ms: u64,
) -> rmq_err {
    boundary("rmq_mini_broker_advance", || {
        // SAFETY: the caller's contract.
        let broker = check!(unsafe { ffi::handle(broker, "broker") });
        let inner = broker
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match inner.as_ref().map(|b| b.advance(Duration::from_millis(ms))) {
            Some(true) => rmq_err::RMQ_OK,
            _ => fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "this broker runs on the real clock (start it with virtual_clock=true)",
            ),
        }
    })
}

/// How many messages `topic` holds (stored and not yet dropped by retention), or -1.
///
/// # Safety
/// `broker` is NULL or live; `topic` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_message_count(
    broker: *const rmq_mini_broker,
    topic: *const c_char,
) -> i64 {
    // SAFETY: the caller's contract.
    let Ok(topic) = (unsafe { ffi::text(topic, "topic") }) else {
        return -1;
    };
    read("rmq_mini_broker_message_count", broker, -1, |b| {
        let inner = b
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.as_ref().map_or(-1, |b| {
            i64::try_from(b.messages(topic).len()).unwrap_or(i64::MAX)
        })
    })
}

/// Stops the broker (clients see it go away) and frees it; NULL is a no-op.
///
/// # Safety
/// `broker` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_mini_broker_free(broker: *mut rmq_mini_broker) {
    boundary_or("rmq_mini_broker_free", (), || {
        // SAFETY: the caller's contract.
        if let Some(b) = unsafe { broker.as_ref() } {
            let taken = b
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(inner) = taken
                && b.owner.check("broker").is_ok()
            {
                let _ = block_on(inner.shutdown());
            }
        }
        // SAFETY: the caller's contract.
        unsafe { ffi::free(broker) }
    })
}
