//! Entry points for the fuzz targets in `fuzz/` and for the replay of their corpus in
//! `tests/fuzz_corpus.rs` (feature `fuzzing`; not an API): what the client makes of bytes a
//! server sends. Each may only return: a panic, a hang or unbounded memory is the bug.

use crate::config::Endpoint;
use crate::message::MessageView;
use crate::push_consumer::GroupPolicy;
use crate::retry::{Backoff, RetryPolicy};
use prost::Message as _;
use rmq_proto::v2::{self, telemetry_command::Command};
use std::time::Duration;

/// A received body: the first byte picks the digest the server claims (none, CRC32, MD5,
/// SHA1 over the rest, right or wrong), the rest is a body flagged compressed.
pub fn body(input: &[u8]) {
    let Some((&mode, body)) = input.split_first() else {
        return;
    };
    let digest = (mode & 3 != 0).then(|| v2::Digest {
        r#type: i32::from(mode & 3),
        checksum: if mode & 4 == 0 {
            "00".into()
        } else {
            format!("{:X}", crc32fast::hash(body))
        },
    });
    let encoding = if mode & 8 == 0 {
        v2::Encoding::Gzip
    } else {
        v2::Encoding::Identity
    };
    if let Ok(Some(out)) = crate::message::body::decode(body, digest.as_ref(), encoding as i32) {
        assert!(out.len() as u64 <= crate::message::body::MAX_DECOMPRESSED_BODY);
    }
}

/// A message as a receive, a pull or a server command carries it.
pub fn message(input: &[u8]) {
    if let Ok(message) = v2::Message::decode(input) {
        view(message);
    }
}

fn view(message: v2::Message) {
    let endpoint = Endpoint {
        host: "127.0.0.1".into(),
        port: 8081,
    };
    let view = MessageView::from_proto(message, &endpoint);
    let _ = format!("{view:?}");
}

/// A Telemetry command from the server: Settings as every client applies them (group policy,
/// retry backoff, lite quota), and the commands that carry a message.
pub fn telemetry(input: &[u8]) {
    let Ok(command) = v2::TelemetryCommand::decode(input) else {
        return;
    };
    match command.command {
        Some(Command::Settings(settings)) => {
            let policy = GroupPolicy::from_settings(Some(&settings));
            for attempt in [0, 1, 2, 17, u32::MAX] {
                let _ = policy.retry.delay_before(attempt);
            }
            if let Some(backoff) = &settings.backoff_policy {
                let fallback = RetryPolicy {
                    max_attempts: 3,
                    backoff: Backoff::Exponential {
                        initial: Duration::from_secs(1),
                        max: Duration::from_secs(10),
                        multiplier: 2.0,
                    },
                };
                let retry = RetryPolicy::from_proto(backoff, &fallback);
                for attempt in [0, 1, 2, 3, 100, u32::MAX] {
                    let _ = retry.delay_before(attempt);
                }
            }
            let _ = crate::lite::quota(Some(&settings));
        }
        Some(Command::RecoverOrphanedTransactionCommand(c)) => {
            if let Some(message) = c.message {
                view(message);
            }
        }
        Some(Command::VerifyMessageCommand(c)) => {
            if let Some(message) = c.message {
                view(message);
            }
        }
        _ => {}
    }
}

/// A receive response stream item, as the simple and push consumers read it.
pub fn receive_response(input: &[u8]) {
    let Ok(response) = v2::ReceiveMessageResponse::decode(input) else {
        return;
    };
    if let Some(v2::receive_message_response::Content::Message(message)) = response.content {
        view(message);
    }
}

/// Starting inputs of the protobuf targets (`client_message`, `client_telemetry`,
/// `client_receive`): a well-formed message, Settings and a receive response.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let message = v2::Message {
        topic: Some(v2::Resource {
            name: "t".into(),
            resource_namespace: String::new(),
        }),
        user_properties: [("a".to_owned(), "1".to_owned())].into(),
        system_properties: Some(v2::SystemProperties {
            message_id: "0000000000000000000000000001".into(),
            body_digest: Some(v2::Digest {
                r#type: v2::DigestType::Crc32 as i32,
                checksum: format!("{:X}", crc32fast::hash(b"hello")),
            }),
            delivery_attempt: Some(2),
            tag: Some("TagA".into()),
            receipt_handle: Some("handle".into()),
            ..Default::default()
        }),
        body: bytes::Bytes::from_static(b"hello"),
    };
    let settings = v2::Settings {
        backoff_policy: Some(v2::RetryPolicy {
            max_attempts: 16,
            strategy: Some(v2::retry_policy::Strategy::ExponentialBackoff(
                v2::ExponentialBackoff {
                    initial: Some(prost_types::Duration {
                        seconds: 1,
                        nanos: 0,
                    }),
                    max: Some(prost_types::Duration {
                        seconds: 60,
                        nanos: 0,
                    }),
                    multiplier: 2.0,
                },
            )),
        }),
        pub_sub: Some(v2::settings::PubSub::Subscription(v2::Subscription {
            fifo: Some(true),
            receive_batch_size: Some(32),
            long_polling_timeout: Some(prost_types::Duration {
                seconds: 20,
                nanos: 0,
            }),
            lite_subscription_quota: Some(100),
            ..Default::default()
        })),
        ..Default::default()
    };
    match target {
        "client_message" => vec![message.encode_to_vec()],
        "client_telemetry" => vec![
            v2::TelemetryCommand {
                status: None,
                command: Some(Command::Settings(settings)),
            }
            .encode_to_vec(),
            v2::TelemetryCommand {
                status: None,
                command: Some(Command::RecoverOrphanedTransactionCommand(
                    v2::RecoverOrphanedTransactionCommand {
                        message: Some(message),
                        transaction_id: "tx".into(),
                    },
                )),
            }
            .encode_to_vec(),
        ],
        "client_receive" => vec![
            v2::ReceiveMessageResponse {
                content: Some(v2::receive_message_response::Content::Message(message)),
            }
            .encode_to_vec(),
        ],
        _ => Vec::new(),
    }
}
