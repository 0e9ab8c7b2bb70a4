//! Routes, sends, validation codes, fault injection and the pull RPCs, driven through raw
//! gRPC stubs (authentication and TLS: `security.rs`).

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, Rpc, TopicConfig, TopicType};
use rmq_proto::v2::*;

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("normal", TopicType::Normal).queues(4))
        .topic(TopicConfig::new("fifo", TopicType::Fifo))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .start()
        .await
        .expect("start")
}

#[tokio::test]
async fn route_lists_queues_with_the_topic_type() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    let route = stub
        .query_route(QueryRouteRequest {
            topic: resource("normal"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&route.status), Code::Ok);
    assert_eq!(route.message_queues.len(), 4);
    for (i, q) in route.message_queues.iter().enumerate() {
        assert_eq!(q.id, i as i32);
        assert_eq!(q.permission, Permission::ReadWrite as i32);
        assert_eq!(q.accept_message_types, vec![MessageType::Normal as i32]);
        let b = q.broker.as_ref().expect("broker");
        assert_eq!(b.id, 0);
        let address = &b.endpoints.as_ref().expect("endpoints").addresses[0];
        assert_eq!(
            format!("{}:{}", address.host, address.port),
            broker.endpoint()
        );
    }
    let auto = stub
        .query_route(QueryRouteRequest {
            topic: resource("auto-created"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&auto.status), Code::Ok);
    assert_eq!(
        auto.message_queues[0].accept_message_types.len(),
        4,
        "auto topics accept every type"
    );
}

#[tokio::test]
async fn strict_mode_refuses_unknown_topics_and_groups() {
    let broker = MiniBroker::builder()
        .strict(true)
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    let route = stub
        .query_route(QueryRouteRequest {
            topic: resource("missing"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&route.status), Code::TopicNotFound);
    // As on Apache: the type check comes first, and a missing topic has no type.
    let sent = send(&mut stub, vec![message("missing", "x")]).await;
    assert_eq!(code(&sent.status), Code::MessagePropertyConflictWithType);
    broker.create_topic(TopicConfig::new("t", TopicType::Normal));
    let assignment = stub
        .query_assignment(QueryAssignmentRequest {
            topic: resource("t"),
            group: resource("g"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&assignment.status), Code::ConsumerGroupNotFound);
}

#[tokio::test]
async fn client_id_header_is_required() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, None).await;
    let route = stub
        .query_route(QueryRouteRequest {
            topic: resource("normal"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&route.status), Code::ClientIdRequired);
    let sent = send(&mut stub, vec![message("normal", "x")]).await;
    assert_eq!(code(&sent.status), Code::ClientIdRequired);
    assert_eq!(sent.entries.len(), 1);
    assert!(broker.messages("normal").is_empty());
}

#[tokio::test]
async fn send_returns_one_entry_per_message_and_stores_them() {
    let broker = broker().await;
    let mut client = producer(&broker, &["normal"]).await;
    let batch: Vec<Message> = (0..5)
        .map(|i| message("normal", &format!("m{i}")))
        .collect();
    let ids: Vec<String> = batch.iter().map(id).collect();
    let sent = send(&mut client.stub, batch).await;
    assert_eq!(code(&sent.status), Code::Ok);
    assert_eq!(
        sent.entries
            .iter()
            .map(|e| e.message_id.clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(sent.entries.iter().all(|e| code(&e.status) == Code::Ok));
    let stored = broker.messages("normal");
    assert_eq!(stored.len(), 5);
    let mut bodies: Vec<String> = stored
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn producer_settings_carry_what_official_clients_need() {
    let broker = broker().await;
    let client = producer(&broker, &["normal"]).await;
    let policy = client.settings.backoff_policy.expect("backoff policy");
    assert_eq!(policy.max_attempts, 3);
    assert!(matches!(
        policy.strategy,
        Some(retry_policy::Strategy::ExponentialBackoff(_))
    ));
    let Some(settings::PubSub::Publishing(p)) = client.settings.pub_sub else {
        panic!("publishing")
    };
    assert_eq!(p.max_body_size, 4 * 1024 * 1024);
    assert!(p.validate_message_type);
}

#[tokio::test]
async fn settings_without_pub_sub_end_the_stream_with_invalid_argument() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some("c-bad".into())).await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(Settings::default())),
    })
    .await
    .expect("queue");
    let mut inbound = stub
        .telemetry(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("rpc")
        .into_inner();
    let error = inbound.message().await.expect_err("stream error");
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn invalid_messages_get_the_proxy_codes_and_store_nothing() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    let cases: Vec<(Message, Code)> = vec![
        (message("bad topic!", "x"), Code::IllegalTopic),
        (message("normal", ""), Code::MessageBodyEmpty),
        (
            Message {
                body: vec![0; 4 * 1024 * 1024 + 1].into(),
                ..message("normal", "")
            },
            Code::MessageBodyTooLarge,
        ),
        (
            with_sys(message("normal", "x"), |s| {
                s.message_group = Some("g".into())
            }),
            Code::MessagePropertyConflictWithType,
        ),
        (
            with_sys(message("fifo", "x"), |s| {
                s.message_group = Some("g".repeat(64))
            }),
            Code::IllegalMessageGroup,
        ),
        (
            with_sys(message("normal", "x"), |s| s.tag = Some("a|b".into())),
            Code::IllegalMessageTag,
        ),
        (
            with_sys(message("normal", "x"), |s| s.message_id = String::new()),
            Code::IllegalMessageId,
        ),
        (
            Message {
                user_properties: [("UNIQ_KEY".to_string(), "x".to_string())].into(),
                ..message("normal", "x")
            },
            Code::IllegalMessagePropertyKey,
        ),
        (
            with_sys(message("delay", "x"), |s| {
                s.delivery_timestamp = Some(prost_types::Timestamp {
                    seconds: 4_000_000_000,
                    nanos: 0,
                })
            }),
            Code::IllegalDeliveryTime,
        ),
    ];
    for (m, expected) in cases {
        let sent = send(&mut stub, vec![m]).await;
        assert_eq!(code(&sent.status), expected);
        assert_eq!(sent.entries.len(), 1);
        assert_eq!(code(&sent.entries[0].status), expected);
    }
    let mixed = send(
        &mut stub,
        vec![message("normal", "a"), message("fifo", "b")],
    )
    .await;
    assert_eq!(code(&mixed.status), Code::MessageCorrupted);
    let empty = send(&mut stub, vec![]).await;
    assert_eq!(code(&empty.status), Code::MessageCorrupted);
    assert!(broker.messages("normal").is_empty());
    assert!(broker.messages("fifo").is_empty());
}

#[tokio::test]
async fn fault_injection_fails_counts_down_and_drops_responses() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    broker.fail_rpc(Rpc::SendMessage, Code::TooManyRequests, Some(2));
    for _ in 0..2 {
        let sent = send(&mut stub, vec![message("normal", "x")]).await;
        assert_eq!(code(&sent.status), Code::TooManyRequests);
    }
    assert_eq!(
        code(&send(&mut stub, vec![message("normal", "x")]).await.status),
        Code::Ok
    );
    broker.drop_responses(Rpc::SendMessage, 1);
    let lost = stub
        .send_message(SendMessageRequest {
            messages: vec![message("normal", "y")],
        })
        .await;
    assert_eq!(lost.expect_err("dropped").code(), tonic::Code::Unavailable);
    assert_eq!(
        broker.messages("normal").len(),
        2,
        "the dropped send still took effect"
    );
}

