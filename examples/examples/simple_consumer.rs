//! Receives messages, acks them, and prints `received <message-id> <body>` for each.
//! Without `--endpoint` it starts an embedded broker and first sends `--count` messages.
//!
//!     cargo run --example simple_consumer -- [--endpoint HOST:PORT] [--topic T] [--group G] [--count N]

use clap::Parser;
use rmq_client::{FilterExpression, SimpleConsumer};
use rmq_examples::Common;
use rmq_mini_broker::TopicType;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Give up after this many seconds without all messages.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let target = args.common.target(TopicType::Normal, false).await?;
    target.seed(&args.common).await?;
    let consumer = SimpleConsumer::builder(target.config.clone(), &args.common.group)
        .subscribe(&args.common.topic, FilterExpression::all())
        .await_duration(Duration::from_secs(10))
        .start()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut received = 0;
    while received < args.common.count && Instant::now() < deadline {
        // Never ask for more than is still wanted, so extra messages stay for a later run.
        let want = u32::try_from((args.common.count - received).min(16)).unwrap_or(16);
        for view in consumer.receive(want, Duration::from_secs(30)).await? {
            println!(
                "received {} {}",
                view.message_id,
                String::from_utf8_lossy(&view.body)
            );
            consumer.ack(&view).await?;
            received += 1;
        }
    }
    consumer.shutdown().await;
    if received < args.common.count {
        return Err(format!("received {received} of {}", args.common.count).into());
    }
    Ok(())
}
