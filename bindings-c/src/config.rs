//! `rmq_conf`: a client's options as string keys and values (exactly the core's option table,
//! `client-core/OPTIONS.md`), checked one by one as they are set, plus the callbacks a client
//! needs (a push consumer's listener, a producer's transaction checker).

#![allow(non_camel_case_types)]

use crate::callbacks::{Checker, Listener, rmq_message_listener, rmq_transaction_checker};
use crate::error::{boundary_or, set_last};
use crate::ffi::{self, free};
use rmq_client::options;
use std::ffi::{c_char, c_void};

/// A client configuration being built.
#[derive(Clone, Default)]
pub struct rmq_conf {
    /// The options as set, in order (a key set twice keeps its last value).
    pub(crate) entries: Vec<(String, String)>,
    pub(crate) listener: Option<Listener>,
    pub(crate) checker: Option<Checker>,
}

impl rmq_conf {
    /// The entries as the core's `builder_from_map` takes them.
    pub(crate) fn map(&self) -> Vec<(String, String)> {
        self.entries.clone()
    }
}

/// What `rmq_conf_set` answers.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rmq_conf_res {
    /// Stored.
    RMQ_CONF_OK = 0,
    /// The key is known but the value is not valid for it (`errstr` says why).
    RMQ_CONF_INVALID = -1,
    /// No such key (`errstr` says so).
    RMQ_CONF_UNKNOWN = -2,
}

/// A new, empty configuration. Free it with `rmq_conf_free`.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_conf_new() -> *mut rmq_conf {
    boundary_or("rmq_conf_new", std::ptr::null_mut(), || {
        ffi::boxed(rmq_conf::default())
    })
}

/// A copy of `conf` (callbacks included), or NULL if `conf` is NULL.
///
/// # Safety
/// `conf` is NULL or a live `rmq_conf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_dup(conf: *const rmq_conf) -> *mut rmq_conf {
    boundary_or("rmq_conf_dup", std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { conf.as_ref() } {
            Some(conf) => ffi::boxed(conf.clone()),
            None => std::ptr::null_mut(),
        }
    })
}

/// Frees `conf`; NULL is a no-op.
///
/// # Safety
/// `conf` is NULL or a live `rmq_conf`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_free(conf: *mut rmq_conf) {
    boundary_or("rmq_conf_free", (), || {
        // SAFETY: the caller's contract.
        unsafe { free(conf) }
    })
}

/// Sets option `key` to `value` (the keys and value forms of `client-core/OPTIONS.md`). On
/// failure the reason is written to `errstr` (at most `errstr_size` bytes, NUL-terminated;
/// `errstr` may be NULL) and to `rmq_last_error_message()`.
///
/// # Safety
/// `conf` is a live `rmq_conf`; `key` and `value` NUL-terminated strings; `errstr` NULL or
/// writable for `errstr_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_set(
    conf: *mut rmq_conf,
    key: *const c_char,
    value: *const c_char,
    errstr: *mut c_char,
    errstr_size: usize,
) -> rmq_conf_res {
    boundary_or("rmq_conf_set", rmq_conf_res::RMQ_CONF_INVALID, || {
        let answer = |res: rmq_conf_res, text: &str| {
            set_last(text);
            // SAFETY: the caller's contract on errstr.
            unsafe { write_errstr(errstr, errstr_size, text) };
            res
        };
        // SAFETY: the caller's contract.
        let Some(conf) = (unsafe { conf.as_mut() }) else {
            return answer(rmq_conf_res::RMQ_CONF_INVALID, "conf is NULL");
        };
        // SAFETY: the caller's contract.
        let (key, value) = match unsafe { (ffi::text(key, "key"), ffi::text(value, "value")) } {
            (Ok(k), Ok(v)) => (k, v),
            _ => {
                return answer(
                    rmq_conf_res::RMQ_CONF_INVALID,
                    "key and value must be non-NULL UTF-8 strings",
                );
            }
        };
        if options::describe(key).is_none() {
            return answer(
                rmq_conf_res::RMQ_CONF_UNKNOWN,
                &format!("unknown option {key:?} (the keys are listed in client-core/OPTIONS.md)"),
            );
        }
        if let Err(e) = options::check(key, value) {
            return answer(rmq_conf_res::RMQ_CONF_INVALID, e.message());
        }
        conf.entries.retain(|(k, _)| k != key);
        conf.entries.push((key.to_owned(), value.to_owned()));
        rmq_conf_res::RMQ_CONF_OK
    })
}

/// Copies the value of option `key` as set on `conf` into `dest` (at most `dest_size` bytes,
/// NUL-terminated) and returns its full length in bytes, or -1 if `key` was never set (or an
/// argument is NULL). A return value ≥ `dest_size` means the copy was cut.
///
/// # Safety
/// `conf` is a live `rmq_conf`; `key` a NUL-terminated string; `dest` NULL or writable for
/// `dest_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_get(
    conf: *const rmq_conf,
    key: *const c_char,
    dest: *mut c_char,
    dest_size: usize,
) -> i64 {
    boundary_or("rmq_conf_get", -1, || {
        // SAFETY: the caller's contract.
        let (Some(conf), Ok(key)) = (unsafe { conf.as_ref() }, unsafe { ffi::text(key, "key") })
        else {
            return -1;
        };
        match conf.entries.iter().find(|(k, _)| k == key) {
            Some((_, value)) => {
                // SAFETY: the caller's contract.
                unsafe { write_errstr(dest, dest_size, value) };
                i64::try_from(value.len()).unwrap_or(i64::MAX)
            }
            None => -1,
        }
    })
}

/// Sets the push consumer's listener (required by `rmq_push_consumer_new`). See
/// `rmq_message_listener` for the thread it runs on and the lifetime of its arguments.
///
/// # Safety
/// `conf` is NULL or a live `rmq_conf`; `opaque` is passed back as given.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_set_message_listener(
    conf: *mut rmq_conf,
    listener: rmq_message_listener,
    opaque: *mut c_void,
) -> crate::error::rmq_err {
    crate::error::boundary("rmq_conf_set_message_listener", || {
        // SAFETY: the caller's contract.
        let conf = ffi::check!(unsafe { ffi::handle_mut(conf, "conf") });
        conf.listener = listener.map(|f| Listener::new(f, opaque));
        crate::error::rmq_err::RMQ_OK
    })
}

/// Sets the producer's transaction checker (required for transactions). See
/// `rmq_transaction_checker`.
///
/// # Safety
/// `conf` is NULL or a live `rmq_conf`; `opaque` is passed back as given.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_conf_set_transaction_checker(
    conf: *mut rmq_conf,
    checker: rmq_transaction_checker,
    opaque: *mut c_void,
) -> crate::error::rmq_err {
    crate::error::boundary("rmq_conf_set_transaction_checker", || {
        // SAFETY: the caller's contract.
        let conf = ffi::check!(unsafe { ffi::handle_mut(conf, "conf") });
        conf.checker = checker.map(|f| Checker::new(f, opaque));
        crate::error::rmq_err::RMQ_OK
    })
}

/// Writes `text` into a caller buffer, cut to fit and NUL-terminated.
///
/// # Safety
/// `dest` is NULL or writable for `size` bytes.
pub(crate) unsafe fn write_errstr(dest: *mut c_char, size: usize, text: &str) {
    if dest.is_null() || size == 0 {
        return;
    }
    let n = text.len().min(size - 1);
    // SAFETY: `dest` has `size` bytes and we write at most `size`.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), dest, n);
        dest.add(n).write(0);
    }
}
