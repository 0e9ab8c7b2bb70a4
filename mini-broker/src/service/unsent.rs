//! The ReceiveMessage response stream, which gives back what it could not deliver: messages
//! popped for a call that is dropped before they are handed to the transport (the client
//! went away or cancelled, even while the pop was being made durable) or whose response a
//! fault drops are made visible again in a second, as Apache's proxy nacks a message it fails
//! to write. Left leased (auto-renewed for a consumer that never got them), they would block
//! their FIFO group or lite topic.

use crate::core::Core;
use crate::store::journal;
use rmq_proto::v2::{ReceiveMessageResponse, receive_message_response::Content};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio_stream::Stream;

/// How soon an undelivered message is visible again (Apache's `NACK_INVISIBLE_TIME`).
const NACK_INVISIBLE_MS: i64 = 1_000;

/// Messages leased to a receive call and not yet handed to the transport; whatever is left
/// when this is dropped is given back.
pub(crate) struct Unsent {
    /// Where each message is settled (its topic or lite queue) and its receipt handle, in
    /// the order they are sent.
    handles: VecDeque<(String, String)>,
    group: String,
    core: Arc<Core>,
}

impl Unsent {
    pub(crate) fn new(core: Arc<Core>, group: String, handles: Vec<(String, String)>) -> Self {
        Unsent {
            handles: handles.into(),
            group,
            core,
        }
    }
}

impl Drop for Unsent {
    fn drop(&mut self) {
        let mut any = false;
        for (topic, handle) in self.handles.drain(..) {
            // Not waited for: a nack lost in a crash only leaves the lease to end by itself.
            let _ = self.core.execute(journal::ChangeInvisible {
                group: self.group.clone(),
                topic,
                handle,
                invisible: NACK_INVISIBLE_MS,
            });
            any = true;
        }
        if any {
            self.core.scheduler.notify_one();
        }
    }
}

/// The response items; each message item handed to the transport leaves `unsent`.
pub(crate) struct ReceiveStream {
    items: VecDeque<Content>,
    unsent: Unsent,
    /// Ends the stream once `items` are out (fault injection).
    broken: Option<tonic::Status>,
}

impl ReceiveStream {
    /// `unsent` holds the messages among `items`, in order.
    pub(crate) fn new(items: Vec<Content>, unsent: Unsent) -> Self {
        ReceiveStream {
            items: items.into(),
            unsent,
            broken: None,
        }
    }

    /// The stream breaks with `status` after `items`.
    pub(crate) fn broken(mut self, status: tonic::Status) -> Self {
        self.broken = Some(status);
        self
    }
}

impl Stream for ReceiveStream {
    type Item = Result<ReceiveMessageResponse, tonic::Status>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(content) = this.items.pop_front() else {
            return Poll::Ready(this.broken.take().map(Err));
        };
        if matches!(content, Content::Message(_)) {
            this.unsent.handles.pop_front();
        }
        Poll::Ready(Some(Ok(ReceiveMessageResponse {
            content: Some(content),
        })))
    }
}
