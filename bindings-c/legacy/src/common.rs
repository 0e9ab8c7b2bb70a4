//! What every legacy function shares: the `CStatus` codes, the per-thread error text behind
//! `GetLatestErrorMessage`, the panic boundary, strings from and to C, and the settings every
//! legacy client turns into a 5.x client configuration.

use rmq::error::set_last;
use std::ffi::{CStr, CString, c_char, c_int};

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

/// Runs a legacy function's body; a panic becomes `default` (the call family's code, or NULL)
/// with its text in `GetLatestErrorMessage`, never an unwind into C.
pub fn guard<T>(what: &str, default: T, body: impl FnOnce() -> T) -> T {
    rmq::error::boundary_or(what, default, body)
}

/// A string argument: `Ok(None)` for NULL; text that is not UTF-8 is refused (RocketMQ 5
/// carries topics, tags, keys and properties as UTF-8, and changing the bytes would corrupt
/// them). Message bodies are bytes and never pass through here.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub unsafe fn arg(p: *const c_char) -> Result<Option<String>, String> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Some(s.to_owned())),
        Err(e) => Err(format!(
            "not valid UTF-8 at byte {} (RocketMQ 5 carries names and properties as UTF-8)",
            e.valid_up_to()
        )),
    }
}

/// A string argument where failure can only be NULL (constructors, getters): text that is not
/// UTF-8 gives `None` with the reason in `GetLatestErrorMessage`.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub unsafe fn arg_or_none(p: *const c_char, what: &str) -> Option<String> {
    // SAFETY: the caller's contract.
    match unsafe { arg(p) } {
        Ok(s) => s,
        Err(e) => {
            set_last(&format!("{what} is {e}"));
            None
        }
    }
}

/// The bytes of a C string argument as given (for bodies), `None` for NULL.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub unsafe fn arg_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: the caller's contract.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Copies `text` into a fixed C buffer of the legacy structs, cut to fit, NUL-terminated.
pub fn fill<const N: usize>(dest: &mut [c_char; N], text: &str) {
    let n = text.len().min(N - 1);
    for (d, s) in dest.iter_mut().zip(&text.as_bytes()[..n]) {
        *d = *s as c_char;
    }
    dest[n] = 0;
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

/// Borrows a legacy handle mutably, or returns `NULL_POINTER`: for setters, which the
/// application calls before sharing the handle between threads.
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

/// Borrows a legacy handle for reading, or returns `NULL_POINTER`: what many threads may do
/// at once with one handle (sending through one producer).
macro_rules! handle_ref {
    ($p:expr) => {
        // SAFETY: every legacy function's contract: NULL or a live handle of this library.
        match unsafe { $p.as_ref() } {
            Some(h) => h,
            None => return $crate::common::failed($crate::common::NULL_POINTER, "NULL handle"),
        }
    };
}
pub(crate) use handle_ref;

/// A required UTF-8 string argument, or `NULL_POINTER` with the reason.
macro_rules! text {
    ($p:expr, $what:literal) => {
        // SAFETY: the legacy contract: NULL or NUL-terminated.
        match unsafe { $crate::common::arg($p) } {
            Ok(Some(s)) => s,
            Ok(None) => {
                return $crate::common::failed(
                    $crate::common::NULL_POINTER,
                    concat!($what, " is NULL"),
                );
            }
            Err(e) => {
                return $crate::common::failed(
                    $crate::common::NULL_POINTER,
                    &format!(concat!($what, " is {}"), e),
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
