//! Admission and authentication, QueryRoute and QueryAssignment, Heartbeat,
//! NotifyClientTermination and Telemetry.

use super::*;

async fn beat(stub: &mut Stub, group: Option<Resource>) -> Option<Status> {
    let request = HeartbeatRequest {
        group,
        client_type: ClientType::SimpleConsumer as i32,
    };
    stub.heartbeat(request)
        .await
        .expect("rpc")
        .into_inner()
        .status
}

fn pull_consumer_settings() -> Settings {
    Settings {
        client_type: Some(ClientType::PullConsumer as i32),
        pub_sub: Some(settings::PubSub::Publishing(Publishing {
            topics: vec![resource("t").expect("resource")],
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[tokio::test]
async fn heartbeat() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut stranger = stub_with(&broker, Some(unique("c-"))).await;
    let text = "cannot find client settings for this client";
    pinned(
        &beat(&mut stranger, None).await,
        Code::UnrecognizedClientType,
        text,
    );
    let mut pull = open(&broker, pull_consumer_settings()).await;
    let unserved = beat(&mut pull.stub, None).await;
    pinned(&unserved, Code::UnrecognizedClientType, "PULL_CONSUMER");
    let mut c = consumer(&broker, "g", "t").await;
    let text = format!("the specified group[a b] contains illegal characters, {NAME_RULE}");
    let illegal = beat(&mut c.stub, resource("a b")).await;
    pinned(&illegal, Code::IllegalConsumerGroup, &text);
    pinned(&beat(&mut c.stub, resource("g")).await, Code::Ok, "OK");
}

#[tokio::test]
async fn notify_client_termination() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut stranger = stub_with(&broker, Some(unique("c-"))).await;
    let mut c = consumer(&broker, "g", "t").await;
    let text = "cannot find client settings for this client";
    for (stub, expected, text) in [
        (&mut stranger, Code::UnrecognizedClientType, text),
        (&mut c.stub, Code::Ok, "OK"),
    ] {
        let request = NotifyClientTerminationRequest {
            group: resource("g"),
        };
        let reply = stub.notify_client_termination(request).await.expect("rpc");
        pinned(&reply.into_inner().status, expected, text);
    }
}

#[tokio::test]
async fn query_route_and_assignment_on_a_strict_broker() {
    let broker = MiniBroker::builder()
        .strict(true)
        .topic(TopicConfig::new("t", TopicType::Normal))
        .group(GroupConfig::new("g"))
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let long_topic = "t".repeat(128);
    for (topic, expected, text) in [
        (
            "nope",
            Code::TopicNotFound,
            format!(
                "CODE: 17  DESC: No topic route info in name server for the topic: nope\nFor more information, please visit the url, {FAQ}"
            ),
        ),
        (
            " ",
            Code::IllegalTopic,
            "The specified topic is blank".into(),
        ),
        (
            &long_topic,
            Code::IllegalTopic,
            "The specified topic is longer than topic max length 127.".into(),
        ),
        (
            "a b",
            Code::IllegalTopic,
            format!("The specified topic[a b] contains illegal characters, {NAME_RULE}"),
        ),
        (
            "TBW102",
            Code::IllegalTopic,
            "cannot access system topic".into(),
        ),
        ("t", Code::Ok, "OK".into()),
    ] {
        let request = QueryRouteRequest {
            topic: resource(topic),
            endpoints: None,
        };
        let reply = stub.query_route(request).await.expect("rpc");
        pinned(&reply.into_inner().status, expected, &text);
    }
    let long_group = "g".repeat(121);
    for (group, expected, text) in [
        (
            "nope",
            Code::ConsumerGroupNotFound,
            format!("subscription group [nope] does not exist, \nSee {FAQ} for further details."),
        ),
        (
            "",
            Code::IllegalConsumerGroup,
            "the specified group is blank".into(),
        ),
        (
            &long_group,
            Code::IllegalConsumerGroup,
            format!("the specified group[{long_group}] is longer than group max length: 120."),
        ),
        (
            "a b",
            Code::IllegalConsumerGroup,
            format!("the specified group[a b] contains illegal characters, {NAME_RULE}"),
        ),
        (
            "CID_RMQ_SYS_X",
            Code::IllegalConsumerGroup,
            "cannot use system consumer group".into(),
        ),
        ("g", Code::Ok, "OK".into()),
    ] {
        let request = QueryAssignmentRequest {
            topic: resource("t"),
            group: resource(group),
            endpoints: None,
        };
        let reply = stub.query_assignment(request).await.expect("rpc");
        pinned(&reply.into_inner().status, expected, &text);
    }
}

#[tokio::test]
async fn admission_and_auth_failures() {
    let broker = MiniBroker::builder()
        .credentials("ak", "sk")
        .start()
        .await
        .expect("start");
    let mut anonymous = stub_with(&broker, None).await;
    let reply = anonymous.query_route(QueryRouteRequest::default()).await;
    let status = reply.expect("rpc").into_inner().status;
    pinned(&status, Code::ClientIdRequired, "client id cannot be empty");
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let date = "20261122T101010Z";
    let good = signature("sk", date);
    let header = |fields: &str| Some(format!("MQv2-HMAC-SHA1 {fields}"));
    for (authorization, date, text) in [
        (None, Some(date), "username cannot be null."),
        (
            header(&format!("Credential=ak, Signature={good}")),
            None,
            "datetime is null.",
        ),
        (
            Some("MQv2-HMAC-SHA1".to_owned()),
            Some(date),
            "authentication header is incorrect.",
        ),
        (
            header(&format!("Signature={good}")),
            Some(date),
            "username cannot be null.",
        ),
        (
            header("Credential=ak, Signature=zz"),
            Some(date),
            "create authentication context error.",
        ),
        (
            header(&format!("Credential=other, Signature={good}")),
            Some(date),
            "User:other is not found.",
        ),
        (
            header("Credential=ak"),
            Some(date),
            "check signature failed.",
        ),
        (
            header(&format!(
                "Credential=ak, Signature={}",
                signature("no", date)
            )),
            Some(date),
            "check signature failed.",
        ),
    ] {
        let mut request = tonic::Request::new(QueryRouteRequest {
            topic: resource("t"),
            endpoints: None,
        });
        if let Some(value) = authorization {
            let value = value.parse().expect("ascii");
            request.metadata_mut().insert("authorization", value);
        }
        if let Some(date) = date {
            let date = date.parse().expect("ascii");
            request.metadata_mut().insert("x-mq-date-time", date);
        }
        let reply = stub.query_route(request).await.expect("rpc");
        pinned(&reply.into_inner().status, Code::Unauthorized, text);
    }
}

/// The error a Telemetry call fails with after its first Settings.
pub(super) async fn telemetry_refusal(stub: &mut Stub, settings: Settings) -> tonic::Status {
    let commands = tokio_stream::iter(vec![TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(settings)),
    }]);
    match stub.telemetry(commands).await {
        Err(status) => status,
        Ok(reply) => {
            let first = reply.into_inner().next().await.expect("an answer");
            first.expect_err("the settings are refused")
        }
    }
}

fn subscription(topic: &str, expression: Option<FilterExpression>) -> Settings {
    Settings {
        client_type: Some(ClientType::SimpleConsumer as i32),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: resource("g"),
            subscriptions: vec![SubscriptionEntry {
                topic: resource(topic),
                expression,
            }],
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[tokio::test]
async fn telemetry_refusals() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut anonymous = stub_with(&broker, None).await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let refusal = telemetry_refusal(&mut anonymous, Settings::default()).await;
    let expected = (tonic::Code::InvalidArgument, "client id cannot be empty");
    assert_eq!((refusal.code(), refusal.message()), expected);
    let failed = "process client telemetryCommand failed. ";
    for (settings, text) in [
        (
            Settings::default(),
            "there is no publishing or subscription data in settings".to_owned(),
        ),
        (
            subscription("t", sql("")),
            format!("{failed}expression format is not correct"),
        ),
        (
            subscription("a b", None),
            format!("{failed}The specified topic[a b] contains illegal characters, {NAME_RULE}"),
        ),
    ] {
        let refusal = telemetry_refusal(&mut stub, settings).await;
        assert_eq!(
            (refusal.code(), refusal.message()),
            (tonic::Code::InvalidArgument, text.as_str())
        );
    }
}
