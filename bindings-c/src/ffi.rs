//! Arguments from C: strings, byte buffers and handles, checked before use (NULL and invalid
//! UTF-8 are errors, never a crash), and strings handed back to C.

use crate::error::{fail_with, rmq_err};
use std::ffi::{CStr, CString, c_char};

/// A required string argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for the call.
pub unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, rmq_err> {
    if p.is_null() {
        return Err(fail_with(
            rmq_err::RMQ_ERR__NULL_ARGUMENT,
            &format!("{what} is NULL"),
        ));
    }
    // SAFETY: not NULL, NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| {
        fail_with(
            rmq_err::RMQ_ERR__INVALID_ARGUMENT,
            &format!("{what} is not valid UTF-8"),
        )
    })
}

/// A required byte buffer (`len` 0 with a NULL pointer is the empty buffer).
///
/// # Safety
/// `p` points to `len` readable bytes, or is NULL with `len` 0.
pub unsafe fn bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], rmq_err> {
    if p.is_null() {
        return match len {
            0 => Ok(&[]),
            _ => Err(fail_with(
                rmq_err::RMQ_ERR__NULL_ARGUMENT,
                &format!("{what} is NULL"),
            )),
        };
    }
    // SAFETY: the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A required handle, borrowed for the call.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` made by this library.
pub unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, rmq_err> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }
        .ok_or_else(|| fail_with(rmq_err::RMQ_ERR__NULL_ARGUMENT, &format!("{what} is NULL")))
}

/// A required handle, borrowed mutably for the call.
///
/// # Safety
/// As [`handle`], and no other reference to it is in use.
pub unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, rmq_err> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }
        .ok_or_else(|| fail_with(rmq_err::RMQ_ERR__NULL_ARGUMENT, &format!("{what} is NULL")))
}

/// A required output pointer.
pub fn out<T>(p: *mut T, what: &str) -> Result<*mut T, rmq_err> {
    match p.is_null() {
        true => Err(fail_with(
            rmq_err::RMQ_ERR__NULL_ARGUMENT,
            &format!("{what} is NULL"),
        )),
        false => Ok(p),
    }
}

/// Writes `value` to an output pointer checked by [`out`].
///
/// # Safety
/// `p` came from [`out`] and is writable.
pub unsafe fn write<T>(p: *mut T, value: T) {
    // SAFETY: the caller's contract.
    unsafe { p.write(value) }
}

/// A C copy of `s` (an interior NUL, which C cannot represent, ends the text there).
pub fn cstring(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(e) => {
            let at = e.nul_position();
            CString::new(&s.as_bytes()[..at]).unwrap_or_default()
        }
    }
}

/// Moves `value` to the heap for C.
pub fn boxed<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops a handle made by [`boxed`]; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or came from [`boxed`] and is not used afterwards.
pub unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Unwraps an argument check: its error (already recorded) is the function's result.
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return err,
        }
    };
}
pub(crate) use check;

/// Unwraps a core result: its error is recorded and becomes the function's result.
macro_rules! core_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::error::fail(&e),
        }
    };
}
pub(crate) use core_try;
