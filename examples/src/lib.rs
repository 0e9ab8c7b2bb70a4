//! What the example programs share: the common command-line options, and an embedded
//! mini-broker when no `--endpoint` is given.

use clap::Args;
use rmq_client::{ClientConfig, Message, Producer};
use rmq_mini_broker::{GroupConfig, MiniBroker, TopicConfig, TopicType};
use std::error::Error;

/// Options every example takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Broker or proxy to use (`host:port`); without it an embedded mini-broker is started.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Topic.
    #[arg(long, default_value = "example-topic")]
    pub topic: String,
    /// Consumer group (consumers only).
    #[arg(long, default_value = "example-group")]
    pub group: String,
    /// How many messages to send or receive.
    #[arg(long, default_value_t = 10)]
    pub count: usize,
}

/// Where an example connects, and the embedded broker it started, if any (kept alive while
/// the value lives).
pub struct Target {
    /// Client configuration for the endpoint.
    pub config: ClientConfig,
    /// The embedded broker, when no endpoint was given.
    pub broker: Option<MiniBroker>,
}

impl Common {
    /// Connects to `--endpoint`, or starts an embedded broker with the topic declared as
    /// `topic_type` (and the group as FIFO when `fifo_group`).
    pub async fn target(
        &self,
        topic_type: TopicType,
        fifo_group: bool,
    ) -> Result<Target, Box<dyn Error>> {
        let (endpoint, broker) = match &self.endpoint {
            Some(endpoint) => (endpoint.clone(), None),
            None => {
                let broker = MiniBroker::builder()
                    .topic(TopicConfig::new(&self.topic, topic_type))
                    .group(GroupConfig::new(&self.group).fifo(fifo_group))
                    .start()
                    .await?;
                eprintln!("embedded mini-broker on {}", broker.endpoint());
                (broker.endpoint(), Some(broker))
            }
        };
        let config = ClientConfig::builder().endpoints(endpoint).build()?;
        Ok(Target { config, broker })
    }
}

impl Target {
    /// With an embedded broker, sends `--count` messages to `--topic` first, so a consumer
    /// example has something to consume.
    pub async fn seed(&self, common: &Common) -> Result<(), Box<dyn Error>> {
        if self.broker.is_none() {
            return Ok(());
        }
        let producer = Producer::builder(self.config.clone())
            .topics([common.topic.as_str()])
            .start()
            .await?;
        for i in 0..common.count {
            let message = Message::builder(&common.topic, format!("message {i}")).build()?;
            producer.send(&message).await?;
        }
        producer.shutdown().await;
        Ok(())
    }
}
