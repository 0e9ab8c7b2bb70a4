//! Entry points for the fuzz targets in `fuzz/` and for the replay of their corpus in
//! `tests/fuzz_corpus.rs` (feature `fuzzing`; not an API). Each takes arbitrary bytes and may
//! only return: a panic, a hang or unbounded memory is what the fuzzer looks for.

use crate::broker::recover_engine;
use crate::engine::EngineConfig;
use crate::filter::Filter;
use crate::metadata::{GroupConfig, LiteGroup, Metadata, TopicConfig, TopicType};
use crate::remoting::{Admin, Frame};
use crate::service::Service;
use crate::store::StoredMessage;
use crate::store::journal::record::frame;
use crate::store::journal::{Entry, snapshot};
use crate::{MiniBroker, recall, receipt};
use bytes::Bytes;
use prost::Message as _;
use rmq_proto::headers;
use rmq_proto::v2::messaging_service_server::MessagingService;
use rmq_proto::v2::*;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_stream::StreamExt;

/// A filter expression (first byte: tag or SQL92) compiled as a subscription would be, and
/// matched against a few messages.
pub fn filter(input: &[u8]) {
    let Some((&kind, text)) = input.split_first() else {
        return;
    };
    let Ok(expression) = std::str::from_utf8(text) else {
        return;
    };
    let expression = FilterExpression {
        r#type: i32::from(kind % 4),
        expression: expression.to_owned(),
    };
    for compile in [Filter::compile, Filter::compile_recorded] {
        if let Ok(filter) = compile(Some(&expression)) {
            for message in sample_messages() {
                filter.matches(&message);
            }
        }
    }
}

fn sample_messages() -> [StoredMessage; 3] {
    let message = |tag: Option<&str>, props: &[(&str, &str)]| StoredMessage {
        topic: "t".into(),
        queue_id: 0,
        offset: 0,
        message_id: "01".into(),
        tag: tag.map(str::to_owned),
        keys: vec!["k".into()],
        message_group: None,
        user_properties: props
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: Bytes::from_static(b"b"),
        body_encoding: 0,
        message_type: MessageType::Normal,
        born_timestamp: 0,
        born_host: String::new(),
        store_timestamp: 0,
        delivery_timestamp: Some(5),
        trace_context: None,
        priority: None,
        dead_letter: None,
        transaction_id: None,
        lite_topic: None,
    };
    [
        message(None, &[]),
        message(Some("TagA"), &[("a", "1"), ("b", "x"), ("c", "-3.5")]),
        message(
            Some("*"),
            &[("a", "9223372036854775807"), ("b", ""), ("c", "NaN")],
        ),
    ]
}

/// Receipt and recall handles as clients send them back: what decodes re-encodes to itself.
pub fn handles(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    if let Some(handle) = receipt::ReceiptHandle::decode(text) {
        let again = receipt::ReceiptHandle::decode(&handle.encode());
        assert_eq!(
            again.as_ref(),
            Some(&handle),
            "a receipt handle round-trips"
        );
        handle.expired(0);
        handle.expired(i64::MAX);
    }
    if let Some(recall) = recall::decode(text) {
        let encoded = recall::encode(&recall.topic, &recall.broker, 0, &recall.message_id);
        let again = recall::decode(&encoded).expect("an encoded recall handle decodes");
        assert_eq!(
            (again.topic, again.broker, again.message_id),
            (recall.topic, recall.broker, recall.message_id)
        );
    }
}

/// A data directory made of the input, recovered and replayed as a start would: the first
/// byte picks a raw segment (torn, corrupt, anything), a snapshot file, or well-framed
/// records whose payloads are the input's `\n`-separated pieces (so the fuzzer reaches the
/// entry decoder and the replay of arbitrary entries, not just the CRC check).
pub fn journal(input: &[u8]) {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let dir = scratch_dir();
    let segments = dir.join("commitlog");
    std::fs::create_dir_all(&segments).expect("scratch dir");
    let segment = segments.join(format!("{:020}.log", 0));
    match mode % 3 {
        0 => std::fs::write(&segment, rest),
        1 => std::fs::write(snapshot::path(&dir), rest),
        _ => {
            let mut framed = Vec::new();
            for piece in rest.split(|b| *b == b'\n') {
                if let Ok(entry) = Entry::decode(piece) {
                    frame(&entry, &mut framed);
                }
            }
            std::fs::write(&segment, framed)
        }
    }
    .expect("write the scratch journal");
    let config = EngineConfig {
        broker_name: "fuzz".into(),
        transaction_check_delay: 1_000,
        transaction_check_interval: 1_000,
        transaction_check_max: 3,
    };
    if let Ok((mut engine, _, _)) = recover_engine(&dir, &config, Metadata::default) {
        // Fire whatever the recovered state has due: timers, leases, transaction checks.
        let _ = engine.tick(i64::MAX / 2);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory per call: corpus tests replay journals on several threads of one process.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rmq-fuzz-journal-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One broker for every request of a run, with a topic of each type and a few groups.
struct Target {
    runtime: tokio::runtime::Runtime,
    broker: MiniBroker,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let broker = runtime
            .block_on(
                MiniBroker::builder()
                    .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
                    .topic(TopicConfig::new("f", TopicType::Fifo).queues(2))
                    .topic(TopicConfig::new("d", TopicType::Delay))
                    .topic(TopicConfig::new("x", TopicType::Transaction))
                    .topic(TopicConfig::new("p", TopicType::Priority))
                    .topic(TopicConfig::new("l", TopicType::Lite))
                    .group(GroupConfig::new("g"))
                    .group(GroupConfig::new("gf").fifo(true))
                    .group(GroupConfig::new("gl").lite(LiteGroup::new("l")))
                    .start(),
            )
            .expect("broker");
        Target { runtime, broker }
    })
}

