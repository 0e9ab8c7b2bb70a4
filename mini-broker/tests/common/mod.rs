//! Raw-stub helpers: the tests talk to the broker through generated gRPC code only.
#![allow(dead_code)]

use rmq_mini_broker::{GroupConfig, MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::messaging_service_client::MessagingServiceClient;
use rmq_proto::v2::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub type Interceptor =
    Box<dyn FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Send>;
pub type Stub = MessagingServiceClient<InterceptedService<Channel, Interceptor>>;

static NEXT: AtomicU64 = AtomicU64::new(1);

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A scratch directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(unique(&format!("rmq-test-{}-", std::process::id())));
        std::fs::create_dir_all(&dir).expect("mkdir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn stub_with(broker: &MiniBroker, client_id: Option<String>) -> Stub {
    stub_to(&broker.endpoint(), client_id).await
}

pub async fn stub_to(endpoint: &str, client_id: Option<String>) -> Stub {
    let channel = Channel::from_shared(format!("http://{endpoint}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let interceptor: Interceptor = Box::new(move |mut req: tonic::Request<()>| {
        if let Some(id) = &client_id {
            req.metadata_mut()
                .insert("x-mq-client-id", id.parse().expect("ascii"));
        }
        req.metadata_mut()
            .insert("x-mq-language", "RUST".parse().expect("ascii"));
        req.metadata_mut()
            .insert("x-mq-client-version", "5.2.0".parse().expect("ascii"));
        Ok(req)
    });
    MessagingServiceClient::with_interceptor(channel, interceptor)
}

pub fn resource(name: &str) -> Option<Resource> {
    Some(Resource {
        resource_namespace: String::new(),
        name: name.into(),
    })
}

/// A client with an open Telemetry stream whose Settings the broker has answered.
pub struct Client {
    pub stub: Stub,
    pub commands: mpsc::Sender<TelemetryCommand>,
    pub inbound: Streaming<TelemetryCommand>,
    pub settings: Settings,
}

pub async fn open(broker: &MiniBroker, settings: Settings) -> Client {
    open_as(broker, &unique("client-"), settings).await
}

/// A client with this id: Telemetry opened with `settings`, the broker's reply read.
pub async fn open_as(broker: &MiniBroker, client_id: &str, settings: Settings) -> Client {
    let mut stub = stub_with(broker, Some(client_id.to_owned())).await;
    let (tx, rx) = mpsc::channel(8);
    tx.send(TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(settings)),
    })
    .await
    .expect("queue settings");
    let mut inbound = stub
        .telemetry(ReceiverStream::new(rx))
        .await
        .expect("telemetry")
        .into_inner();
    let reply = tokio::time::timeout(Duration::from_secs(5), inbound.next())
        .await
        .expect("settings reply in time")
        .expect("stream open")
        .expect("no stream error");
    let Some(telemetry_command::Command::Settings(settings)) = reply.command else {
        panic!("first reply is not settings: {reply:?}")
    };
    Client {
        stub,
        commands: tx,
        inbound,
        settings,
    }
}

pub async fn producer(broker: &MiniBroker, topics: &[&str]) -> Client {
    open(
        broker,
        Settings {
            client_type: Some(ClientType::Producer as i32),
            request_timeout: Some(prost_types::Duration {
                seconds: 3,
                nanos: 0,
            }),
            pub_sub: Some(settings::PubSub::Publishing(Publishing {
                topics: topics.iter().filter_map(|t| resource(t)).collect(),
                ..Default::default()
            })),
            ..Default::default()
        },
    )
    .await
}

pub async fn consumer(broker: &MiniBroker, group: &str, topic: &str) -> Client {
    open(broker, consumer_settings(group, topic)).await
}

