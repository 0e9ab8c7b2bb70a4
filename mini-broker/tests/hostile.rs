//! Hostile and careless requests, each the exact one that once took the broker down or got an
//! answer Apache does not give, and the input limits at and just past their value.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::time::Duration;
use tokio_stream::StreamExt;

/// Longest filter expression the broker accepts (`filter::MAX_EXPRESSION_BYTES`).
const MAX_FILTER: usize = 128 * 1024;

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .topic(TopicConfig::new("prio", TopicType::Priority).queues(4))
        .start()
        .await
        .expect("start")
}

/// `a = '0' OR a = '1' OR …` with `terms` terms.
fn or_chain(terms: usize) -> String {
    (0..terms)
        .map(|i| format!("a = '{i}'"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// An SQL filter of exactly `len` bytes.
fn sql_of_len(len: usize) -> String {
    let frame = "a = '0' OR a = ''";
    format!("a = '0' OR a = '{}'", "x".repeat(len - frame.len()))
}

fn sql(expression: String) -> Option<FilterExpression> {
    Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression,
    })
}

/// The broker still answers.
async fn alive(broker: &MiniBroker) {
    let mut stub = stub_with(broker, Some(unique("probe-"))).await;
    let route = stub
        .query_route(QueryRouteRequest {
            topic: resource("t"),
            endpoints: None,
        })
        .await
        .expect("the broker still serves")
        .into_inner();
    assert_eq!(code(&route.status), Code::Ok);
}

async fn pull(stub: &mut Stub, batch_size: i32, filter: Option<FilterExpression>) -> Status {
    let mut stream = stub
        .pull_message(PullMessageRequest {
            group: resource("g"),
            message_queue: Some(MessageQueue {
                topic: resource("t"),
                id: 0,
                ..Default::default()
            }),
            offset: 0,
            batch_size,
            filter_expression: filter,
            long_polling_timeout: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    let mut status = None;
    while let Some(item) = stream.next().await {
        if let Some(pull_message_response::Content::Status(s)) = item.expect("item").content {
            status = Some(s);
        }
    }
    status.expect("a status")
}

#[tokio::test]
async fn long_sql_chains_neither_overflow_the_stack_nor_pass_the_length_limit() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    send(&mut stub, vec![message("t", "one")]).await;
    // The chains that aborted the process: ~5,600 terms on PullMessage, ~6,300 on receive.
    let status = pull(&mut stub, 1, sql(or_chain(5_600))).await;
    assert_eq!(status.code, Code::MessageNotFound as i32, "{status:?}");
    let mut matching = message("t", "two");
    matching.user_properties.insert("a".into(), "6299".into());
    send(&mut stub, vec![matching]).await;
    let mut consumer = consumer(&broker, "g", "t").await;
    let received = receive_with(
        &mut consumer.stub,
        "g",
        "t",
        1,
        30,
        sql(or_chain(6_300)),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(code(&Some(received.status)), Code::Ok);
    assert_eq!(received.messages.len(), 1);
    alive(&broker).await;
    // At the length limit the filter works; one byte past it is refused.
    let status = pull(&mut stub, 1, sql(sql_of_len(MAX_FILTER))).await;
    assert_eq!(status.code, Code::MessageNotFound as i32, "{status:?}");
    let status = pull(&mut stub, 1, sql(sql_of_len(MAX_FILTER + 1))).await;
    assert_eq!(status.code, Code::IllegalFilterExpression as i32);
    assert!(
        status.message.len() <= 512,
        "{} bytes",
        status.message.len()
    );
    alive(&broker).await;
}

#[tokio::test]
async fn a_huge_filter_in_telemetry_settings_is_refused_and_the_broker_lives() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    // ~43,800 terms (~480 KB) in a subscription once overflowed the stack.
    let settings = Settings {
        client_type: Some(ClientType::PushConsumer as i32),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: resource("g"),
            subscriptions: vec![SubscriptionEntry {
                topic: resource("t"),
                expression: sql(or_chain(43_800)),
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    let commands = tokio_stream::iter(vec![TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(settings)),
    }]);
    let mut inbound = stub.telemetry(commands).await.expect("open").into_inner();
    let error = inbound
        .next()
        .await
        .expect("an answer")
        .expect_err("the settings are refused");
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    assert!(
        error.message().len() <= 512,
        "{} bytes",
        error.message().len()
    );
    alive(&broker).await;
}

#[tokio::test]
async fn status_texts_that_quote_input_are_capped() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    // A refused 20,060-character filter used to come back whole in the status text.
    let refused = format!("a LIKE '{}'", "x".repeat(20_051));
    assert_eq!(refused.len(), 20_060);
    let status = pull(&mut stub, 1, sql(refused)).await;
    assert_eq!(status.code, Code::IllegalFilterExpression as i32);
    assert!(
        status.message.len() <= 512,
        "{} bytes",
        status.message.len()
    );
    assert!(status.message.ends_with('…'), "{}", status.message);
    assert!(
        status
            .message
            .starts_with("parse the consumer's subscription failed: "),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn a_heartbeat_of_an_unknown_client_type_is_unrecognized() {
    let broker = broker().await;
    for client_type in [99, ClientType::PullConsumer as i32, 0] {
        let client = open(
            &broker,
            Settings {
                client_type: Some(client_type),
                pub_sub: Some(settings::PubSub::Publishing(Publishing {
                    topics: vec![resource("t").expect("resource")],
                    ..Default::default()
                })),
                ..Default::default()
            },
        )
        .await;
        let mut stub = client.stub;
        assert_eq!(
            producer_heartbeat(&mut stub).await,
            Code::UnrecognizedClientType,
            "client type {client_type}"
        );
    }
    let mut known = producer(&broker, &["t"]).await;
    assert_eq!(producer_heartbeat(&mut known.stub).await, Code::Ok);
}

/// The code a producer's heartbeat is answered with.
async fn producer_heartbeat(stub: &mut Stub) -> Code {
    let reply = stub
        .heartbeat(HeartbeatRequest {
            group: None,
            client_type: ClientType::Producer as i32,
        })
        .await
        .expect("rpc")
        .into_inner();
    code(&reply.status)
}

#[tokio::test]
async fn a_negative_priority_is_refused_and_not_stored() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    for priority in [-1, i32::MIN] {
        let m = with_sys(message("prio", "p"), |sys| sys.priority = Some(priority));
        let reply = send(&mut stub, vec![m]).await;
        assert_eq!(code(&reply.status), Code::InternalServerError, "{priority}");
    }
    let fine = with_sys(message("prio", "p"), |sys| sys.priority = Some(0));
    assert_eq!(code(&send(&mut stub, vec![fine]).await.status), Code::Ok);
    assert_eq!(broker.messages("prio").len(), 1);
}

#[tokio::test]
async fn a_pull_of_no_messages_is_a_bad_request() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    send(&mut stub, vec![message("t", "one")]).await;
    for batch_size in [0, -1, i32::MIN] {
        let status = pull(&mut stub, batch_size, None).await;
        assert_eq!(status.code, Code::BadRequest as i32, "batch {batch_size}");
    }
    assert_eq!(pull(&mut stub, 1, None).await.code, Code::Ok as i32);
}

/// Sends raw bytes as the request frames of a gRPC method, as a broken client would.
mod raw {
    use bytes::{Buf, BufMut};
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

    #[derive(Default)]
    pub struct Bytes;

    impl Codec for Bytes {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = Bytes;
        type Decoder = Bytes;
        fn encoder(&mut self) -> Bytes {
            Bytes
        }
        fn decoder(&mut self) -> Bytes {
            Bytes
        }
    }

    impl Encoder for Bytes {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
            dst.put_slice(&item);
            Ok(())
        }
    }

    impl Decoder for Bytes {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
            let bytes = src.copy_to_bytes(src.remaining());
            Ok(Some(bytes.to_vec()))
        }
    }
}

