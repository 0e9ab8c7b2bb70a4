//! The floor: a bare tonic `SendMessage` call carrying the same message, no client logic.

use rmq_proto::v2::messaging_service_client::MessagingServiceClient;
use rmq_proto::v2::{Message, MessageType, Resource, SendMessageRequest, SystemProperties};
use std::sync::atomic::{AtomicU64, Ordering};
use tonic::transport::Channel;

static IDS: AtomicU64 = AtomicU64::new(0);

#[derive(Clone)]
pub struct Floor {
    stub: MessagingServiceClient<Channel>,
    topic: String,
    body: tonic::codegen::Bytes,
}

impl Floor {
    pub async fn connect(endpoint: &str, topic: &str, body: &[u8]) -> Floor {
        let channel = Channel::from_shared(format!("http://{endpoint}"))
            .expect("endpoint uri")
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("connect");
        Floor {
            stub: MessagingServiceClient::new(channel),
            topic: topic.to_owned(),
            body: tonic::codegen::Bytes::copy_from_slice(body),
        }
    }

    fn message(&self) -> Message {
        Message {
            topic: Some(Resource {
                resource_namespace: String::new(),
                name: self.topic.clone(),
            }),
            user_properties: Default::default(),
            system_properties: Some(SystemProperties {
                message_id: format!("01FLOOR{:027X}", IDS.fetch_add(1, Ordering::Relaxed)),
                message_type: MessageType::Normal as i32,
                ..Default::default()
            }),
            body: self.body.clone(),
        }
    }

    /// One request carrying `count` messages.
    pub async fn send(&self, count: usize) {
        let mut request = tonic::Request::new(SendMessageRequest {
            messages: (0..count).map(|_| self.message()).collect(),
        });
        request
            .metadata_mut()
            .insert("x-mq-client-id", "floor".parse().expect("ascii"));
        let response = self
            .stub
            .clone()
            .send_message(request)
            .await
            .expect("bare send");
        assert_eq!(
            response.get_ref().status.as_ref().map(|s| s.code),
            Some(rmq_proto::Code::Ok as i32)
        );
    }
}
