//! rmq in one file: starts a mini-broker in this process, sends normal, FIFO, delayed and
//! transactional messages, and consumes them with a push consumer and a simple consumer.
//!
//!     cargo run --example quickstart

use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
    SimpleConsumer, TransactionResolution,
};
use rmq_mini_broker::{GroupConfig, MiniBroker, TopicConfig, TopicType};
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("orders", TopicType::Normal))
        .topic(TopicConfig::new("payments", TopicType::Fifo))
        .topic(TopicConfig::new("reminders", TopicType::Delay))
        .topic(TopicConfig::new("transfers", TopicType::Transaction))
        .group(GroupConfig::new("payment-processor").fifo(true))
        .transaction_check_delay(Duration::from_millis(200))
        .start()
        .await?;
    println!("mini-broker listening on {}", broker.endpoint());

    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()?;
    let producer = Producer::builder(config.clone())
        .topics(["orders", "payments", "reminders", "transfers"])
        // Answers the broker about transactions left undecided (here: commit them).
        .transaction_checker(|view: &MessageView| {
            println!(
                "checker asked about transaction message {}",
                view.message_id
            );
            TransactionResolution::Commit
        })
        .start()
        .await?;

    for i in 1..=3 {
        let message = Message::builder("orders", format!("order #{i}"))
            .tag("created")
            .key(format!("order-{i}"))
            .build()?;
        let receipt = producer.send(&message).await?;
        println!("sent normal      {} order #{i}", receipt.message_id);
    }
    for step in ["authorize", "capture", "settle"] {
        let message = Message::builder("payments", step)
            .message_group("payment-42")
            .build()?;
        let receipt = producer.send(&message).await?;
        println!("sent FIFO        {} {step}", receipt.message_id);
    }
    let due = SystemTime::now() + Duration::from_secs(1);
    let reminder = Message::builder("reminders", "pay your invoice")
        .delivery_timestamp(due)
        .build()?;
    println!(
        "sent delayed     {} (due in 1 s)",
        producer.send(&reminder).await?.message_id
    );
    let committed = producer.begin_transaction()?;
    let receipt = committed
        .send(&Message::builder("transfers", "transfer A").build()?)
        .await?;
    committed.commit().await?;
    println!("sent transaction {} and committed it", receipt.message_id);
    let undecided = producer.begin_transaction()?;
    let receipt = undecided
        .send(&Message::builder("transfers", "transfer B").build()?)
        .await?;
    drop(undecided);
    println!(
        "sent transaction {} and left it undecided",
        receipt.message_id
    );

    // A push consumer: the FIFO group gets the payment steps in order.
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = steps.clone();
    let push = PushConsumer::builder(config.clone(), "payment-processor")
        .subscribe("payments", FilterExpression::all())
        .listener(move |view: &MessageView| {
            let step = String::from_utf8_lossy(&view.body).into_owned();
            println!("push consumer    {} {step}", view.message_id);
            seen.lock().map(|mut s| s.push(step)).ok();
            ConsumeResult::Success
        })
        .start()
        .await?;

    // A simple consumer pulls the rest and acks each message.
    let simple = SimpleConsumer::builder(config, "quickstart")
        .subscribe("orders", FilterExpression::tag("created"))
        .subscribe("reminders", FilterExpression::all())
        .subscribe("transfers", FilterExpression::all())
        .await_duration(Duration::from_secs(5))
        .start()
        .await?;
    let mut received = 0;
    let deadline = Instant::now() + Duration::from_secs(15);
    while received < 6 && Instant::now() < deadline {
        for view in simple.receive(16, Duration::from_secs(30)).await? {
            println!(
                "simple consumer  {} {} (topic {})",
                view.message_id,
                String::from_utf8_lossy(&view.body),
                view.topic
            );
            simple.ack(&view).await?;
            received += 1;
        }
    }
    while steps.lock().map(|s| s.len()).unwrap_or(0) < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let steps = steps.lock().map(|s| s.clone()).unwrap_or_default();
    push.shutdown().await;
    simple.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
    if received != 6 || steps != ["authorize", "capture", "settle"] {
        return Err(format!(
            "expected 6 simple-consumer messages and 3 ordered steps, got {received} and {steps:?}"
        )
        .into());
    }
    println!(
        "done in {:.1} s: 6 messages pulled and acked, 3 FIFO steps pushed in order",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