/// Wire type 7 does not exist: no protobuf decoder accepts these bytes.
const GARBAGE: [u8; 3] = [0xff, 0xff, 0xff];

/// Calls `method` with `frame` as its one request frame; the error it ends with.
async fn raw_call(
    broker: &MiniBroker,
    method: &str,
    streaming: bool,
    frame: Vec<u8>,
) -> tonic::Status {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", broker.endpoint()))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let path = format!("/apache.rocketmq.v2.MessagingService/{method}")
        .parse()
        .expect("path");
    let mut request = tonic::Request::new(tokio_stream::iter(vec![frame]));
    request
        .metadata_mut()
        .insert("x-mq-client-id", "raw".parse().expect("ascii"));
    if streaming {
        match grpc.streaming(request, path, raw::Bytes).await {
            Err(status) => status,
            Ok(response) => {
                let mut inbound = response.into_inner();
                loop {
                    match inbound.next().await {
                        Some(Ok(_)) => continue,
                        Some(Err(status)) => break status,
                        None => panic!("{method} ended with OK after a frame it cannot decode"),
                    }
                }
            }
        }
    } else {
        grpc.client_streaming(request, path, raw::Bytes)
            .await
            .expect_err("an undecodable request fails")
    }
}

#[tokio::test]
async fn an_undecodable_frame_fails_the_call_with_unknown() {
    // UNKNOWN, as the proxy answers (grpc-java), where tonic alone would say INTERNAL.
    let broker = broker().await;
    let telemetry = raw_call(&broker, "Telemetry", true, GARBAGE.to_vec()).await;
    assert_eq!(telemetry.code(), tonic::Code::Unknown, "{telemetry:?}");
    let send = raw_call(&broker, "SendMessage", false, GARBAGE.to_vec()).await;
    assert_eq!(send.code(), tonic::Code::Unknown, "{send:?}");
    alive(&broker).await;
}

