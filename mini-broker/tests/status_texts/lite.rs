//! Lite topics: SendMessage's lite checks, SyncLiteSubscription and the lite registration
//! checks of Telemetry Settings (the 5.5.0 proxy's `GrpcValidator` and `ClientProcessor`).

use super::clients::telemetry_refusal;
use super::*;
use rmq_mini_broker::LiteGroup;

fn lite_message(topic: &str, lite: &str) -> Message {
    with_sys(message(topic, "reply"), |s| {
        s.lite_topic = Some(lite.into());
        s.message_type = MessageType::Lite as i32;
    })
}

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("replies", TopicType::Lite))
        .topic(TopicConfig::new("plain", TopicType::Normal))
        .group(GroupConfig::new("agents").lite(LiteGroup::new("replies")))
        .group(GroupConfig::new("tiny").lite(LiteGroup {
            quota: 0,
            ..LiteGroup::new("replies")
        }))
        .group(GroupConfig::new("regular"))
        .start()
        .await
        .expect("start")
}

const BLANK: &str = "lite topic cannot be the char sequence of whitespace";
const CHARS: &str =
    "lite topic can only contain alphanumeric characters, hyphens(-), and underscores(_)";

#[tokio::test]
async fn send_message() {
    let broker = broker().await;
    let mut p = producer(&broker, &["replies", "plain"]).await;
    let long = "x".repeat(65);
    for (lite, expected, text) in [
        (" ", Code::IllegalLiteTopic, BLANK),
        (
            long.as_str(),
            Code::IllegalLiteTopic,
            "lite topic exceed the max size 64",
        ),
        ("bad name!", Code::IllegalLiteTopic, CHARS),
        ("ok-name_1", Code::Ok, "OK"),
    ] {
        let reply = send(&mut p.stub, vec![lite_message("replies", lite)]).await;
        pinned(&reply.status, expected, text);
    }
    let conflict = send(&mut p.stub, vec![lite_message("plain", "l")]).await;
    let text = format!(
        "{PE}TopicMessageType validate failed, the expected type is NORMAL, but actual type is LITE"
    );
    pinned(
        &conflict.status,
        Code::MessagePropertyConflictWithType,
        &text,
    );
}

async fn sync(
    stub: &mut Stub,
    action: LiteSubscriptionAction,
    topic: &str,
    group: &str,
    lites: &[&str],
) -> Option<Status> {
    let request = SyncLiteSubscriptionRequest {
        action: action as i32,
        topic: resource(topic),
        group: resource(group),
        lite_topic_set: lites.iter().map(|l| (*l).to_owned()).collect(),
        version: None,
        offset_option: None,
    };
    stub.sync_lite_subscription(request)
        .await
        .expect("rpc")
        .into_inner()
        .status
}

#[tokio::test]
async fn sync_lite_subscription() {
    use LiteSubscriptionAction::{CompleteAdd, PartialAdd, PartialRemove};
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let many: Vec<String> = (0..301).map(|i| format!("l{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    // (action, topic, group, lite topics, code, text)
    type Case<'a> = (
        LiteSubscriptionAction,
        &'a str,
        &'a str,
        Vec<&'a str>,
        Code,
        String,
    );
    let cases: Vec<Case> = vec![
        (
            PartialAdd,
            "replies",
            "nobody",
            vec!["a"],
            Code::IllegalConsumerGroup,
            "group not found: nobody".into(),
        ),
        (
            PartialAdd,
            "replies",
            "regular",
            vec!["a"],
            Code::IllegalTopic,
            "lite group regular is expected to bind topic null, but actual is replies".into(),
        ),
        (
            PartialAdd,
            "plain",
            "agents",
            vec!["a"],
            Code::IllegalTopic,
            "lite group agents is expected to bind topic replies, but actual is plain".into(),
        ),
        (
            PartialAdd,
            "replies",
            "agents",
            vec!["no way"],
            Code::IllegalLiteTopic,
            CHARS.into(),
        ),
        // Only an add checks names.
        (
            PartialRemove,
            "replies",
            "agents",
            vec!["no way"],
            Code::Ok,
            "OK".into(),
        ),
        (
            CompleteAdd,
            "replies",
            "tiny",
            many,
            Code::LiteSubscriptionQuotaExceeded,
            "lite subscription quota exceeded: 0".into(),
        ),
        (
            PartialAdd,
            "replies",
            "agents",
            vec!["a", "b"],
            Code::Ok,
            "OK".into(),
        ),
    ];
    for (action, topic, group, lites, expected, text) in cases {
        let status = sync(&mut stub, action, topic, group, &lites).await;
        pinned(&status, expected, &text);
    }
}

fn lite_settings(client_type: ClientType, group: &str, topic: &str) -> Settings {
    Settings {
        client_type: Some(client_type as i32),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: resource(group),
            subscriptions: vec![SubscriptionEntry {
                topic: resource(topic),
                expression: Some(FilterExpression {
                    r#type: FilterType::Tag as i32,
                    expression: "*".into(),
                }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[tokio::test]
async fn lite_registration() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let failed = "process client telemetryCommand failed. ";
    for (settings, text) in [
        (
            lite_settings(ClientType::LitePushConsumer, "regular", "replies"),
            format!("{failed}regular group cannot use LITE mode: regular"),
        ),
        (
            lite_settings(ClientType::PushConsumer, "agents", "replies"),
            format!("{failed}lite group must use LITE mode: agents"),
        ),
        (
            lite_settings(ClientType::LitePushConsumer, "agents", "plain"),
            format!(
                "{failed}lite group agents is expected to bind topic replies, but actual is plain"
            ),
        ),
    ] {
        let refusal = telemetry_refusal(&mut stub, settings).await;
        assert_eq!(
            (refusal.code(), refusal.message()),
            (tonic::Code::InvalidArgument, text.as_str())
        );
    }
    // Accepted, with the lite limits in the answer.
    let client = open(
        &broker,
        lite_settings(ClientType::LitePushConsumer, "agents", "replies"),
    )
    .await;
    let Some(settings::PubSub::Subscription(sub)) = client.settings.pub_sub else {
        panic!("a subscription answer")
    };
    assert_eq!(
        (sub.lite_subscription_quota, sub.max_lite_topic_size),
        (Some(2000), Some(64))
    );
}
