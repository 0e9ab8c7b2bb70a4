//! One table of malformed requests over every RPC that names a topic or a group: empty,
//! oversized and control-character names, missing resources, unknown enums, negative and huge
//! durations and batch sizes, bodies over the limit, thousands of properties, deep SQL. Each
//! row gets the proxy's code, while a probe client keeps sending and receiving on the same
//! broker. (The exact texts of these codes are pinned per RPC in `status_texts/`.)

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio_stream::StreamExt;

/// Apache's longest topic name (`Validators.TOPIC_MAX_LENGTH`) and group name.
const TOPIC_MAX: usize = 127;
const GROUP_MAX: usize = 255;

/// The names a row puts in a request: the topic and the group.
#[derive(Clone)]
struct Names {
    topic: Option<Resource>,
    group: Option<Resource>,
}

fn named(topic: &str, group: &str) -> Names {
    Names {
        topic: resource(topic),
        group: resource(group),
    }
}

type Call = Box<dyn Fn(Stub, Names) -> Pin<Box<dyn Future<Output = i32> + Send>> + Send + Sync>;

fn call<F, Fut>(f: F) -> Call
where
    F: Fn(Stub, Names) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = i32> + Send + 'static,
{
    Box::new(move |stub, names| Box::pin(f(stub, names)))
}

fn status_code(status: Option<Status>) -> i32 {
    status.map_or(-1, |s| s.code)
}

fn queue(topic: Option<Resource>) -> Option<MessageQueue> {
    Some(MessageQueue {
        topic,
        id: 0,
        ..Default::default()
    })
}

/// A ReceiveMessage's status code.
async fn receive_code(mut stub: Stub, request: ReceiveMessageRequest) -> i32 {
    let mut request = tonic::Request::new(request);
    request.set_timeout(Duration::from_secs(10));
    let mut stream = match stub.receive_message(request).await {
        Ok(r) => r.into_inner(),
        Err(e) => return -(e.code() as i32),
    };
    let mut code = -1;
    while let Some(Ok(item)) = stream.next().await {
        if let Some(receive_message_response::Content::Status(s)) = item.content {
            code = s.code;
        }
    }
    code
}

fn receive_request(names: Names) -> ReceiveMessageRequest {
    ReceiveMessageRequest {
        group: names.group,
        message_queue: queue(names.topic),
        filter_expression: None,
        batch_size: 1,
        invisible_duration: secs(30),
        auto_renew: false,
        long_polling_timeout: secs(5),
        attempt_id: None,
    }
}

/// A PullMessage's status code.
async fn pull_code(mut stub: Stub, request: PullMessageRequest) -> i32 {
    let mut stream = match stub.pull_message(request).await {
        Ok(r) => r.into_inner(),
        Err(e) => return -(e.code() as i32),
    };
    let mut code = -1;
    while let Some(Ok(item)) = stream.next().await {
        if let Some(pull_message_response::Content::Status(s)) = item.content {
            code = s.code;
        }
    }
    code
}

fn pull_request(names: Names) -> PullMessageRequest {
    PullMessageRequest {
        group: names.group,
        message_queue: queue(names.topic),
        offset: 0,
        batch_size: 1,
        filter_expression: None,
        long_polling_timeout: secs(1),
    }
}

