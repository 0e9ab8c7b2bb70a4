//! Sends messages and prints `sent <message-id>` for each.
//!
//!     cargo run --example producer -- [--endpoint HOST:PORT] [--topic T] [--count N]
//!         [--type normal|fifo|delay|transaction] [--message-group G] [--delay-ms N]

use clap::{Parser, ValueEnum};
use rmq_client::{Message, MessageView, Producer, TransactionResolution};
use rmq_examples::Common;
use rmq_mini_broker::TopicType;
use std::time::{Duration, SystemTime};

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Kind {
    Normal,
    Fifo,
    Delay,
    Transaction,
}

#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Message type.
    #[arg(long = "type", value_enum, default_value = "normal")]
    kind: Kind,
    /// Message group of FIFO messages.
    #[arg(long, default_value = "example-group-1")]
    message_group: String,
    /// Delay of delayed messages, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let topic_type = match args.kind {
        Kind::Normal => TopicType::Normal,
        Kind::Fifo => TopicType::Fifo,
        Kind::Delay => TopicType::Delay,
        Kind::Transaction => TopicType::Transaction,
    };
    let target = args.common.target(topic_type, false).await?;
    let producer = Producer::builder(target.config.clone())
        .topics([args.common.topic.as_str()])
        // Transactions are committed right after the send; the checker only matters if this
        // program dies in between.
        .transaction_checker(|_: &MessageView| TransactionResolution::Commit)
        .start()
        .await?;
    for i in 0..args.common.count {
        let mut message = Message::builder(&args.common.topic, format!("message {i}"));
        match args.kind {
            Kind::Fifo => message = message.message_group(&args.message_group),
            Kind::Delay => {
                message = message
                    .delivery_timestamp(SystemTime::now() + Duration::from_millis(args.delay_ms));
            }
            Kind::Normal | Kind::Transaction => {}
        }
        let message = message.build()?;
        let receipt = if matches!(args.kind, Kind::Transaction) {
            let transaction = producer.begin_transaction()?;
            let receipt = transaction.send(&message).await?;
            transaction.commit().await?;
            receipt
        } else {
            producer.send(&message).await?
        };
        println!("sent {}", receipt.message_id);
    }
    producer.shutdown().await;
    Ok(())
}
