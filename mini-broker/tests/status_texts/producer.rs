//! SendMessage, EndTransaction and RecallMessage.

use super::*;

#[tokio::test]
async fn send_message() {
    let broker = MiniBroker::builder()
        .strict(true)
        .max_body_size(16)
        .topic(TopicConfig::new("t", TopicType::Normal))
        .topic(TopicConfig::new("fifo", TopicType::Fifo))
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let sys = |f: fn(&mut SystemProperties)| with_sys(message("t", "x"), f);
    let props = |pairs: Vec<(String, String)>| {
        let mut m = message("t", "x");
        m.user_properties = pairs.into_iter().collect();
        m
    };
    let kv = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let many = (0..129).map(|i| kv(&format!("k{i}"), "v")).collect();
    let mut empty_body = message("t", "");
    empty_body.body = Default::default();
    use Code::*;
    let cases: Vec<(Message, Code, String)> = vec![
        (
            sys(|s| s.message_id = " ".into()),
            IllegalMessageId,
            "message id cannot be empty".into(),
        ),
        (
            sys(|s| s.tag = Some(" ".into())),
            IllegalMessageTag,
            "tag cannot be the char sequence of whitespace".into(),
        ),
        (
            sys(|s| s.tag = Some("a|b".into())),
            IllegalMessageTag,
            "tag cannot contain '|'".into(),
        ),
        (
            sys(|s| s.tag = Some("a\u{1}".into())),
            IllegalMessageTag,
            "tag cannot contain control character".into(),
        ),
        (
            sys(|s| s.keys = vec![" ".into()]),
            IllegalMessageKey,
            "key cannot be the char sequence of whitespace".into(),
        ),
        (
            sys(|s| s.keys = vec!["k\n".into()]),
            IllegalMessageKey,
            "key cannot contain control character".into(),
        ),
        (
            sys(|s| s.message_group = Some(" ".into())),
            IllegalMessageGroup,
            "message group cannot be the char sequence of whitespace".into(),
        ),
        (
            sys(|s| s.message_group = Some("g".repeat(64))),
            IllegalMessageGroup,
            "message group exceed the max size 64".into(),
        ),
        (
            sys(|s| s.message_group = Some("g\t".into())),
            IllegalMessageGroup,
            "message group cannot contain control character".into(),
        ),
        (
            props(many),
            MessagePropertiesTooLarge,
            "too many user properties, max is 128".into(),
        ),
        (
            props(vec![kv("UNIQ_KEY", "v")]),
            IllegalMessagePropertyKey,
            "property is used by system: UNIQ_KEY".into(),
        ),
        (
            props(vec![kv("k\u{7f}", "v")]),
            IllegalMessagePropertyKey,
            "the key of property cannot contain control character".into(),
        ),
        (
            props(vec![kv("k", "v\r")]),
            IllegalMessagePropertyKey,
            "the value of property cannot contain control character".into(),
        ),
        (
            props(vec![kv("", "v")]),
            IllegalMessagePropertyKey,
            "the key of property cannot be empty".into(),
        ),
        (
            props(vec![kv("k", &"v".repeat(16 * 1024))]),
            MessagePropertiesTooLarge,
            "the total size of user property is too large, max is 16384".into(),
        ),
        (
            empty_body,
            MessageBodyEmpty,
            "message body cannot be empty".into(),
        ),
        (
            message("t", &"x".repeat(17)),
            MessageBodyTooLarge,
            "message body cannot exceed the max 16".into(),
        ),
        (
            sys(|s| s.delivery_timestamp = in_secs(2 * 86_400)),
            IllegalDeliveryTime,
            "the max delay time of message is too large, max is 86400000".into(),
        ),
        (
            sys(|s| s.orphaned_transaction_recovery_duration = secs(3601)),
            BadRequest,
            "the max transaction recovery time of message is too large, max is 3600".into(),
        ),
        (
            sys(|s| s.priority = Some(-1)),
            InternalServerError,
            "The priority must be greater than or equal to 0".into(),
        ),
        (
            message("fifo", "x"),
            MessagePropertyConflictWithType,
            format!(
                "{PE}TopicMessageType validate failed, the expected type is FIFO, but actual type is NORMAL"
            ),
        ),
        (
            message("missing", "x"),
            MessagePropertyConflictWithType,
            format!(
                "{PE}TopicMessageType validate failed, the expected type is UNSPECIFIED, but actual type is NORMAL"
            ),
        ),
    ];
    for (m, expected, text) in cases {
        let reply = send(&mut stub, vec![m]).await;
        pinned(&reply.status, expected, &text);
        pinned(&reply.entries[0].status, expected, &text);
    }
    pinned(
        &send(&mut stub, vec![]).await.status,
        MessageCorrupted,
        "no message to send",
    );
    let mixed = send(&mut stub, vec![message("t", "a"), message("fifo", "b")]).await;
    pinned(
        &mixed.status,
        MessageCorrupted,
        "topic in message is not same",
    );
    let sent = send(&mut stub, vec![message("t", "a"), message("t", "b")]).await;
    pinned(&sent.status, Ok, "OK");
    for entry in &sent.entries {
        pinned(&entry.status, Ok, "OK");
    }
}

