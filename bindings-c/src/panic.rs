//! The panic boundary every exported function runs in (librmq's and librocketmq's): a Rust
//! panic is a bug in rmq, and it must never unwind into C. It becomes the function's error
//! value (`RMQ_ERR__PANIC`, the legacy family code, or NULL) with its text as the calling
//! thread's last error.

use crate::error::{fail_with, rmq_err, set_last};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs an exported function's body; a panic becomes `RMQ_ERR__PANIC` with its text, never an
/// unwind into C.
pub fn boundary(what: &str, body: impl FnOnce() -> rmq_err) -> rmq_err {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(err) => err,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            fail_with(
                rmq_err::RMQ_ERR__PANIC,
                &format!("{what}: rmq panicked: {text}"),
            )
        }
    }
}

/// Runs the body of an exported function that returns a value (a pointer, a number); a panic
/// gives `default`.
pub fn boundary_or<T>(what: &str, default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_) => {
            set_last(&format!("{what}: rmq panicked"));
            default
        }
    }
}