/// Every RPC that names a topic, a group or both, as `(name, takes a topic, takes a group,
/// call)`. A receipt handle and ids that do not decode are fine: the names are checked first.
fn rpcs() -> Vec<(&'static str, bool, bool, Call)> {
    vec![
        (
            "QueryRoute",
            true,
            false,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .query_route(QueryRouteRequest {
                        topic: n.topic,
                        endpoints: None,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "QueryAssignment",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .query_assignment(QueryAssignmentRequest {
                        topic: n.topic,
                        group: n.group,
                        endpoints: None,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "SendMessage",
            true,
            false,
            call(|mut stub, n: Names| async move {
                let mut m = message("t", "x");
                m.topic = n.topic;
                let r = stub
                    .send_message(SendMessageRequest { messages: vec![m] })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "ReceiveMessage",
            true,
            true,
            call(|stub, n: Names| receive_code(stub, receive_request(n))),
        ),
        (
            "AckMessage",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .ack_message(AckMessageRequest {
                        group: n.group,
                        topic: n.topic,
                        entries: vec![AckMessageEntry {
                            message_id: "id".into(),
                            receipt_handle: "handle".into(),
                            lite_topic: None,
                        }],
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "ChangeInvisibleDuration",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .change_invisible_duration(ChangeInvisibleDurationRequest {
                        group: n.group,
                        topic: n.topic,
                        receipt_handle: "handle".into(),
                        invisible_duration: secs(30),
                        message_id: "id".into(),
                        lite_topic: None,
                        suspend: None,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "ForwardMessageToDeadLetterQueue",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .forward_message_to_dead_letter_queue(ForwardMessageToDeadLetterQueueRequest {
                        group: n.group,
                        topic: n.topic,
                        receipt_handle: "handle".into(),
                        message_id: "id".into(),
                        delivery_attempt: 1,
                        max_delivery_attempts: 16,
                        lite_topic: None,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "EndTransaction",
            true,
            false,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .end_transaction(EndTransactionRequest {
                        topic: n.topic,
                        message_id: "id".into(),
                        transaction_id: "tx".into(),
                        resolution: TransactionResolution::Commit as i32,
                        source: TransactionSource::SourceClient as i32,
                        trace_context: String::new(),
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "Heartbeat",
            false,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .heartbeat(HeartbeatRequest {
                        group: n.group,
                        client_type: ClientType::SimpleConsumer as i32,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "NotifyClientTermination",
            false,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .notify_client_termination(NotifyClientTerminationRequest { group: n.group })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "PullMessage",
            true,
            true,
            call(|stub, n: Names| pull_code(stub, pull_request(n))),
        ),
        (
            "GetOffset",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .get_offset(GetOffsetRequest {
                        group: n.group,
                        message_queue: queue(n.topic),
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "UpdateOffset",
            true,
            true,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .update_offset(UpdateOffsetRequest {
                        group: n.group,
                        message_queue: queue(n.topic),
                        offset: 0,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
        (
            "QueryOffset",
            true,
            false,
            call(|mut stub, n: Names| async move {
                let r = stub
                    .query_offset(QueryOffsetRequest {
                        message_queue: queue(n.topic),
                        query_offset_policy: QueryOffsetPolicy::Beginning as i32,
                        timestamp: None,
                    })
                    .await;
                r.map_or_else(|e| -(e.code() as i32), |r| status_code(r.into_inner().status))
            }),
        ),
    ]
}

/// `call` from a client with an open session (Settings of a simple consumer of `t` in `g`),
/// as RPCs that need one are checked after it.
async fn session_call(broker: &MiniBroker, call: &Call, names: Names) -> i32 {
    let Client {
        stub,
        commands,
        inbound,
        ..
    } = consumer(broker, "g", "t").await;
    let code = call(stub, names).await;
    drop((commands, inbound));
    code
}

/// Keeps sending and receiving on its own topic until told to stop; counts round trips and
/// records any failure.
async fn probe(broker: &MiniBroker, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    let mut client = consumer(broker, "probe-group", "probe").await;
    tokio::spawn(async move {
        let stub = &mut client.stub;
        let rounds = AtomicUsize::new(0);
        while !stop.load(Ordering::SeqCst) {
            let sent = send(stub, vec![message("probe", "p")]).await;
            assert_eq!(code(&sent.status), Code::Ok, "the probe's send");
            let got = receive(stub, "probe-group", "probe", 1, 30).await;
            assert_eq!(got.messages.len(), 1, "the probe's receive");
            let acked = ack(stub, "probe-group", "probe", &got.messages[0]).await;
            assert_eq!(code(&acked.status), Code::Ok, "the probe's ack");
            rounds.fetch_add(1, Ordering::SeqCst);
        }
        rounds.into_inner()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_refuses_malformed_names_with_the_proxy_code_while_others_are_served() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .topic(TopicConfig::new("probe", TopicType::Normal).queues(1))
        .start()
        .await
        .expect("start");
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&broker, stop.clone()).await;
    let topic_code = Code::IllegalTopic as i32;
    let group_code = Code::IllegalConsumerGroup as i32;
    let bad_names: Vec<(&str, Option<Resource>)> = vec![
        ("missing", None),
        ("empty", resource("")),
        ("blank", resource("   ")),
        ("too long", resource(&"n".repeat(GROUP_MAX + 1))),
        ("control character", resource("a\u{1}b")),
        ("newline", resource("a\nb")),
        ("space", resource("a b")),
        ("non-ASCII", resource("thé")),
    ];
    let mut failures = Vec::new();
    for (rpc, takes_topic, takes_group, call) in rpcs() {
        for (what, name) in &bad_names {
            if takes_topic {
                let names = Names {
                    topic: name.clone(),
                    ..named("t", "g")
                };
                let got = session_call(&broker, &call, names).await;
                if got != topic_code {
                    failures.push(format!("{rpc}, topic {what}: {got}, want {topic_code}"));
                }
            }
            if takes_group {
                let names = Names {
                    group: name.clone(),
                    ..named("t", "g")
                };
                let got = session_call(&broker, &call, names).await;
                if got != group_code {
                    failures.push(format!("{rpc}, group {what}: {got}, want {group_code}"));
                }
            }
        }
        if takes_topic {
            let names = Names {
                topic: resource(&"t".repeat(TOPIC_MAX + 1)),
                ..named("t", "g")
            };
            let got = session_call(&broker, &call, names).await;
            if got != topic_code {
                failures.push(format!("{rpc}, topic of 128: {got}, want {topic_code}"));
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let rounds = prober.await.expect("the probe never failed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rounds > 0, "the probe was served meanwhile");
}
