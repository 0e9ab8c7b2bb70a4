//! `CMessageExt`: a delivered message as legacy code reads it. Valid only during the callback
//! (push), the checker call (transactions) or until `ReleasePullResult` (pull). String getters
//! return `""` for a missing value, never NULL (legacy code passes them straight to `printf`).

use crate::common::{NULL_POINTER, c, empty};
use rmq_client::MessageView;
use std::ffi::{CString, c_char, c_int, c_longlong};
use std::time::SystemTime;

/// A delivered message with C copies of its strings.
pub struct CMessageExt {
    pub(crate) view: MessageView,
    topic: CString,
    tags: CString,
    keys: CString,
    body: Vec<u8>,
    id: CString,
    born_host: CString,
    /// User properties plus the 4.x names legacy code reads as properties.
    properties: Vec<(String, CString)>,
}

impl CMessageExt {
    pub fn new(view: MessageView) -> CMessageExt {
        let mut body = view.body.to_vec();
        body.push(0);
        let keys = view.keys.join(" ");
        let mut properties: Vec<(String, CString)> = view
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), c(v)))
            .collect();
        properties.push(("UNIQ_KEY".to_owned(), c(&view.message_id)));
        properties.push(("KEYS".to_owned(), c(&keys)));
        properties.push(("TAGS".to_owned(), c(view.tag.as_deref().unwrap_or(""))));
        if let Some(group) = &view.message_group {
            properties.push(("__SHARDINGKEY".to_owned(), c(group)));
        }
        properties.push((
            "RECONSUME_TIME".to_owned(),
            c(&(view.delivery_attempt - 1).max(0).to_string()),
        ));
        CMessageExt {
            topic: c(&view.topic),
            tags: c(view.tag.as_deref().unwrap_or("")),
            keys: c(&keys),
            body,
            id: c(&view.message_id),
            born_host: c(&view.born_host),
            properties,
            view,
        }
    }
}

/// Reads a field for a getter; a NULL message (or a panic) gives `default`.
fn get<T: Copy>(
    what: &str,
    msg: *mut CMessageExt,
    default: T,
    f: impl FnOnce(&CMessageExt) -> T,
) -> T {
    // SAFETY: the getters' contract: NULL or a live message of this library.
    unsafe { rmq::message::read_field(what, msg.cast_const(), default, f) }
}

/// Milliseconds since 1970, 0 when unknown (the legacy getters have no "none").
fn millis(t: Option<SystemTime>) -> c_longlong {
    rmq::message::epoch_ms(t).max(0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageTopic(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageTopic", msg, std::ptr::null(), |m| {
        m.topic.as_ptr()
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageTags(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageTags", msg, std::ptr::null(), |m| m.tags.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageKeys(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageKeys", msg, std::ptr::null(), |m| m.keys.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageBody(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageBody", msg, std::ptr::null(), |m| {
        m.body.as_ptr().cast()
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageBodyLength(msg: *mut CMessageExt) -> c_int {
    get("GetMessageBodyLength", msg, 0, |m| {
        c_int::try_from(m.view.body.len()).unwrap_or(c_int::MAX)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageProperty(
    msg: *mut CMessageExt,
    key: *const c_char,
) -> *const c_char {
    // SAFETY: NULL or NUL-terminated.
    let Some(key) = (unsafe { crate::common::arg_or_none(key, "the key") }) else {
        return std::ptr::null();
    };
    get("GetMessageProperty", msg, std::ptr::null(), |m| {
        m.properties
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(empty(), |(_, v)| v.as_ptr())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageId(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageId", msg, std::ptr::null(), |m| m.id.as_ptr())
}

/// 5.x deliveries carry a timestamp, not a level: 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageDelayTimeLevel(msg: *mut CMessageExt) -> c_int {
    get("GetMessageDelayTimeLevel", msg, NULL_POINTER, |_| 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageQueueId(msg: *mut CMessageExt) -> c_int {
    get("GetMessageQueueId", msg, NULL_POINTER, |m| m.view.queue_id)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageReconsumeTimes(msg: *mut CMessageExt) -> c_int {
    get("GetMessageReconsumeTimes", msg, NULL_POINTER, |m| {
        (m.view.delivery_attempt - 1).max(0)
    })
}

/// Not on the 5.x wire: 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageStoreSize(msg: *mut CMessageExt) -> c_int {
    get("GetMessageStoreSize", msg, NULL_POINTER, |_| 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageBornTimestamp(msg: *mut CMessageExt) -> c_longlong {
    get(
        "GetMessageBornTimestamp",
        msg,
        c_longlong::from(NULL_POINTER),
        |m| millis(m.view.born_timestamp),
    )
}

/// The 5.x view carries no store time; the born time is the closest the client knows.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageStoreTimestamp(msg: *mut CMessageExt) -> c_longlong {
    get(
        "GetMessageStoreTimestamp",
        msg,
        c_longlong::from(NULL_POINTER),
        |m| millis(m.view.born_timestamp),
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageQueueOffset(msg: *mut CMessageExt) -> c_longlong {
    get(
        "GetMessageQueueOffset",
        msg,
        c_longlong::from(NULL_POINTER),
        |m| m.view.queue_offset.unwrap_or(0),
    )
}

/// Not on the 5.x wire: 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageCommitLogOffset(msg: *mut CMessageExt) -> c_longlong {
    get(
        "GetMessageCommitLogOffset",
        msg,
        c_longlong::from(NULL_POINTER),
        |_| 0,
    )
}

/// Not on the 5.x wire: 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessagePreparedTransactionOffset(msg: *mut CMessageExt) -> c_longlong {
    get(
        "GetMessagePreparedTransactionOffset",
        msg,
        c_longlong::from(NULL_POINTER),
        |_| 0,
    )
}

/// The 5.x view carries no store host: `""`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageStoreHost(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageStoreHost", msg, std::ptr::null(), |_| empty())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageBornHost(msg: *mut CMessageExt) -> *const c_char {
    get("GetMessageBornHost", msg, std::ptr::null(), |m| {
        m.born_host.as_ptr()
    })
}
