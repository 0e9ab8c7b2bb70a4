//! The library's version, for run-time checks against the header's.

use std::ffi::c_char;

/// The version of this library (`"0.1.0"`), static storage.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}

/// Panics inside the API boundary, to prove in tests that a panic becomes
/// `RMQ_ERR__PANIC` and never unwinds into C (built with the `test-panic` feature only).
#[cfg(feature = "test-panic")]
#[unsafe(no_mangle)]
pub extern "C" fn rmq_test_panic() -> crate::error::rmq_err {
    crate::error::boundary("rmq_test_panic", || panic!("forced by rmq_test_panic"))
}
