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

/// A unary answer's status code, or its gRPC error's code negated.
pub fn answer<T: Answered>(reply: Result<tonic::Response<T>, tonic::Status>) -> i32 {
    match reply {
        Ok(r) => r.into_inner().status().map_or(-1, |s| s.code),
        Err(e) => -(e.code() as i32),
    }
}

/// A unary response, which carries one status.
pub trait Answered {
    fn status(self) -> Option<Status>;
}

macro_rules! answered {
    ($($response:ty),*) => {
        $(impl Answered for $response {
            fn status(self) -> Option<Status> {
                self.status
            }
        })*
    };
}

answered!(
    QueryRouteResponse,
    QueryAssignmentResponse,
    SendMessageResponse,
    AckMessageResponse,
    ChangeInvisibleDurationResponse,
    ForwardMessageToDeadLetterQueueResponse,
    EndTransactionResponse,
    HeartbeatResponse,
    NotifyClientTerminationResponse,
    GetOffsetResponse,
    UpdateOffsetResponse,
    QueryOffsetResponse
);

pub fn queue(topic: Option<Resource>) -> Option<MessageQueue> {
    Some(MessageQueue {
        topic,
        id: 0,
        ..Default::default()
    })
}

/// A ChangeInvisibleDuration of `seconds`' status code.
pub async fn change_invisible_code(mut stub: Stub, n: Names, seconds: i64) -> i32 {
    let request = ChangeInvisibleDurationRequest {
        group: n.group,
        topic: n.topic,
        receipt_handle: "handle".into(),
        invisible_duration: secs(seconds),
        message_id: "id".into(),
        lite_topic: None,
        suspend: None,
    };
    answer(stub.change_invisible_duration(request).await)
}

/// A server-streaming answer's status code (`status_of` picks it from an item), or its gRPC
/// error's code negated.
async fn streamed_code<T>(
    reply: Result<tonic::Response<tonic::Streaming<T>>, tonic::Status>,
    status_of: impl Fn(T) -> Option<Status>,
) -> i32 {
    let mut stream = match reply {
        Ok(r) => r.into_inner(),
        Err(e) => return -(e.code() as i32),
    };
    let mut code = -1;
    while let Some(Ok(item)) = stream.next().await {
        if let Some(status) = status_of(item) {
            code = status.code;
        }
    }
    code
}

/// A ReceiveMessage's status code.
pub async fn receive_code(mut stub: Stub, request: ReceiveMessageRequest) -> i32 {
    let mut request = tonic::Request::new(request);
    request.set_timeout(Duration::from_secs(10));
    streamed_code(stub.receive_message(request).await, |item| {
        match item.content {
            Some(receive_message_response::Content::Status(s)) => Some(s),
            _ => None,
        }
    })
    .await
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
    streamed_code(stub.pull_message(request).await, |item| {
        match item.content {
            Some(pull_message_response::Content::Status(s)) => Some(s),
            _ => None,
        }
    })
    .await
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
                answer(
                    stub.query_route(QueryRouteRequest {
                        topic: n.topic,
                        endpoints: None,
                    })
                    .await,
                )
            }),
        ),
        (
            "QueryAssignment",
            true,
            true,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.query_assignment(QueryAssignmentRequest {
                        topic: n.topic,
                        group: n.group,
                        endpoints: None,
                    })
                    .await,
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
                answer(
                    stub.send_message(SendMessageRequest { messages: vec![m] })
                        .await,
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
                answer(
                    stub.ack_message(AckMessageRequest {
                        group: n.group,
                        topic: n.topic,
                        entries: vec![AckMessageEntry {
                            message_id: "id".into(),
                            receipt_handle: "handle".into(),
                            lite_topic: None,
                        }],
                    })
                    .await,
                )
            }),
        ),
        (
            "ChangeInvisibleDuration",
            true,
            true,
            call(|stub, n: Names| change_invisible_code(stub, n, 30)),
        ),
        (
            "ForwardMessageToDeadLetterQueue",
            true,
            true,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.forward_message_to_dead_letter_queue(
                        ForwardMessageToDeadLetterQueueRequest {
                            group: n.group,
                            topic: n.topic,
                            receipt_handle: "handle".into(),
                            message_id: "id".into(),
                            delivery_attempt: 1,
                            max_delivery_attempts: 16,
                            lite_topic: None,
                        },
                    )
                    .await,
                )
            }),
        ),
        (
            "EndTransaction",
            true,
            false,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.end_transaction(EndTransactionRequest {
                        topic: n.topic,
                        message_id: "id".into(),
                        transaction_id: "tx".into(),
                        resolution: TransactionResolution::Commit as i32,
                        source: TransactionSource::SourceClient as i32,
                        trace_context: String::new(),
                    })
                    .await,
                )
            }),
        ),
        (
            "Heartbeat",
            false,
            true,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.heartbeat(HeartbeatRequest {
                        group: n.group,
                        client_type: ClientType::SimpleConsumer as i32,
                    })
                    .await,
                )
            }),
        ),
        (
            "NotifyClientTermination",
            false,
            true,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.notify_client_termination(NotifyClientTerminationRequest {
                        group: n.group,
                    })
                    .await,
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
                answer(
                    stub.get_offset(GetOffsetRequest {
                        group: n.group,
                        message_queue: queue(n.topic),
                    })
                    .await,
                )
            }),
        ),
        (
            "UpdateOffset",
            true,
            true,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.update_offset(UpdateOffsetRequest {
                        group: n.group,
                        message_queue: queue(n.topic),
                        offset: 0,
                    })
                    .await,
                )
            }),
        ),
        (
            "QueryOffset",
            true,
            false,
            call(|mut stub, n: Names| async move {
                answer(
                    stub.query_offset(QueryOffsetRequest {
                        message_queue: queue(n.topic),
                        query_offset_policy: QueryOffsetPolicy::Beginning as i32,
                        timestamp: None,
                    })
                    .await,
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
            answer(
                stub.send_message(SendMessageRequest { messages: vec![m] })
                    .await,
            )
        }
    })
}

pub fn properties(count: usize) -> std::collections::HashMap<String, String> {
    (0..count).map(|i| (format!("k{i}"), "v".into())).collect()
}