/// `request` encoded, with the first byte of `marker` (found once in the encoding) made 0xFF, a
/// byte UTF-8 never has. Only a broken encoder sends this: protobuf `string` fields must be
/// UTF-8, and the proxy (grpc-java) fails such a frame with UNKNOWN.
fn with_invalid_utf8(request: &impl prost::Message, marker: &str) -> Vec<u8> {
    let mut frame = request.encode_to_vec();
    let at = frame
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
        .expect("the marker is in the encoding");
    frame[at] = 0xff;
    frame
}

#[tokio::test]
async fn invalid_utf8_in_a_string_field_fails_the_call_with_unknown_and_stores_nothing() {
    let broker = broker().await;
    const MARK: &str = "MARKER";
    let property = |key: &str, value: &str| {
        let mut m = message("t", "refused");
        m.user_properties.insert(key.into(), value.into());
        m
    };
    let sends = [
        ("a property value", property("k", MARK)),
        ("a property key", property(MARK, "v")),
        (
            "the tag",
            with_sys(message("t", "refused"), |s| s.tag = Some(MARK.into())),
        ),
        (
            "a key",
            with_sys(message("t", "refused"), |s| s.keys = vec![MARK.into()]),
        ),
        (
            "the message group",
            with_sys(message("t", "refused"), |s| {
                s.message_group = Some(MARK.into())
            }),
        ),
        ("the topic", message(MARK, "refused")),
    ];
    for (what, m) in sends {
        let frame = with_invalid_utf8(&SendMessageRequest { messages: vec![m] }, MARK);
        let status = raw_call(&broker, "SendMessage", false, frame).await;
        assert_eq!(status.code(), tonic::Code::Unknown, "{what}: {status:?}");
    }
    let settings = consumer_settings("g", "t");
    let telemetry = with_invalid_utf8(
        &TelemetryCommand {
            status: None,
            command: Some(telemetry_command::Command::Settings(Settings {
                user_agent: Some(Ua {
                    hostname: MARK.into(),
                    ..Default::default()
                }),
                ..settings
            })),
        },
        MARK,
    );
    let status = raw_call(&broker, "Telemetry", true, telemetry).await;
    assert_eq!(status.code(), tonic::Code::Unknown, "Settings: {status:?}");
    // None of the refused sends was stored: the next message is the only one there.
    let mut consumer = consumer(&broker, "g", "t").await;
    let sent = send(&mut consumer.stub, vec![message("t", "after")]).await;
    assert_eq!(code(&sent.status), Code::Ok);
    let got = receive(&mut consumer.stub, "g", "t", 32, 30).await;
    let bodies: Vec<_> = got.messages.iter().map(|m| m.body.to_vec()).collect();
    assert_eq!(bodies, vec![b"after".to_vec()]);
    alive(&broker).await;
}