#[tokio::test]
async fn pushed_errors_answer_the_coming_calls_in_order_before_a_standing_fault() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    broker.push_rpc_errors(Rpc::SendMessage, &[Code::TooManyRequests, Code::Forbidden]);
    let mut next = async || code(&send(&mut stub, vec![message("normal", "x")]).await.status);
    assert_eq!(next().await, Code::TooManyRequests);
    assert_eq!(next().await, Code::Forbidden);
    assert_eq!(next().await, Code::Ok);
    broker.fail_rpc(Rpc::SendMessage, Code::InternalServerError, None);
    broker.push_rpc_errors(Rpc::SendMessage, &[Code::BadRequest]);
    assert_eq!(next().await, Code::BadRequest);
    assert_eq!(next().await, Code::InternalServerError);
    assert_eq!(next().await, Code::InternalServerError);
    broker.clear_faults();
    assert_eq!(next().await, Code::Ok);
    assert_eq!(broker.rpc_calls(Rpc::SendMessage), 7);
    assert_eq!(broker.messages("normal").len(), 2);
}

#[tokio::test]
async fn pull_reads_by_offset_and_tracks_committed_offsets() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("p", TopicType::Normal).queues(1))
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    send(
        &mut stub,
        (0..3).map(|i| message("p", &format!("{i}"))).collect(),
    )
    .await;
    let queue = Some(MessageQueue {
        topic: resource("p"),
        id: 0,
        ..Default::default()
    });
    let mut stream = stub
        .pull_message(PullMessageRequest {
            group: resource("g"),
            message_queue: queue.clone(),
            offset: 1,
            batch_size: 10,
            filter_expression: None,
            long_polling_timeout: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    let mut bodies = Vec::new();
    let mut next = None;
    while let Some(item) = stream.message().await.expect("item") {
        match item.content.expect("content") {
            pull_message_response::Content::Status(s) => assert_eq!(s.code, Code::Ok as i32),
            pull_message_response::Content::Message(m) => {
                bodies.push(String::from_utf8(m.body.to_vec()).expect("utf8"))
            }
            pull_message_response::Content::NextOffset(n) => next = Some(n),
        }
    }
    assert_eq!(bodies, ["1", "2"]);
    assert_eq!(next, Some(3));

    let missing = stub
        .get_offset(GetOffsetRequest {
            group: resource("g"),
            message_queue: queue.clone(),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&missing.status), Code::OffsetNotFound);
    let updated = stub
        .update_offset(UpdateOffsetRequest {
            group: resource("g"),
            message_queue: queue.clone(),
            offset: 3,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&updated.status), Code::Ok);
    let got = stub
        .get_offset(GetOffsetRequest {
            group: resource("g"),
            message_queue: queue.clone(),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(got.offset, 3);
    let end = stub
        .query_offset(QueryOffsetRequest {
            message_queue: queue.clone(),
            query_offset_policy: QueryOffsetPolicy::End as i32,
            timestamp: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(end.offset, 3);
    let beyond = stub
        .update_offset(UpdateOffsetRequest {
            group: resource("g"),
            message_queue: queue,
            offset: 9,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&beyond.status), Code::IllegalOffset);
}
