//! One table of malformed requests over every RPC that names a topic or a group: empty,
//! oversized and control-character names, missing resources, unknown enums, negative and huge
//! durations and batch sizes, bodies over the limit, thousands of properties, deep SQL. Each
//! row gets the proxy's code, while a probe client keeps sending and receiving on the same
//! broker. (The exact texts of these codes are pinned per RPC in `status_texts/`.)

mod common;

#[path = "hostile_table/calls.rs"]
mod calls;

use calls::*;
use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Apache's longest topic name (`Validators.TOPIC_MAX_LENGTH`) and group name.
const TOPIC_MAX: usize = 127;
const GROUP_MAX: usize = 255;

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

/// A broker with topics `t` and `probe`, and a probe client at work on it.
async fn probed_broker() -> (MiniBroker, Probing) {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .topic(TopicConfig::new("probe", TopicType::Normal).queues(1))
        .start()
        .await
        .expect("start");
    let stop = Arc::new(AtomicBool::new(false));
    let task = probe(&broker, stop.clone()).await;
    (broker, Probing { stop, task })
}

struct Probing {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<usize>,
}

impl Probing {
    /// Stops the probe; fails on the table's failures, or if the probe failed or never got a
    /// round trip through.
    async fn finish(self, failures: Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let rounds = self.task.await.expect("the probe never failed");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(rounds > 0, "the probe was served meanwhile");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_refuses_malformed_names_with_the_proxy_code_while_others_are_served() {
    let (broker, probing) = probed_broker().await;
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
    let too_long_topic = [("of 128", resource(&"t".repeat(TOPIC_MAX + 1)))];
    let mut failures = Vec::new();
    for (rpc, takes_topic, takes_group, call) in rpcs() {
        let mut rows = Vec::new();
        if takes_topic {
            for (what, name) in bad_names.iter().chain(&too_long_topic) {
                let names = Names {
                    topic: name.clone(),
                    ..named("t", "g")
                };
                rows.push((format!("topic {what}"), names, topic_code));
            }
        }
        if takes_group {
            for (what, name) in &bad_names {
                let names = Names {
                    group: name.clone(),
                    ..named("t", "g")
                };
                rows.push((format!("group {what}"), names, group_code));
            }
        }
        for (what, names, want) in rows {
            let got = session_call(&broker, &call, names).await;
            if got != want {
                failures.push(format!("{rpc}, {what}: {got}, want {want}"));
            }
        }
    }
    probing.finish(failures).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_refuses_malformed_fields_with_the_proxy_code_while_others_are_served() {
    let (broker, probing) = probed_broker().await;
    let nested = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
    let rows: Vec<(&str, Call, Code)> = vec![
        (
            "ReceiveMessage, negative invisible duration",
            receive_with_fields(|r| r.invisible_duration = secs(-30)),
            Code::IllegalInvisibleTime,
        ),
        (
            "ReceiveMessage, invisible duration of a year",
            receive_with_fields(|r| r.invisible_duration = secs(365 * 86_400)),
            Code::IllegalInvisibleTime,
        ),
        (
            "ReceiveMessage, no invisible duration",
            receive_with_fields(|r| r.invisible_duration = None),
            Code::IllegalInvisibleTime,
        ),
        (
            "ReceiveMessage, SQL nested 10000 deep",
            receive_with_fields(move |r| r.filter_expression = sql(nested.clone())),
            Code::IllegalFilterExpression,
        ),
        (
            "ReceiveMessage, SQL filter of 1 MiB",
            receive_with_fields(|r| {
                r.filter_expression = sql(format!("a = '{}'", "x".repeat(1 << 20)));
            }),
            Code::IllegalFilterExpression,
        ),
        (
            "ChangeInvisibleDuration, negative duration",
            call(|stub, n: Names| change_invisible_code(stub, n, -1)),
            Code::IllegalInvisibleTime,
        ),
        (
            "PullMessage, batch size 0",
            call(|stub, n: Names| {
                let mut request = pull_request(n);
                request.batch_size = 0;
                pull_code(stub, request)
            }),
            Code::BadRequest,
        ),
        (
            "PullMessage, negative batch size",
            call(|stub, n: Names| {
                let mut request = pull_request(n);
                request.batch_size = i32::MIN;
                pull_code(stub, request)
            }),
            Code::BadRequest,
        ),
        (
            "QueryOffset, unknown policy",
            call(|mut stub, n: Names| async move {
                answer(
                    stub.query_offset(QueryOffsetRequest {
                        message_queue: queue(n.topic),
                        query_offset_policy: 99,
                        timestamp: None,
                    })
                    .await,
                )
            }),
            Code::BadRequest,
        ),
        (
            "SendMessage, body over 4 MiB",
            send_with(|m| m.body = vec![b'x'; (4 << 20) + 1].into()),
            Code::MessageBodyTooLarge,
        ),
        (
            "SendMessage, empty body",
            send_with(|m| m.body = Default::default()),
            Code::MessageBodyEmpty,
        ),
        (
            "SendMessage, 5000 properties",
            send_with(|m| m.user_properties = properties(5000)),
            Code::MessagePropertiesTooLarge,
        ),
        (
            "SendMessage, control character in a property value",
            send_with(|m| m.user_properties = [("k".into(), "v\u{0}".into())].into()),
            Code::IllegalMessagePropertyKey,
        ),
        (
            "SendMessage, control character in a tag",
            send_with(|m| {
                if let Some(s) = m.system_properties.as_mut() {
                    s.tag = Some("t\u{7}".into());
                }
            }),
            Code::IllegalMessageTag,
        ),
        (
            "SendMessage, message group over 64 bytes",
            send_with(|m| {
                if let Some(s) = m.system_properties.as_mut() {
                    s.message_group = Some("g".repeat(65));
                }
            }),
            Code::IllegalMessageGroup,
        ),
        (
            "SendMessage, delivery a year ahead",
            send_with(|m| {
                if let Some(s) = m.system_properties.as_mut() {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock");
                    s.delivery_timestamp = Some(prost_types::Timestamp {
                        seconds: i64::try_from(now.as_secs()).expect("secs") + 365 * 86_400,
                        nanos: 0,
                    });
                }
            }),
            Code::IllegalDeliveryTime,
        ),
        (
            "SendMessage, no system properties",
            send_with(|m| m.system_properties = None),
            Code::IllegalMessageId,
        ),
    ];
    let mut failures = Vec::new();
    for (what, call, expected) in &rows {
        let got = session_call(&broker, call, named("t", "g")).await;
        if got != *expected as i32 {
            failures.push(format!("{what}: {got}, want {}", *expected as i32));
        }
    }
    probing.finish(failures).await;
}
