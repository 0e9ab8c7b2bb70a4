//! The server's own answers to requests the client would refuse before sending.

use super::*;

/// Raw requests with a bare gRPC stub and the protocol's identity headers, for the server's
/// own answers to requests the client would refuse before sending.
async fn send_raw(server: &Server, message: v2::Message) -> v2::Status {
    let mut stub = v2::messaging_service_client::MessagingServiceClient::new(channel(server).await);
    let request = identified(v2::SendMessageRequest {
        messages: vec![message],
    });
    let response = stub
        .send_message(request)
        .await
        .expect("a business answer, not a transport error")
        .into_inner();
    response
        .entries
        .first()
        .and_then(|e| e.status.clone())
        .or(response.status)
        .expect("a status")
}

async fn channel(server: &Server) -> tonic::transport::Channel {
    let endpoint = format!("http://{}", server.config().endpoints()[0]);
    tonic::transport::Channel::from_shared(endpoint)
        .expect("endpoint")
        .connect()
        .await
        .expect("connect")
}

/// A request with a 3 s deadline and the headers that identify a client.
fn identified<T>(body: T) -> tonic::Request<T> {
    use rmq_proto::headers;
    let mut request = tonic::Request::new(body);
    request.set_timeout(Duration::from_secs(3));
    let client_id = unique("raw");
    for (name, value) in [
        (headers::CLIENT_ID, client_id.as_str()),
        (headers::LANGUAGE, headers::LANGUAGE_RUST),
        (headers::PROTOCOL, headers::PROTOCOL_V2),
        (headers::CLIENT_VERSION, rmq_client::CLIENT_VERSION),
    ] {
        request
            .metadata_mut()
            .insert(name, value.parse().expect("ASCII header"));
    }
    request
}

/// `SendMessageRequest` as it is on the wire, each message left as its encoded bytes: the
/// same frame, but one a test may break in ways no conforming encoder would.
#[derive(Clone, PartialEq, prost::Message)]
struct SendMessageFrames {
    #[prost(bytes = "vec", repeated, tag = "1")]
    messages: Vec<Vec<u8>>,
}

/// SendMessage with `messages` already encoded; the error the call fails with.
async fn send_frames(server: &Server, messages: Vec<Vec<u8>>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel(server).await);
    grpc.ready().await.expect("ready");
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/apache.rocketmq.v2.MessagingService/SendMessage",
    );
    let codec = tonic_prost::ProstCodec::<SendMessageFrames, v2::SendMessageResponse>::default();
    match grpc
        .unary(identified(SendMessageFrames { messages }), path, codec)
        .await
    {
        Ok(response) => panic!("answered {:?}", response.into_inner()),
        Err(status) => status,
    }
}

fn raw(topic: &str, body: Vec<u8>, group: Option<&str>) -> v2::Message {
    v2::Message {
        topic: Some(v2::Resource {
            resource_namespace: String::new(),
            name: topic.to_owned(),
        }),
        user_properties: HashMap::new(),
        system_properties: Some(v2::SystemProperties {
            message_id: rmq_client::new_message_id(),
            message_type: if group.is_some() {
                v2::MessageType::Fifo
            } else {
                v2::MessageType::Normal
            } as i32,
            message_group: group.map(str::to_owned),
            body_encoding: v2::Encoding::Identity as i32,
            born_timestamp: Some(prost_types::Timestamp::from(SystemTime::now())),
            born_host: "scenario".into(),
            ..Default::default()
        }),
        body: body.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_bad_requests_with_the_documented_codes() {
    let server = Server::start().await;
    let code = |s: v2::Status| Code::try_from(s.code).unwrap_or(Code::Unspecified);
    assert_eq!(
        code(send_raw(&server, raw("bad topic!", b"x".to_vec(), None)).await),
        Code::IllegalTopic
    );
    // Apache checks the type before the topic: a missing topic has no type to match.
    assert_eq!(
        code(send_raw(&server, raw(&unique("missing"), b"x".to_vec(), None)).await),
        Code::MessagePropertyConflictWithType
    );
    assert_eq!(
        code(send_raw(&server, raw(NORMAL, vec![0u8; (4 << 20) + 1], None)).await),
        Code::MessageBodyTooLarge
    );
    assert_eq!(
        code(send_raw(&server, raw(NORMAL, b"x".to_vec(), Some("g"))).await),
        Code::MessagePropertyConflictWithType
    );

    // Through the client: a missing topic fails the start clearly.
    let missing = Producer::builder(server.config())
        .topics([unique("missing")])
        .start()
        .await
        .err()
        .expect("no such topic");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert_eq!(missing.code(), Some(Code::TopicNotFound as i32));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_request_fails_the_call_with_unknown() {
    // grpc-java answers UNKNOWN (tonic alone would say INTERNAL): for bytes that are no
    // protobuf at all, and for a string field that is not UTF-8, which no conforming encoder
    // sends (0xFF is never part of UTF-8).
    let server = Server::start().await;
    const MARK: &[u8] = b"MARKER";
    let mut message = raw(NORMAL, b"x".to_vec(), None);
    message
        .user_properties
        .insert("k".into(), String::from_utf8_lossy(MARK).into_owned());
    let mut not_utf8 = prost::Message::encode_to_vec(&message);
    let at = not_utf8
        .windows(MARK.len())
        .position(|w| w == MARK)
        .expect("the marker is in the encoding");
    not_utf8[at] = 0xff;
    // Wire type 7 does not exist.
    let garbage = vec![0xff, 0xff, 0xff];
    for (what, frame) in [("not UTF-8", not_utf8), ("not protobuf", garbage)] {
        let status = send_frames(&server, vec![frame]).await;
        assert_eq!(status.code(), tonic::Code::Unknown, "{what}: {status:?}");
    }
}