pub fn consumer_settings(group: &str, topic: &str) -> Settings {
    Settings {
        client_type: Some(ClientType::SimpleConsumer as i32),
        request_timeout: Some(prost_types::Duration {
            seconds: 3,
            nanos: 0,
        }),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: resource(group),
            subscriptions: vec![SubscriptionEntry {
                topic: resource(topic),
                expression: Some(FilterExpression {
                    r#type: FilterType::Tag as i32,
                    expression: "*".into(),
                }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    }
}

pub fn message(topic: &str, body: &str) -> Message {
    Message {
        topic: resource(topic),
        user_properties: Default::default(),
        system_properties: Some(SystemProperties {
            message_id: unique("01AB"),
            message_type: MessageType::Normal as i32,
            ..Default::default()
        }),
        body: body.as_bytes().to_vec().into(),
    }
}

pub fn with_sys(mut m: Message, f: impl FnOnce(&mut SystemProperties)) -> Message {
    if let Some(sys) = m.system_properties.as_mut() {
        f(sys);
    }
    m
}

pub async fn send(stub: &mut Stub, messages: Vec<Message>) -> SendMessageResponse {
    stub.send_message(SendMessageRequest { messages })
        .await
        .expect("rpc")
        .into_inner()
}

pub fn code(status: &Option<Status>) -> Code {
    Code::try_from(status.as_ref().expect("status present").code).expect("known code")
}

pub fn secs(s: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: s,
        nanos: 0,
    })
}

pub struct Received {
    pub status: Status,
    pub messages: Vec<Message>,
}

pub async fn receive_with(
    stub: &mut Stub,
    group: &str,
    topic: &str,
    max: i32,
    invisible_secs: i64,
    filter: Option<FilterExpression>,
    poll: Duration,
) -> Received {
    let mut request = tonic::Request::new(ReceiveMessageRequest {
        group: resource(group),
        message_queue: Some(MessageQueue {
            topic: resource(topic),
            id: 0,
            ..Default::default()
        }),
        filter_expression: filter,
        batch_size: max,
        invisible_duration: secs(invisible_secs),
        auto_renew: false,
        long_polling_timeout: Some(prost_types::Duration {
            seconds: i64::try_from(poll.as_secs()).expect("small"),
            nanos: i32::try_from(poll.subsec_nanos()).expect("small"),
        }),
        attempt_id: None,
    });
    request.set_timeout(poll + Duration::from_secs(3));
    let mut stream = stub
        .receive_message(request)
        .await
        .expect("rpc")
        .into_inner();
    let mut status = None;
    let mut messages = Vec::new();
    let mut timestamps = 0;
    while let Some(item) = stream.next().await {
        match item.expect("stream item").content.expect("content") {
            receive_message_response::Content::Status(s) => {
                assert!(status.is_none(), "exactly one status");
                status = Some(s);
            }
            receive_message_response::Content::Message(m) => messages.push(m),
            receive_message_response::Content::DeliveryTimestamp(_) => timestamps += 1,
        }
    }
    assert_eq!(timestamps, 1, "one delivery timestamp closes the stream");
    Received {
        status: status.expect("a status"),
        messages,
    }
}

/// A receive that returns at once when nothing is there (the minimum 5 s poll is only
/// waited out when the queue stays empty).
pub async fn receive(
    stub: &mut Stub,
    group: &str,
    topic: &str,
    max: i32,
    invisible_secs: i64,
) -> Received {
    receive_with(
        stub,
        group,
        topic,
        max,
        invisible_secs,
        None,
        Duration::from_secs(5),
    )
    .await
}

pub fn handle(m: &Message) -> String {
    m.system_properties
        .as_ref()
        .and_then(|s| s.receipt_handle.clone())
        .expect("receipt handle")
}

pub fn attempt(m: &Message) -> i32 {
    m.system_properties
        .as_ref()
        .and_then(|s| s.delivery_attempt)
        .expect("delivery attempt")
}

pub fn id(m: &Message) -> String {
    m.system_properties
        .as_ref()
        .map(|s| s.message_id.clone())
        .expect("sys")
}

pub async fn ack(stub: &mut Stub, group: &str, topic: &str, m: &Message) -> AckMessageResponse {
    ack_handle(stub, group, topic, &id(m), &handle(m)).await
}

pub async fn ack_handle(
    stub: &mut Stub,
    group: &str,
    topic: &str,
    message_id: &str,
    handle: &str,
) -> AckMessageResponse {
    stub.ack_message(AckMessageRequest {
        group: resource(group),
        topic: resource(topic),
        entries: vec![AckMessageEntry {
            message_id: message_id.into(),
            receipt_handle: handle.into(),
            lite_topic: None,
        }],
    })
    .await
    .expect("rpc")
    .into_inner()
}

/// Waits until `done` holds (checked every 2 ms), failing the test after 10 s: for waiting on a
/// broker's counters instead of sleeping.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The hex HMAC-SHA1 signature of an `x-mq-date-time` value, as an AK/SK client signs it.
pub fn signature(secret: &str, date: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(date.as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// A virtual-clock broker with the topics and groups the consumption tests use.
pub async fn virtual_broker() -> MiniBroker {
    MiniBroker::builder()
        .virtual_clock(true)
        .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
        .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(1))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .topic(TopicConfig::new("tx", TopicType::Transaction))
        .group(GroupConfig::new("fg").fifo(true))
        .group(GroupConfig::new("short").max_delivery_attempts(2))
        .start()
        .await
        .expect("start")
}

/// A FIFO message of `group`.
pub fn fifo_message(group: &str, body: &str) -> Message {
    with_sys(message("fifo", body), |s| {
        s.message_group = Some(group.into());
        s.message_type = MessageType::Fifo as i32;
    })
}

/// The status of a receive made with its own gRPC deadline (a 5 s long poll, the minimum),
/// for the refusals that depend on the deadline.
pub async fn receive_within(
    stub: &mut Stub,
    group: &str,
    topic: &str,
    deadline: Duration,
) -> Status {
    let mut request = tonic::Request::new(ReceiveMessageRequest {
        group: resource(group),
        message_queue: Some(MessageQueue {
            topic: resource(topic),
            ..Default::default()
        }),
        batch_size: 1,
        invisible_duration: secs(30),
        long_polling_timeout: secs(5),
        ..Default::default()
    });
    request.set_timeout(deadline);
    let mut stream = stub
        .receive_message(request)
        .await
        .expect("rpc")
        .into_inner();
    while let Some(item) = stream.next().await {
        if let Some(receive_message_response::Content::Status(st)) = item.expect("item").content {
            return st;
        }
    }
    panic!("no status")
}
