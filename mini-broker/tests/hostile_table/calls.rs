//! The calls the table tests make: every RPC that names a topic or a group, with the names
//! (or fields) a row gives, reduced to the status code it answers with (a gRPC error as its
//! negated code).

use super::common::*;
use rmq_proto::v2::*;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio_stream::StreamExt;

/// The names a row puts in a request: the topic and the group.
#[derive(Clone)]
pub struct Names {
    pub topic: Option<Resource>,
    pub group: Option<Resource>,
}

pub fn named(topic: &str, group: &str) -> Names {
    Names {
        topic: resource(topic),
        group: resource(group),
    }
}

pub type Call = Box<dyn Fn(Stub, Names) -> Pin<Box<dyn Future<Output = i32> + Send>> + Send + Sync>;

pub fn call<F, Fut>(f: F) -> Call
where
    F: Fn(Stub, Names) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = i32> + Send + 'static,
{
    Box::new(move |stub, names| Box::pin(f(stub, names)))
}

pub fn status_code(status: Option<Status>) -> i32 {
    status.map_or(-1, |s| s.code)
}

pub fn queue(topic: Option<Resource>) -> Option<MessageQueue> {
    Some(MessageQueue {
        topic,
        id: 0,
        ..Default::default()
    })
}

/// A ReceiveMessage's status code.
pub async fn receive_code(mut stub: Stub, request: ReceiveMessageRequest) -> i32 {
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

pub fn receive_request(names: Names) -> ReceiveMessageRequest {
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
pub async fn pull_code(mut stub: Stub, request: PullMessageRequest) -> i32 {
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

pub fn pull_request(names: Names) -> PullMessageRequest {
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
pub fn rpcs() -> Vec<(&'static str, bool, bool, Call)> {
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
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
                r.map_or_else(
                    |e| -(e.code() as i32),
                    |r| status_code(r.into_inner().status),
                )
            }),
        ),
    ]
}

pub fn sql(expression: String) -> Option<FilterExpression> {
    Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression,
    })
}

pub fn receive_with_fields(f: impl Fn(&mut ReceiveMessageRequest) + Send + Sync + 'static) -> Call {
    call(move |stub, n: Names| {
        let mut request = receive_request(n);
        f(&mut request);
        receive_code(stub, request)
    })
}

pub fn send_with(f: impl Fn(&mut Message) + Send + Sync + 'static) -> Call {
    call(move |mut stub, _| {
        let mut m = message("t", "x");
        f(&mut m);
        async move {
            let r = stub
                .send_message(SendMessageRequest { messages: vec![m] })
                .await;
            r.map_or_else(
                |e| -(e.code() as i32),
                |r| status_code(r.into_inner().status),
            )
        }
    })
}

pub fn properties(count: usize) -> std::collections::HashMap<String, String> {
    (0..count).map(|i| (format!("k{i}"), "v".into())).collect()
}
