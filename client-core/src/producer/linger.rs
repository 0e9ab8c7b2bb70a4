//! Opt-in linger mode of the producer: concurrent `send` calls of normal messages to one topic
//! are held for up to the linger time and sent together in one `SendMessage`, trading a little
//! latency for many times the throughput (one round trip and one server write per batch).

use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::producer::SendReceipt;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How sends are grouped in linger mode. A batch leaves when its oldest message has waited
/// `linger`, or when it holds `max_messages` messages or `max_bytes` of bodies, whichever
/// comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LingerConfig {
    /// How long the first message of a batch may wait for company. Default 5 ms. Zero
    /// adds no wait: only sends queued at the same moment leave together.
    pub linger: Duration,
    /// Most messages in one batch. Default 256.
    pub max_messages: usize,
    /// Most body bytes in one batch. Default 1 MiB.
    pub max_bytes: usize,
}

impl LingerConfig {
    /// Refuses values outside the bounds of the `linger`, `linger_max_messages` and
    /// `linger_max_bytes` options.
    pub(crate) fn check(&self) -> Result<()> {
        crate::options::bounded("linger", self.linger)?;
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        crate::options::bounded_count("linger_max_messages", count(self.max_messages))?;
        crate::options::bounded_count("linger_max_bytes", count(self.max_bytes))?;
        Ok(())
    }
}

impl Default for LingerConfig {
    fn default() -> Self {
        LingerConfig {
            linger: Duration::from_millis(5),
            max_messages: 256,
            max_bytes: 1 << 20,
        }
    }
}

type Reply = oneshot::Sender<Result<SendReceipt>>;
pub(crate) type BatchFuture = Pin<Box<dyn Future<Output = Result<Vec<SendReceipt>>> + Send>>;
/// Sends one batch (one topic, normal messages) and returns its receipts in order.
pub(crate) type SendBatch = Arc<dyn Fn(Vec<Message>) -> BatchFuture + Send + Sync>;

// Nearly every command is a Send: boxing the message would cost an allocation per send to
// shrink the rare Flush.
#[allow(clippy::large_enum_variant)]
enum Command {
    Send(Message, Reply),
    /// Send everything held now and answer once every batch in flight has an answer.
    Flush(oneshot::Sender<()>),
}

/// Handle to the task that gathers batches.
pub(crate) struct Linger {
    tx: mpsc::UnboundedSender<Command>,
}

impl Linger {
    pub(crate) fn start(config: LingerConfig, send: SendBatch) -> Linger {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(gather(config, send, rx));
        Linger { tx }
    }

    /// Queues `message` and waits for its batch's answer.
    pub(crate) async fn send(&self, message: Message) -> Result<SendReceipt> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Send(message, reply))
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Sends what is held and waits for every batch in flight.
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.tx.send(Command::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::Closed, "send", "producer is shut down")
}

struct Held {
    messages: Vec<Message>,
    replies: Vec<Reply>,
    bytes: usize,
    due: Instant,
}

