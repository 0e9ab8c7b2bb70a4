//! Sends transactional messages: even-numbered ones are committed, odd-numbered ones left
//! undecided for the transaction checker (which commits them). Prints `sent <message-id>`.
//!
//!     cargo run --example transaction_producer -- [--endpoint HOST:PORT] [--topic T] [--count N]

use clap::Parser;
use rmq_client::{Message, MessageView, Producer, TransactionResolution};
use rmq_examples::Common;
use rmq_mini_broker::TopicType;

#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    common: Common,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let target = args.common.target(TopicType::Transaction, false).await?;
    let producer = Producer::builder(target.config.clone())
        .topics([args.common.topic.as_str()])
        .transaction_checker(|view: &MessageView| {
            println!("checked {} -> commit", view.message_id);
            TransactionResolution::Commit
        })
        .start()
        .await?;
    for i in 0..args.common.count {
        let transaction = producer.begin_transaction()?;
        let message = Message::builder(&args.common.topic, format!("transfer {i}")).build()?;
        let receipt = transaction.send(&message).await?;
        println!("sent {}", receipt.message_id);
        if i % 2 == 0 {
            transaction.commit().await?;
        }
    }
    producer.shutdown().await;
    Ok(())
}
