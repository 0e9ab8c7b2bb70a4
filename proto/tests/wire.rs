//! Wire-level facts peers depend on, checked on the generated code itself.

use prost::Message as _;
use rmq_proto::v2::{
    self, Code, ExponentialBackoff, ReceiveMessageResponse, SystemProperties, TelemetryCommand,
    receive_message_response, telemetry_command,
};

#[test]
fn optional_fields_keep_presence_even_at_default_values() {
    let props = SystemProperties {
        delivery_attempt: Some(0),
        message_group: Some(String::new()),
        ..Default::default()
    };
    let bytes = props.encode_to_vec();
    // field 16 varint 0 and field 17 empty string must both be on the wire.
    assert_eq!(bytes, vec![0x80, 0x01, 0x00, 0x8a, 0x01, 0x00]);
    let back = SystemProperties::decode(bytes.as_slice()).expect("decode");
    assert_eq!(back.delivery_attempt, Some(0));
    assert_eq!(back.message_group.as_deref(), Some(""));
    assert_eq!(
        SystemProperties::default().encode_to_vec(),
        Vec::<u8>::new()
    );
}

#[test]
fn backoff_multiplier_is_a_fixed32_float() {
    let bytes = ExponentialBackoff {
        multiplier: 2.0,
        ..Default::default()
    }
    .encode_to_vec();
    // tag (3 << 3) | wire type 5 (32-bit), then 2.0f32 little endian.
    assert_eq!(bytes, vec![0x1d, 0x00, 0x00, 0x00, 0x40]);
}

#[test]
fn oneofs_hold_one_member() {
    let cmd = TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(v2::Settings::default())),
    };
    let back = TelemetryCommand::decode(cmd.encode_to_vec().as_slice()).expect("decode");
    assert!(matches!(
        back.command,
        Some(telemetry_command::Command::Settings(_))
    ));
    let status = ReceiveMessageResponse {
        content: Some(receive_message_response::Content::Status(v2::Status {
            code: Code::MessageNotFound as i32,
            message: "no new message".into(),
        })),
    };
    assert_eq!(
        status.encode_to_vec()[..6],
        [0x0a, 0x14, 0x08, 0xd1, 0xbb, 0x02],
        "status is field 1, code 40401 its first varint"
    );
}

#[test]
fn code_numbers_follow_the_protocol() {
    assert_eq!(Code::Ok as i32, 20000);
    assert_eq!(Code::MultipleResults as i32, 30000);
    assert_eq!(Code::InvalidReceiptHandle as i32, 40013);
    assert_eq!(Code::IllegalPollingTime as i32, 40018);
    assert_eq!(Code::InvalidClientProperties as i32, 40021);
    assert_eq!(Code::MessageNotFound as i32, 40401);
    assert_eq!(Code::MessageBodyEmpty as i32, 41302);
    assert_eq!(Code::TooManyRequests as i32, 42900);
    assert_eq!(Code::FailedToConsumeMessage as i32, 60000);
    assert_eq!(Code::try_from(40402), Ok(Code::TopicNotFound));
    assert!(Code::try_from(40099).is_err());
}

#[test]
fn descriptor_set_describes_the_service_in_declaration_order() {
    let fds = prost_types::FileDescriptorSet::decode(rmq_proto::FILE_DESCRIPTOR_SET)
        .expect("embedded descriptor set decodes");
    let service = fds
        .file
        .iter()
        .flat_map(|f| f.service.iter().map(move |s| (f.package(), s)))
        .find(|(pkg, s)| format!("{pkg}.{}", s.name()) == rmq_proto::MESSAGING_SERVICE)
        .map(|(_, s)| s)
        .expect("messaging service present");
    let rpcs: Vec<&str> = service.method.iter().map(|m| m.name()).collect();
    assert_eq!(
        rpcs,
        [
            "QueryRoute",
            "Heartbeat",
            "SendMessage",
            "QueryAssignment",
            "ReceiveMessage",
            "AckMessage",
            "ForwardMessageToDeadLetterQueue",
            "PullMessage",
            "UpdateOffset",
            "GetOffset",
            "QueryOffset",
            "EndTransaction",
            "Telemetry",
            "NotifyClientTermination",
            "ChangeInvisibleDuration",
            "RecallMessage",
            "SyncLiteSubscription",
        ]
    );
    let telemetry = &service.method[12];
    assert!(telemetry.client_streaming() && telemetry.server_streaming());
    assert!(service.method[4].server_streaming() && !service.method[4].client_streaming());
    assert_eq!(
        rmq_proto::v2::messaging_service_server::SERVICE_NAME,
        rmq_proto::MESSAGING_SERVICE
    );
}

#[test]
fn reserved_property_keys_are_exact_matches() {
    assert!(rmq_proto::properties::is_reserved("UNIQ_KEY"));
    assert!(rmq_proto::properties::is_reserved("TIMER_DELIVER_MS"));
    assert!(!rmq_proto::properties::is_reserved("tags"));
    assert!(!rmq_proto::properties::is_reserved(
        rmq_proto::properties::SHARDING_KEY
    ));
}
