//! The configuration setters the three legacy clients share (name server, credentials,
//! instance, TLS, logging, trace), written once over [`Client`]; each exported function is a
//! line that names its client.

use crate::common::{NOT_SUPPORT_NOW, NULL_POINTER, OK, Settings, failed, guard, handle, text};
use std::ffi::{c_char, c_int, c_long};

/// A legacy client: its settings, and whether it has started (settings then no longer apply).
pub trait Client {
    /// The code this client's failing setters and start return (`PRODUCER_START_FAILED`, ...).
    const START_FAILED: c_int;
    fn settings(&mut self) -> &mut Settings;
    fn started(&self) -> bool;
}

fn before_start<C: Client>(
    what: &str,
    client: *mut C,
    set: impl FnOnce(&mut Settings) -> c_int,
) -> c_int {
    guard(what, NULL_POINTER, || {
        let client = handle!(client);
        if client.started() {
            tracing::warn!("rmq legacy API: {what} after start has no effect");
        }
        set(client.settings())
    })
}

pub fn name_server<C: Client>(what: &str, client: *mut C, address: *const c_char) -> c_int {
    before_start(what, client, |s| {
        s.name_server = Some(text!(address, "name server address"));
        OK
    })
}

pub fn name_server_domain<C: Client>(what: &str, client: *mut C, domain: *const c_char) -> c_int {
    before_start(what, client, |_| {
        let domain = text!(domain, "domain");
        failed(
            NOT_SUPPORT_NOW,
            &format!(
                "{what}({domain}): RocketMQ 5 has no HTTP name-server lookup; give the proxy \
                 endpoints with the NameServerAddress setter or NAMESRV_ADDR"
            ),
        )
    })
}

pub fn group<C: Client>(what: &str, client: *mut C, group: *const c_char) -> c_int {
    before_start(what, client, |s| {
        s.group = crate::common::c(&text!(group, "group"));
        OK
    })
}

pub fn instance<C: Client>(what: &str, client: *mut C, name: *const c_char) -> c_int {
    before_start(what, client, |s| {
        s.instance = Some(text!(name, "instance name"));
        OK
    })
}

pub fn credentials<C: Client>(
    what: &str,
    client: *mut C,
    access_key: *const c_char,
    secret_key: *const c_char,
) -> c_int {
    before_start(what, client, |s| {
        let ak = text!(access_key, "access key");
        let sk = text!(secret_key, "secret key");
        // An empty pair (what apps without ACL pass) means unsigned requests.
        s.credentials = (!ak.is_empty()).then_some((ak, sk));
        OK
    })
}

pub fn ssl<C: Client>(what: &str, client: *mut C, enable: c_int) -> c_int {
    before_start(what, client, |s| {
        s.ssl = enable != 0;
        OK
    })
}

pub fn ssl_file<C: Client>(what: &str, client: *mut C, path: *const c_char) -> c_int {
    before_start(what, client, |s| {
        let path = text!(path, "TLS properties file");
        match s.ssl_properties(&path) {
            Ok(()) => OK,
            Err(e) => failed(C::START_FAILED, &format!("{what}: {e}")),
        }
    })
}

/// Log file and trace setters: accepted; rmq's log events go to stderr or the application's
/// `rmq_set_log_callback`, and it traces through OpenTelemetry, which these 4.x knobs do not
/// configure.
pub fn accepted<C: Client>(what: &str, client: *mut C) -> c_int {
    guard(what, NULL_POINTER, || {
        handle!(client);
        OK
    })
}

/// `Set*LogLevel`: the process-wide level of rmq's log events (stderr unless the application
/// set `rmq_set_log_callback`); an out-of-range level is accepted and ignored.
pub fn log_level<C: Client>(what: &str, client: *mut C, level: c_int) -> c_int {
    guard(what, NULL_POINTER, || {
        handle!(client);
        let gate = match level {
            1 | 2 => rmq::logging::RMQ_LOG_ERROR,
            3 => rmq::logging::RMQ_LOG_WARN,
            4 => rmq::logging::RMQ_LOG_INFO,
            5 => rmq::logging::RMQ_LOG_DEBUG,
            6 => rmq::logging::RMQ_LOG_TRACE,
            _ => return OK,
        };
        let _ = rmq::logging::set_level(gate);
        OK
    })
}

/// `Set*LogFileNumAndSize`: accepted (see [`accepted`]).
pub fn log_files<C: Client>(what: &str, client: *mut C, _files: c_int, _size: c_long) -> c_int {
    accepted(what, client)
}
