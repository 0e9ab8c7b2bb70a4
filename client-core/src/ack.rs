//! Acknowledging messages: one `AckMessage` per (broker, topic) carrying many entries, each
//! answered on its own; and the push consumer's acker, which coalesces the acks of messages
//! consumed at about the same time into such batches.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message::MessageView;
use crate::transport::Transport;
use rmq_proto::v2::{AckMessageEntry, AckMessageRequest, Resource};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

const OP: &str = "ack";

/// Most entries in one coalesced request.
const MAX_BATCH: usize = 256;
/// Coalesced requests in flight at once. While they are busy, later acks queue up and leave
/// together in the next request, so batches grow with the load and stay single at low load.
const IN_FLIGHT: usize = 4;

fn resource(transport: &Transport, name: &str) -> Option<Resource> {
    Some(Resource {
        resource_namespace: transport.config().namespace().to_owned(),
        name: name.to_owned(),
    })
}

fn missing() -> Error {
    Error::new(
        ErrorKind::Unexpected,
        OP,
        "the server returned no ack result",
    )
}

/// Acks `views` for `group`. The outer error is a failed request; otherwise each view gets
/// its own result, in order.
pub(crate) async fn ack_all(
    transport: &Transport,
    group: &str,
    views: &[&MessageView],
) -> Result<Vec<Result<()>>> {
    let mut results: Vec<Option<Result<()>>> = views.iter().map(|_| None).collect();
    // Positions of the views, grouped by (broker, topic) in order of first appearance.
    let mut groups: Vec<((&Endpoint, &str), Vec<usize>)> = Vec::new();
    for (i, view) in views.iter().enumerate() {
        let key = (&view.endpoint, view.topic.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for ((endpoint, topic), members) in groups {
        let request = AckMessageRequest {
            group: resource(transport, group),
            topic: resource(transport, topic),
            entries: members
                .iter()
                .map(|&i| AckMessageEntry {
                    message_id: views[i].message_id.clone(),
                    receipt_handle: views[i].receipt_handle.clone(),
                    lite_topic: views[i].lite_topic.clone(),
                })
                .collect(),
        };
        let response = transport
            .call(OP, endpoint, request, None, |mut stub, r| async move {
                stub.ack_message(r).await
            })
            .await
            .map_err(|e| e.with_group(group).with_topic(topic))?;
        let whole = response.status;
        let mut entries = response.entries;
        for &i in &members {
            // Matched by receipt handle, so the server's order does not matter.
            let entry = entries
                .iter()
                .position(|e| e.receipt_handle == views[i].receipt_handle)
                .map(|at| entries.swap_remove(at));
            let status = match entry {
                Some(entry) => entry.status.or_else(|| whole.clone()),
                None => whole.clone(),
            };
            results[i] = Some(Error::check(OP, status));
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(missing())))
        .collect())
}

type Waiting = (Arc<MessageView>, oneshot::Sender<Result<()>>);

/// Handle to a task that coalesces acks; it ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Acker {
    tx: mpsc::UnboundedSender<Waiting>,
}

impl Acker {
    pub(crate) fn start(transport: Transport, group: String) -> Acker {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(coalesce(transport, group, rx));
        Acker { tx }
    }

    /// Acks `view` in the next batch and returns its own result.
    pub(crate) async fn ack(&self, view: &Arc<MessageView>) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((view.clone(), reply))
            .map_err(|_| Error::new(ErrorKind::Closed, OP, "consumer is shut down"))?;
        answer
            .await
            .map_err(|_| Error::new(ErrorKind::Closed, OP, "consumer is shut down"))?
    }
}

async fn coalesce(transport: Transport, group: String, mut rx: mpsc::UnboundedReceiver<Waiting>) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let group: Arc<str> = group.into();
    loop {
        // Wait for a free slot first, so acks arriving meanwhile join the next batch.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let transport = transport.clone();
        let group = group.clone();
        tokio::spawn(async move {
            let views: Vec<&MessageView> = batch.iter().map(|(view, _)| view.as_ref()).collect();
            match ack_all(&transport, &group, &views).await {
                Ok(results) => {
                    for ((_, reply), result) in batch.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
                Err(error) => {
                    for (_, reply) in batch {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
            drop(permit);
        });
    }
}
