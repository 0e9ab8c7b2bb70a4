//! Messages in and out: `Message` (built and checked by the core's builder before any I/O),
//! `MessageView` (what consumers get; getters read the core's view lazily) and `SendReceipt`.
//! `lib/message.cjs` turns JS values into the arguments of `buildMessage` and adds the getters
//! that make JS objects (`properties` as a Map, times as Dates).

use crate::error::{self, OrThrow};
use napi::bindgen_prelude::*;
use parking_lot::Mutex;
use rmq_client as core;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A checked message, ready to send (any number of times).
#[napi]
pub struct Message {
    pub(crate) inner: core::Message,
}

/// Builds a message; `properties` are names and values in turn.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn build_message(
    env: &Env,
    topic: String,
    body: &[u8],
    tag: Option<String>,
    keys: Vec<String>,
    properties: Vec<String>,
    message_group: Option<String>,
    delivery_timestamp: Option<f64>,
    priority: Option<i32>,
    lite_topic: Option<String>,
) -> Result<Message> {
    let mut builder = core::Message::builder(topic, bytes::Bytes::copy_from_slice(body));
    if let Some(tag) = tag {
        builder = builder.tag(tag);
    }
    for key in keys {
        builder = builder.key(key);
    }
    for pair in properties.chunks_exact(2) {
        builder = builder.property(pair[0].clone(), pair[1].clone());
    }
    if let Some(group) = message_group {
        builder = builder.message_group(group);
    }
    if let Some(ms) = delivery_timestamp {
        builder = builder.delivery_timestamp(epoch_ms(env, ms)?);
    }
    if let Some(priority) = priority {
        builder = builder.priority(priority);
    }
    if let Some(lite) = lite_topic {
        builder = builder.lite_topic(lite);
    }
    Ok(Message {
        inner: builder.build().or_throw(env)?,
    })
}

/// Epoch milliseconds as a time; part of the conversion, the core takes any time.
fn epoch_ms(env: &Env, ms: f64) -> Result<SystemTime> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(error::invalid(
            env,
            format!("deliveryTimestamp must be a time after 1970, got {ms}"),
        ));
    }
    // Whole milliseconds stay exact (a Date holds whole milliseconds).
    let whole = ms.trunc();
    let since = (whole < u64::MAX as f64).then(|| {
        Duration::from_millis(whole as u64) + Duration::from_nanos(((ms - whole) * 1e6) as u64)
    });
    since
        .and_then(|since| UNIX_EPOCH.checked_add(since))
        .ok_or_else(|| error::invalid(env, "deliveryTimestamp is too far in the future".into()))
}

fn to_ms(at: Option<SystemTime>) -> Option<f64> {
    at.map(|t| {
        t.duration_since(UNIX_EPOCH).map_or(0.0, |d| {
            d.as_secs() as f64 * 1000.0 + f64::from(d.subsec_nanos()) / 1e6
        })
    })
}

/// A received message. Its receipt handle follows `changeInvisibleDuration`, so the same
/// object can be acked afterwards.
#[napi]
pub struct MessageView {
    inner: Cell,
}

/// The view's current state, shared with a `changeInvisibleDuration` in flight.
pub(crate) type Cell = Arc<Mutex<Arc<core::MessageView>>>;

impl MessageView {
    pub(crate) fn new(view: core::MessageView) -> MessageView {
        MessageView {
            inner: Arc::new(Mutex::new(Arc::new(view))),
        }
    }

    pub(crate) fn cell(&self) -> Cell {
        self.inner.clone()
    }

    pub(crate) fn core(&self) -> Arc<core::MessageView> {
        self.inner.lock().clone()
    }
}

#[napi]
impl MessageView {
    #[napi(getter)]
    pub fn message_id(&self) -> String {
        self.core().message_id.clone()
    }

    #[napi(getter)]
    pub fn topic(&self) -> String {
        self.core().topic.clone()
    }

    /// A new Buffer with the body on each access.
    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        Buffer::from(self.core().body.to_vec())
    }

    #[napi(getter)]
    pub fn tag(&self) -> Option<String> {
        self.core().tag.clone()
    }

    #[napi(getter)]
    pub fn keys(&self) -> Vec<String> {
        self.core().keys.clone()
    }

    /// User properties as names and values in turn (`properties` builds the Map).
    #[napi(getter, js_name = "_propertyPairs")]
    pub fn property_pairs(&self) -> Vec<String> {
        let view = self.core();
        let mut pairs = Vec::with_capacity(view.properties.len() * 2);
        for (k, v) in &view.properties {
            pairs.push(k.clone());
            pairs.push(v.clone());
        }
        pairs
    }

    #[napi(getter)]
    pub fn message_group(&self) -> Option<String> {
        self.core().message_group.clone()
    }

    /// Epoch ms (`deliveryTimestamp` makes the Date).
    #[napi(getter, js_name = "_deliveryMs")]
    pub fn delivery_ms(&self) -> Option<f64> {
        to_ms(self.core().delivery_timestamp)
    }

    /// Epoch ms (`bornTimestamp` makes the Date).
    #[napi(getter, js_name = "_bornMs")]
    pub fn born_ms(&self) -> Option<f64> {
        to_ms(self.core().born_timestamp)
    }

    #[napi(getter)]
    pub fn delivery_attempt(&self) -> i32 {
        self.core().delivery_attempt
    }

    #[napi(getter)]
    pub fn born_host(&self) -> String {
        self.core().born_host.clone()
    }

    #[napi(getter)]
    pub fn queue_id(&self) -> i32 {
        self.core().queue_id
    }

    /// Its offset in the queue, when the server gave one.
    #[napi(getter)]
    pub fn offset(&self) -> Option<i64> {
        self.core().queue_offset
    }

    /// The current receipt handle (opaque).
    #[napi(getter)]
    pub fn receipt_handle(&self) -> String {
        self.core().receipt_handle().to_owned()
    }

    /// Whether the body is unusable (digest mismatch, failed decompression).
    #[napi(getter)]
    pub fn corrupted(&self) -> bool {
        self.core().corrupted.is_some()
    }

    /// Why the body is unusable, or undefined.
    #[napi(getter)]
    pub fn corruption(&self) -> Option<String> {
        self.core().corrupted.clone()
    }

    #[napi(getter)]
    pub fn priority(&self) -> Option<i32> {
        self.core().priority
    }

    /// The lite topic (lite topics only; Apache 5.5+).
    #[napi(getter)]
    pub fn lite_topic(&self) -> Option<String> {
        self.core().lite_topic.clone()
    }
}

/// What a successful send returns.
#[napi(object)]
pub struct SendReceipt {
    pub message_id: String,
    /// Transactional messages only.
    pub transaction_id: Option<String>,
    /// Scheduled messages only: the handle for `recallMessage`.
    pub recall_handle: Option<String>,
    pub offset: i64,
    pub queue_id: i32,
    pub topic: String,
    /// The broker that took it (`host:port`).
    pub endpoint: String,
}

impl From<core::SendReceipt> for SendReceipt {
    fn from(r: core::SendReceipt) -> SendReceipt {
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        SendReceipt {
            message_id: r.message_id,
            transaction_id: some(r.transaction_id),
            recall_handle: some(r.recall_handle),
            offset: r.offset,
            queue_id: r.queue_id,
            topic: r.topic,
            endpoint: r.endpoint.to_string(),
        }
    }
}
