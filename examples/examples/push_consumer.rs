//! Consumes messages with a push consumer and prints `received <message-id> <body>` for each.
//! Without `--endpoint` it starts an embedded broker and first sends `--count` messages. It
//! consumes exactly `--count` messages; any more it is handed are left for a later run.
//!
//!     cargo run --example push_consumer -- [--endpoint HOST:PORT] [--topic T] [--group G] [--count N]

use clap::Parser;
use rmq_client::{ConsumeResult, FilterExpression, MessageView, PushConsumer};
use rmq_examples::Common;
use rmq_mini_broker::TopicType;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let wanted = args.common.count;
    let consumer = PushConsumer::builder(target.config.clone(), &args.common.group)
        .subscribe(&args.common.topic, FilterExpression::all())
        .listener(move |view: &MessageView| {
            // Messages past the count (a backlog, or ones already in flight when the count
            // was reached) are handed back unconsumed for a later run.
            if counter.fetch_add(1, Ordering::SeqCst) >= wanted {
                return ConsumeResult::Failure;
            }
            println!(
                "received {} {}",
                view.message_id,
                String::from_utf8_lossy(&view.body)
            );
            ConsumeResult::Success
        })
        .start()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    while received.load(Ordering::SeqCst) < args.common.count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    consumer.shutdown().await;
    let got = received.load(Ordering::SeqCst);
    if got < args.common.count {
        return Err(format!("received {got} of {}", args.common.count).into());
    }
    Ok(())
}