/// Every unary and server-streaming RPC of the service and a Telemetry command, by the first
/// byte; the rest is the request message. Calls go straight to the service (no socket), with a client id header
/// unless the selector's high bit says otherwise; a call still running after 100 ms (a long
/// poll) is dropped, as a client going away would.
pub fn request(input: &[u8]) {
    let Some((&selector, body)) = input.split_first() else {
        return;
    };
    let target = target();
    let service = Service {
        core: target.broker.core.clone(),
    };
    let with_client = selector & 0x80 == 0;
    let call = async move {
        macro_rules! unary {
            ($method:ident, $ty:ty) => {{
                let Ok(message) = <$ty>::decode(body) else {
                    return;
                };
                let _ = service.$method(wrap(message, with_client)).await;
            }};
        }
        macro_rules! streaming {
            ($method:ident, $ty:ty) => {{
                let Ok(message) = <$ty>::decode(body) else {
                    return;
                };
                if let Ok(response) = service.$method(wrap(message, with_client)).await {
                    let mut stream = response.into_inner();
                    while stream.next().await.is_some() {}
                }
            }};
        }
        match selector & 0x7f {
            0 => unary!(query_route, QueryRouteRequest),
            1 => unary!(heartbeat, HeartbeatRequest),
            2 => unary!(send_message, SendMessageRequest),
            3 => unary!(query_assignment, QueryAssignmentRequest),
            4 => streaming!(receive_message, ReceiveMessageRequest),
            5 => unary!(ack_message, AckMessageRequest),
            6 => unary!(
                forward_message_to_dead_letter_queue,
                ForwardMessageToDeadLetterQueueRequest
            ),
            7 => streaming!(pull_message, PullMessageRequest),
            8 => unary!(update_offset, UpdateOffsetRequest),
            9 => unary!(get_offset, GetOffsetRequest),
            10 => unary!(query_offset, QueryOffsetRequest),
            11 => unary!(end_transaction, EndTransactionRequest),
            12 => unary!(notify_client_termination, NotifyClientTerminationRequest),
            13 => unary!(change_invisible_duration, ChangeInvisibleDurationRequest),
            14 => unary!(recall_message, RecallMessageRequest),
            15 => unary!(sync_lite_subscription, SyncLiteSubscriptionRequest),
            // One command of a Telemetry stream (Settings of any shape, verification results);
            // the session it opens lives on for the inputs after it.
            16 => {
                let Ok(command) = TelemetryCommand::decode(body) else {
                    return;
                };
                let (tx, mut rx) = tokio::sync::mpsc::channel(4);
                let stream_id = target.broker.core.stream_id();
                let _ = service
                    .telemetry_command("fuzz-client", stream_id, command, &tx)
                    .await;
                drop(tx);
                while rx.recv().await.is_some() {}
            }
            _ => {
                let core = target.broker.core.clone();
                let _ = Admin::answer_bytes(core, Bytes::copy_from_slice(body)).await;
            }
        }
    };
    target.runtime.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(100), call).await;
    });
}

fn wrap<T>(message: T, with_client: bool) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if with_client {
        request
            .metadata_mut()
            .insert(headers::CLIENT_ID, "fuzz-client".parse().expect("ascii"));
    }
    request
}

/// Remoting frames (the admin port's protocol): what decodes encodes and decodes again.
pub fn remoting_frame(input: &[u8]) {
    if let Ok(frame) = Frame::decode(Bytes::copy_from_slice(input)) {
        let encoded = frame.encode();
        // The encoding starts with the total length, which a read of the socket strips.
        if let Some(rest) = encoded.get(4..) {
            Frame::decode(Bytes::copy_from_slice(rest)).expect("an encoded frame decodes");
        }
    }
}

/// Starting inputs of a target (`request`, `journal`) that the fuzzer would take long to
/// find: well-formed protobuf.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "request" => request_seeds(),
        "journal" => journal_seeds(),
        _ => Vec::new(),
    }
}

