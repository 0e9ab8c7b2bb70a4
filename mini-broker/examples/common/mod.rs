//! What the benchmark programs share: arguments, raw-stub requests, and a consumer's
//! Telemetry registration.
#![allow(dead_code)]

use rmq_proto::v2::messaging_service_client::MessagingServiceClient;
use rmq_proto::v2::*;
use std::time::Duration;
use tonic::transport::Channel;

/// `--name N` from the command line, else `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A request from the benchmark's client id.
pub fn request<T>(body: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(body);
    r.metadata_mut()
        .insert("x-mq-client-id", "bench".parse().expect("ascii"));
    r
}

pub fn resource(name: &str) -> Option<Resource> {
    Some(Resource {
        resource_namespace: String::new(),
        name: name.into(),
    })
}

pub async fn connect(endpoint: &str) -> MessagingServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{endpoint}"))
        .expect("uri")
        .tcp_nodelay(true)
        .connect()
        .await
        .expect("connect");
    MessagingServiceClient::new(channel)
}

/// A receive of up to 32 messages with a 5 s long poll and, like every client, a deadline
/// longer than it.
pub fn receive(
    group: &str,
    topic: &str,
    invisible_secs: i64,
) -> tonic::Request<ReceiveMessageRequest> {
    let mut r = request(ReceiveMessageRequest {
        group: resource(group),
        message_queue: Some(MessageQueue {
            topic: resource(topic),
            ..Default::default()
        }),
        batch_size: 32,
        invisible_duration: Some(prost_types::Duration {
            seconds: invisible_secs,
            nanos: 0,
        }),
        long_polling_timeout: Some(prost_types::Duration {
            seconds: 5,
            nanos: 0,
        }),
        ..Default::default()
    });
    r.set_timeout(Duration::from_secs(10));
    r
}

/// Opens the consumer's Telemetry stream with its Settings (receive needs them) and keeps it
/// open in the background.
pub async fn register(stub: &MessagingServiceClient<Channel>, group: &str) {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(Settings {
            client_type: Some(ClientType::SimpleConsumer as i32),
            pub_sub: Some(settings::PubSub::Subscription(Subscription {
                group: resource(group),
                ..Default::default()
            })),
            ..Default::default()
        })),
    })
    .await
    .expect("settings");
    let mut inbound = stub
        .clone()
        .telemetry(request(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .await
        .expect("telemetry")
        .into_inner();
    inbound.message().await.expect("settings reply");
    tokio::spawn(async move {
        let _keep = tx;
        while let Ok(Some(_)) = inbound.message().await {}
    });
}