async fn gather(config: LingerConfig, send: SendBatch, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut held: HashMap<String, Held> = HashMap::new();
    let mut in_flight = JoinSet::new();
    let dispatch = |batch: Held, in_flight: &mut JoinSet<()>| {
        let send = send.clone();
        in_flight.spawn(async move {
            match send(batch.messages).await {
                Ok(receipts) if receipts.len() == batch.replies.len() => {
                    for (reply, receipt) in batch.replies.into_iter().zip(receipts) {
                        let _ = reply.send(Ok(receipt));
                    }
                }
                Ok(receipts) => {
                    let error = Error::new(
                        ErrorKind::Unexpected,
                        "send",
                        format!(
                            "the server returned {} results for {} messages",
                            receipts.len(),
                            batch.replies.len()
                        ),
                    );
                    for reply in batch.replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
                Err(error) => {
                    for reply in batch.replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
        });
    };
    loop {
        let next_due = held.values().map(|h| h.due).min();
        tokio::select! {
            command = rx.recv() => {
                // Everything already queued joins the batches before any batch is due-checked:
                // with a zero linger, sends made at the same moment still leave together.
                let mut next = command;
                loop {
                    match next {
                        Some(Command::Send(message, reply)) => {
                            if let Some(full) = hold(&config, &mut held, message, reply) {
                                dispatch(full, &mut in_flight);
                            }
                        }
                        Some(Command::Flush(done)) => {
                            for (_, batch) in held.drain() {
                                dispatch(batch, &mut in_flight);
                            }
                            while in_flight.join_next().await.is_some() {}
                            let _ = done.send(());
                            break;
                        }
                        None => {
                            for (_, batch) in held.drain() {
                                dispatch(batch, &mut in_flight);
                            }
                            while in_flight.join_next().await.is_some() {}
                            return;
                        }
                    }
                    next = match rx.try_recv() {
                        Ok(command) => Some(command),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                    };
                }
            }
            () = sleep_until(next_due) => {
                let now = Instant::now();
                let due: Vec<String> = held
                    .iter()
                    .filter(|(_, h)| h.due <= now)
                    .map(|(t, _)| t.clone())
                    .collect();
                for topic in due {
                    if let Some(batch) = held.remove(&topic) {
                        dispatch(batch, &mut in_flight);
                    }
                }
            }
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
}

/// Adds a message to its topic's batch; returns the batch if that filled it.
fn hold(
    config: &LingerConfig,
    held: &mut HashMap<String, Held>,
    message: Message,
    reply: Reply,
) -> Option<Held> {
    let bytes = message.body().len();
    let batch = held
        .entry(message.topic().to_owned())
        .or_insert_with(|| Held {
            messages: Vec::new(),
            replies: Vec::new(),
            bytes: 0,
            due: Instant::now() + config.linger,
        });
    batch.bytes += bytes;
    let topic_full =
        batch.messages.len() + 1 >= config.max_messages || batch.bytes >= config.max_bytes;
    let topic = message.topic().to_owned();
    batch.messages.push(message);
    batch.replies.push(reply);
    if topic_full {
        held.remove(&topic)
    } else {
        None
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn message(topic: &str, body: &[u8]) -> Message {
        Message::builder(topic, body.to_vec())
            .build()
            .expect("valid message")
    }

    fn recording(sizes: Arc<Mutex<Vec<(String, usize)>>>, fail: bool) -> SendBatch {
        Arc::new(move |messages: Vec<Message>| {
            let sizes = sizes.clone();
            Box::pin(async move {
                sizes
                    .lock()
                    .expect("lock")
                    .push((messages[0].topic().to_owned(), messages.len()));
                if fail {
                    return Err(Error::new(ErrorKind::TooManyRequests, "send", "busy"));
                }
                Ok(messages
                    .iter()
                    .enumerate()
                    .map(|(i, m)| SendReceipt {
                        message_id: format!("{}-{i}", m.topic()),
                        transaction_id: String::new(),
                        offset: i as i64,
                        recall_handle: String::new(),
                        queue_id: 0,
                        topic: m.topic().to_owned(),
                        endpoint: crate::config::Endpoint {
                            host: "127.0.0.1".into(),
                            port: 1,
                        },
                    })
                    .collect())
            }) as BatchFuture
        })
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_sends_share_a_batch_per_topic_and_keep_their_order() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let linger = Arc::new(Linger::start(
            LingerConfig::default(),
            recording(sizes.clone(), false),
        ));
        let mut sends = Vec::new();
        for i in 0..10 {
            let linger = linger.clone();
            let topic = if i % 2 == 0 { "even" } else { "odd" };
            sends.push(tokio::spawn(async move {
                linger.send(message(topic, b"x")).await
            }));
            tokio::task::yield_now().await;
        }
        let mut ids = Vec::new();
        for send in sends {
            ids.push(send.await.expect("join").expect("sent").message_id);
        }
        assert_eq!(ids[0], "even-0");
        assert_eq!(ids[2], "even-1");
        assert_eq!(ids[9], "odd-4");
        let mut batches = sizes.lock().expect("lock").clone();
        batches.sort();
        assert_eq!(batches, vec![("even".into(), 5), ("odd".into(), 5)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_leaves_without_waiting_and_errors_reach_every_sender() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let config = LingerConfig {
            linger: Duration::from_secs(3600),
            max_messages: 3,
            max_bytes: usize::MAX,
        };
        let linger = Arc::new(Linger::start(config, recording(sizes.clone(), true)));
        let mut sends = Vec::new();
        for _ in 0..3 {
            let linger = linger.clone();
            sends.push(tokio::spawn(async move {
                linger.send(message("t", b"x")).await
            }));
        }
        for send in sends {
            let error = send.await.expect("join").expect_err("batch failed");
            assert_eq!(error.kind(), ErrorKind::TooManyRequests);
        }
        assert_eq!(sizes.lock().expect("lock").as_slice(), &[("t".into(), 3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_linger_batches_what_is_queued_at_once() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let config = LingerConfig {
            linger: Duration::ZERO,
            ..LingerConfig::default()
        };
        let linger = Arc::new(Linger::start(config, recording(sizes.clone(), false)));
        // Ten sends queued before the gathering task runs again leave as one batch.
        let sends: Vec<_> = (0..10)
            .map(|_| {
                let linger = linger.clone();
                tokio::spawn(async move { linger.send(message("t", b"x")).await })
            })
            .collect();
        for send in sends {
            assert!(send.await.expect("join").is_ok());
        }
        // A send alone still leaves without waiting for company.
        linger.send(message("t", b"y")).await.expect("sent");
        assert_eq!(
            sizes.lock().expect("lock").as_slice(),
            &[("t".into(), 10), ("t".into(), 1)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn flush_sends_what_is_held() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let config = LingerConfig {
            linger: Duration::from_secs(3600),
            ..LingerConfig::default()
        };
        let linger = Arc::new(Linger::start(config, recording(sizes.clone(), false)));
        let pending = {
            let linger = linger.clone();
            tokio::spawn(async move { linger.send(message("t", b"x")).await })
        };
        tokio::task::yield_now().await;
        linger.flush().await;
        assert!(pending.await.expect("join").is_ok());
        assert_eq!(sizes.lock().expect("lock").len(), 1);
    }
}