#[tokio::test]
async fn end_transaction() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["tx"]).await;
    let half = with_sys(message("tx", "h"), |s| {
        s.message_type = MessageType::Transaction as i32
    });
    let sent = send(&mut p.stub, vec![half]).await;
    let known = sent.entries[0].transaction_id.clone();
    let unknown = format!("{PE}cannot found transaction data");
    for (transaction_id, expected, text) in [
        (
            " ",
            Code::InvalidTransactionId,
            "transaction id cannot be empty",
        ),
        (
            "no-such-transaction",
            Code::InternalServerError,
            unknown.as_str(),
        ),
        (known.as_str(), Code::Ok, "OK"),
    ] {
        let request = EndTransactionRequest {
            topic: resource("tx"),
            message_id: sent.entries[0].message_id.clone(),
            transaction_id: transaction_id.into(),
            resolution: TransactionResolution::Commit as i32,
            ..Default::default()
        };
        let reply = p.stub.end_transaction(request).await.expect("rpc");
        pinned(&reply.into_inner().status, expected, text);
    }
}

async fn recall(stub: &mut Stub, topic: &str, handle: &str) -> Option<Status> {
    let request = RecallMessageRequest {
        topic: resource(topic),
        recall_handle: handle.into(),
    };
    stub.recall_message(request)
        .await
        .expect("rpc")
        .into_inner()
        .status
}

#[tokio::test]
async fn recall_message() {
    let start = |name: &str| {
        MiniBroker::builder()
            .broker_name(name)
            .topic(TopicConfig::new("delay", TopicType::Delay))
            .topic(TopicConfig::new("delay2", TopicType::Delay))
            .topic(TopicConfig::new("t", TopicType::Normal))
            .start()
    };
    let (a, b) = (start("a").await.expect("a"), start("b").await.expect("b"));
    let mut stub = stub_with(&a, Some(unique("p-"))).await;
    let mut on_b = stub_with(&b, Some(unique("p-"))).await;
    let sent = send(&mut stub, vec![delayed("delay")]).await;
    let h = sent.entries[0].recall_handle.clone();
    let text = format!(
        "{PE}TopicMessageType validate failed, the expected type is NORMAL, but actual type is DELAY"
    );
    pinned(
        &recall(&mut stub, "t", &h).await,
        Code::MessagePropertyConflictWithType,
        &text,
    );
    let text = format!("{PE}recall handle is invalid");
    pinned(
        &recall(&mut stub, "delay", "%%%").await,
        Code::InternalServerError,
        &text,
    );
    let mismatch = recall(&mut stub, "delay2", &h).await;
    pinned(
        &mismatch,
        Code::InternalServerError,
        "recall failed, topic not match",
    );
    let other = recall(&mut on_b, "delay", &h).await;
    pinned(
        &other,
        Code::InternalServerError,
        "recall failed, broker service not available",
    );
    pinned(&recall(&mut stub, "delay", &h).await, Code::Ok, "OK");
    let again = recall(&mut stub, "delay", &h).await;
    pinned(
        &again,
        Code::InternalServerError,
        "recall failed, timestamp invalid",
    );
}
