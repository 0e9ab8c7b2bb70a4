//! What every legacy function shares: the `CStatus` codes, the per-thread error text behind
//! `GetLatestErrorMessage`, the panic boundary, strings from and to C, and the settings every
//! legacy client turns into a 5.x client configuration.

use rmq::error::set_last;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub const OK: c_int = 0;
pub const NULL_POINTER: c_int = 1;
pub const MALLOC_FAILED: c_int = 2;
pub const PRODUCER_START_FAILED: c_int = 10;
pub const PRODUCER_SEND_SYNC_FAILED: c_int = 11;
pub const PRODUCER_SEND_ONEWAY_FAILED: c_int = 12;
pub const PRODUCER_SEND_ORDERLY_FAILED: c_int = 13;
pub const PRODUCER_SEND_ASYNC_FAILED: c_int = 14;
pub const PRODUCER_SEND_ORDERLYASYNC_FAILED: c_int = 15;
pub const PRODUCER_SEND_TRANSACTION_FAILED: c_int = 16;
pub const PUSHCONSUMER_START_FAILED: c_int = 20;
pub const PULLCONSUMER_START_FAILED: c_int = 30;
pub const PULLCONSUMER_FETCH_MQ_FAILED: c_int = 31;
pub const NOT_SUPPORT_NOW: c_int = -1;

/// Records `text` as the calling thread's last failure and returns `code`.
pub fn failed(code: c_int, text: &str) -> c_int {
    set_last(text);
    code
}

/// Records a core error and returns `code` (the legacy family code of the call).
pub fn failed_with(code: c_int, error: &rmq_client::Error) -> c_int {
    set_last(&error.to_string());
    code
}

/// Runs a legacy function's body; a panic becomes `code` with its text, never an unwind into C.
pub fn guard(what: &str, code: c_int, body: impl FnOnce() -> c_int) -> c_int {
    rmq::error::boundary_or(what, code, body)
}

/// Runs a body returning a value; a panic gives `default`.
pub fn guard_or<T>(what: &str, default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(_) => {
            set_last(&format!("{what}: rmq panicked"));
            default
        }
    }
}

/// A string argument: `None` for NULL; invalid UTF-8 is taken lossily (legacy applications
/// pass whatever bytes they have).
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub unsafe fn arg(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller's contract.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// A C copy of `s` (cut at an interior NUL).
pub fn c(s: &str) -> CString {
    rmq::ffi::cstring(s)
}

/// `""`, for string getters that never return NULL for a missing value.
pub fn empty() -> *const c_char {
    c"".as_ptr()
}

/// The version string every `Show*Version` returns.
pub fn version() -> *const c_char {
    static VERSION: &CStr = c"rmq-legacy 0.1.0 (RocketMQ 5 gRPC; rocketmq-client-cpp C API)";
    VERSION.as_ptr()
}

/// Settings every legacy client has, turned into the core's option keys at start.
#[derive(Default)]
pub struct Settings {
    pub group: CString,
    pub name_server: Option<String>,
    pub credentials: Option<(String, String)>,
    pub timeout_ms: Option<i64>,
    pub ssl: bool,
    pub ssl_trust_all: bool,
    pub ssl_ca: Option<String>,
    pub instance: Option<String>,
}

impl Settings {
    pub fn new(group: &str) -> Settings {
        Settings {
            group: c(group),
            ..Settings::default()
        }
    }

    /// The group as text.
    pub fn group(&self) -> String {
        self.group.to_string_lossy().into_owned()
    }

    /// The core's option map: endpoints from the name-server address, else `NAMESRV_ADDR`
    /// (as the original client reads it when never set).
    pub fn options(&self) -> Result<Vec<(String, String)>, String> {
        let endpoints = self
            .name_server
            .clone()
            .or_else(|| std::env::var("NAMESRV_ADDR").ok())
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| {
                "no server address: call Set*NameServerAddress or set NAMESRV_ADDR (a RocketMQ 5 \
                 proxy's gRPC endpoint, host:port;host:port)"
                    .to_owned()
            })?;
        let mut map = vec![("endpoints".to_owned(), endpoints)];
        if let Some((ak, sk)) = &self.credentials {
            map.push(("access_key".to_owned(), ak.clone()));
            map.push(("secret_key".to_owned(), sk.clone()));
        }
        if let Some(ms) = self.timeout_ms {
            map.push(("request_timeout".to_owned(), format!("{ms}ms")));
        }
        if let Some(ca) = &self.ssl_ca {
            map.push(("tls_ca_pem".to_owned(), ca.clone()));
        } else if self.ssl {
            let mode = if self.ssl_trust_all {
                "trust-all"
            } else {
                "on"
            };
            map.push(("tls".to_owned(), mode.to_owned()));
        }
        Ok(map)
    }

    /// Reads a legacy TLS properties file (`tls.client.trustCertPath`, `tls.client.authServer`);
    /// client certificates (`tls.client.certPath`, `tls.client.keyPath`) are refused, since the
    /// core has no mutual TLS.
    pub fn ssl_properties(&mut self, path: &str) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read TLS properties file {path}: {e}"))?;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            match key {
                "tls.client.trustCertPath" if !value.is_empty() => {
                    let pem = std::fs::read_to_string(value)
                        .map_err(|e| format!("cannot read {key} {value}: {e}"))?;
                    self.ssl_ca = Some(pem);
                }
                "tls.client.authServer" => self.ssl_trust_all = value.eq_ignore_ascii_case("false"),
                "tls.client.certPath" | "tls.client.keyPath" if !value.is_empty() => {
                    return Err(format!(
                        "{key}: client certificates (mutual TLS) are not supported by rmq"
                    ));
                }
                _ => {}
            }
        }
        self.ssl = true;
        Ok(())
    }
}

/// Borrows a legacy handle mutably, or returns `NULL_POINTER`.
macro_rules! handle {
    ($p:expr) => {
        // SAFETY: every legacy function's contract: NULL or a live handle of this library.
        match unsafe { $p.as_mut() } {
            Some(h) => h,
            None => return $crate::common::failed($crate::common::NULL_POINTER, "NULL handle"),
        }
    };
}
pub(crate) use handle;

/// A required string argument, or `NULL_POINTER`.
macro_rules! text {
    ($p:expr, $what:literal) => {
        // SAFETY: the legacy contract: NULL or NUL-terminated.
        match unsafe { $crate::common::arg($p) } {
            Some(s) => s,
            None => {
                return $crate::common::failed(
                    $crate::common::NULL_POINTER,
                    concat!($what, " is NULL"),
                );
            }
        }
    };
}
pub(crate) use text;

/// The `GetLatestErrorMessage` of the legacy API: the calling thread's last failure.
#[unsafe(no_mangle)]
pub extern "C" fn GetLatestErrorMessage() -> *const c_char {
    rmq::error::rmq_last_error_message()
}