fn journal_seeds() -> Vec<Vec<u8>> {
    use crate::store::journal::{JGroup, JTopic, Op, Place};
    let entries = [
        Op::from(JTopic::from(&TopicConfig::new("t", TopicType::Normal))),
        Op::from(JGroup::from(&GroupConfig::new("g").fifo(true))),
        Op::from(Place {
            message: Some(Box::new(sample_messages()[1].clone().into())),
            queue: 0,
            half: false,
        }),
    ]
    .map(|op| Entry {
        now: 1_000,
        op: Some(op),
    });
    let mut segment = vec![0u8];
    let mut pieces = vec![2u8];
    for entry in &entries {
        frame(entry, &mut segment);
        pieces.extend(entry.encode_to_vec());
        pieces.push(b'\n');
    }
    vec![segment, pieces]
}

/// Encoded valid requests, one per RPC, for the `request` target's starting corpus.
fn request_seeds() -> Vec<Vec<u8>> {
    let resource = |name: &str| {
        Some(Resource {
            name: name.into(),
            resource_namespace: String::new(),
        })
    };
    let queue = |topic: &str| {
        Some(MessageQueue {
            topic: resource(topic),
            id: 0,
            permission: Permission::ReadWrite as i32,
            broker: None,
            accept_message_types: vec![],
        })
    };
    let message = |topic: &str| Message {
        topic: resource(topic),
        user_properties: [("a".to_owned(), "1".to_owned())].into(),
        system_properties: Some(SystemProperties {
            message_id: "0000000000000000000000000001".into(),
            body_encoding: Encoding::Identity as i32,
            message_type: MessageType::Normal as i32,
            tag: Some("TagA".into()),
            ..Default::default()
        }),
        body: Bytes::from_static(b"hello"),
    };
    let filter = Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression: "a = 1".into(),
    });
    let duration = Some(prost_types::Duration {
        seconds: 1,
        nanos: 0,
    });
    let seeds: Vec<(u8, Vec<u8>)> = vec![
        (
            0,
            QueryRouteRequest {
                topic: resource("t"),
                endpoints: None,
            }
            .encode_to_vec(),
        ),
        (
            1,
            HeartbeatRequest {
                group: resource("g"),
                client_type: ClientType::PushConsumer as i32,
            }
            .encode_to_vec(),
        ),
        (
            2,
            SendMessageRequest {
                messages: vec![message("t")],
            }
            .encode_to_vec(),
        ),
        (
            3,
            QueryAssignmentRequest {
                topic: resource("t"),
                group: resource("g"),
                endpoints: None,
            }
            .encode_to_vec(),
        ),
        (
            4,
            ReceiveMessageRequest {
                group: resource("g"),
                message_queue: queue("t"),
                filter_expression: filter.clone(),
                batch_size: 4,
                invisible_duration: duration,
                auto_renew: false,
                long_polling_timeout: duration,
                attempt_id: None,
            }
            .encode_to_vec(),
        ),
        (
            5,
            AckMessageRequest {
                group: resource("g"),
                topic: resource("t"),
                entries: vec![AckMessageEntry {
                    message_id: "01".into(),
                    receipt_handle: "x".into(),
                    lite_topic: None,
                }],
            }
            .encode_to_vec(),
        ),
        (
            7,
            PullMessageRequest {
                group: resource("g"),
                message_queue: queue("t"),
                offset: 0,
                batch_size: 4,
                filter_expression: filter.clone(),
                long_polling_timeout: None,
            }
            .encode_to_vec(),
        ),
        (
            11,
            EndTransactionRequest {
                topic: resource("x"),
                message_id: "01".into(),
                transaction_id: "tx".into(),
                resolution: TransactionResolution::Commit as i32,
                source: TransactionSource::SourceClient as i32,
                trace_context: String::new(),
            }
            .encode_to_vec(),
        ),
        (
            13,
            ChangeInvisibleDurationRequest {
                group: resource("g"),
                topic: resource("t"),
                receipt_handle: "x".into(),
                invisible_duration: duration,
                message_id: "01".into(),
                lite_topic: None,
                suspend: None,
            }
            .encode_to_vec(),
        ),
        (
            16,
            TelemetryCommand {
                status: None,
                command: Some(telemetry_command::Command::Settings(Settings {
                    client_type: Some(ClientType::Producer as i32),
                    request_timeout: duration,
                    pub_sub: Some(settings::PubSub::Publishing(Publishing {
                        topics: vec![resource("t").unwrap_or_default()],
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
            }
            .encode_to_vec(),
        ),
        (
            16,
            TelemetryCommand {
                status: None,
                command: Some(telemetry_command::Command::Settings(Settings {
                    client_type: Some(ClientType::SimpleConsumer as i32),
                    request_timeout: duration,
                    pub_sub: Some(settings::PubSub::Subscription(Subscription {
                        group: resource("g"),
                        subscriptions: vec![SubscriptionEntry {
                            topic: resource("t"),
                            expression: filter,
                        }],
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
            }
            .encode_to_vec(),
        ),
    ];
    seeds
        .into_iter()
        .map(|(selector, body)| [vec![selector], body].concat())
        .collect()
}
