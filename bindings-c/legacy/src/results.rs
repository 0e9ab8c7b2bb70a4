//! The structs the legacy API passes by value: `CSendResult` and `CMQException`, with the
//! exact layout of the original headers (sizes checked by the C drift test).

use crate::common::fill;
use std::ffi::{c_char, c_int, c_longlong};

/// `MAX_MESSAGE_ID_LENGTH`.
const MAX_MESSAGE_ID_LENGTH: usize = 256;

/// `E_SEND_OK`.
pub const E_SEND_OK: c_int = 0;

/// `CSendResult` (`struct _SendResult_`).
#[repr(C)]
pub struct CSendResult {
    pub send_status: c_int,
    pub msg_id: [c_char; MAX_MESSAGE_ID_LENGTH],
    pub offset: c_longlong,
}

impl CSendResult {
    pub fn ok(id: &str, offset: i64) -> CSendResult {
        let mut result = CSendResult {
            send_status: E_SEND_OK,
            msg_id: [0; MAX_MESSAGE_ID_LENGTH],
            offset,
        };
        fill(&mut result.msg_id, id);
        result
    }
}

/// `CMQException` (`struct _CMQException_`), passed by value to exception callbacks.
#[repr(C)]
pub struct CMQException {
    pub error: c_int,
    pub line: c_int,
    pub file: [c_char; 256],
    pub msg: [c_char; 512],
    pub kind: [c_char; 128],
}

impl CMQException {
    /// An exception for a failed send: `error` is the server's status code when the server
    /// refused, else the call family's legacy code.
    pub fn of(error: &rmq_client::Error, family: c_int) -> CMQException {
        let mut e = CMQException {
            error: error.code().unwrap_or(family),
            line: 0,
            file: [0; 256],
            msg: [0; 512],
            kind: [0; 128],
        };
        fill(&mut e.msg, &error.to_string());
        fill(&mut e.kind, "MQClientException");
        e
    }
}

// The layouts of the original headers on LP64 (x86-64, aarch64), which legacy programs were
// compiled against; tests/legacy_abi.c asserts the same sizes on the C side.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const _: () = {
    assert!(size_of::<CSendResult>() == 272);
    assert!(std::mem::offset_of!(CSendResult, msg_id) == 4);
    assert!(std::mem::offset_of!(CSendResult, offset) == 264);
    assert!(size_of::<CMQException>() == 904);
    assert!(std::mem::offset_of!(CMQException, msg) == 264);
};
