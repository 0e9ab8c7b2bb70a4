//! The Rust core's side of the C binding benchmark (`bench.c`): the same sequential sends and
//! receive+ack loop, made by `rmq-client` directly on the runtime shape the binding uses (the
//! caller-driven runtime, driven from the calling thread), printing the same lines.
//!
//! `rmq-c-bench-peer ENDPOINT SENDS RECEIVES`

use rmq_client::caller_driven::CallerDriven;
use rmq_client::{ClientConfig, FilterExpression, Message, Producer, SimpleConsumer};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, endpoint, sends, receives] = args.as_slice() else {
        return Err("usage: rmq-c-bench-peer ENDPOINT SENDS RECEIVES".into());
    };
    let (sends, receives): (usize, usize) = (sends.parse()?, receives.parse()?);
    let runtime = CallerDriven::start("rmq-io")?;
    let config = ClientConfig::builder()
        .endpoints(endpoint.as_str())
        .build()?;
    let producer = runtime.block_on(Producer::builder(config.clone()).topics(["bench"]).start())?;
    let message = Message::builder("bench", vec![b'x'; 1024]).build()?;

    for _ in 0..sends / 10 {
        runtime.block_on(producer.send(&message))?;
    }
    let mut took = Vec::with_capacity(sends);
    let started = Instant::now();
    for _ in 0..sends {
        let t = Instant::now();
        runtime.block_on(producer.send(&message))?;
        took.push(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    took.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "rust send {sends} {:.0} {:.1} {:.1}",
        sends as f64 / elapsed,
        micros(took[sends / 2]),
        micros(took[sends * 99 / 100])
    );

    for _ in 0..receives {
        runtime.block_on(producer.send(&message))?;
    }
    let group = format!("bench-rust-{}", std::process::id());
    let consumer = runtime.block_on(
        SimpleConsumer::builder(config, group)
            .subscribe("bench", FilterExpression::all())
            .await_duration(Duration::from_secs(1))
            .start(),
    )?;
    let mut got = 0;
    let started = Instant::now();
    while got < receives {
        let views = runtime.block_on(consumer.receive(32, Duration::from_secs(60)))?;
        for view in &views {
            runtime.block_on(consumer.ack(view))?;
        }
        got += views.len();
        if views.is_empty() && started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    println!(
        "rust receive {got} {:.0}",
        got as f64 / started.elapsed().as_secs_f64()
    );
    runtime.block_on(consumer.shutdown());
    runtime.block_on(producer.shutdown());
    Ok(())
}
