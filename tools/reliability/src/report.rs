//! What the campaign's programs print: times to resume per client, and the ledger's verdict.

use crate::ledger::{Ledger, Report};
use crate::traffic::GROUPS;
use std::time::{Duration, Instant};

/// Time to resume after each restart, per client.
#[derive(Default)]
pub struct Resumes(pub Vec<(String, Vec<Duration>)>);

impl Resumes {
    pub fn add(&mut self, who: &str, took: Duration) {
        match self.0.iter_mut().find(|(name, _)| name == who) {
            Some((_, times)) => times.push(took),
            None => self.0.push((who.to_owned(), vec![took])),
        }
    }
}

impl Resumes {
    /// Waits until every producer in `sources` has a send acknowledged and every consumer
    /// group a delivery after `since`, recording how long each took; returns who did not
    /// within `timeout`.
    pub async fn wait(
        &mut self,
        ledger: &Ledger,
        sources: &[&str],
        since: Instant,
        timeout: Duration,
    ) -> Vec<String> {
        let deadline = since + timeout;
        let mut waiting: Vec<String> = sources.iter().map(|s| format!("producer {s}")).collect();
        waiting.extend(GROUPS.iter().map(|g| format!("consumer {}", g.name)));
        while !waiting.is_empty() && Instant::now() < deadline {
            waiting.retain(|who| {
                let resumed = match who.split_once(' ') {
                    Some(("producer", source)) => ledger.first_ack_after(source, since),
                    Some((_, group)) => ledger.first_delivery_after(group, since),
                    None => None,
                };
                match resumed {
                    Some(at) => {
                        self.add(who, at - since);
                        false
                    }
                    None => true,
                }
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waiting
    }
}

pub fn quantiles(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    if sorted.is_empty() {
        return "-".into();
    }
    format!(
        "median {} ms, p90 {} ms, max {} ms",
        at(0.5).as_millis(),
        at(0.9).as_millis(),
        at(1.0).as_millis()
    )
}

/// Each client's time to resume, over every fault it resumed from.
pub fn print_resumes(resumes: &Resumes) {
    for (who, times) in &resumes.0 {
        println!("  {who} resumed: {}", quantiles(times));
    }
}

/// Sends, per-group deliveries, ack errors and every violation (the first 20).
pub fn print_verdict(report: &Report) {
    for (source, ok) in &report.sent_ok {
        let failed = report.failed.get(source).copied().unwrap_or(0);
        println!("  producer {source}: {ok} sends acknowledged, {failed} failed");
    }
    println!(
        "  {:<10} {:>9} {:>10} {:>10} {:>11} {:>5} {:>13}",
        "group", "expected", "delivered", "deliveries", "duplicates", "lost", "out of order"
    );
    for g in &report.groups {
        println!(
            "  {:<10} {:>9} {:>10} {:>10} {:>11} {:>5} {:>13}",
            g.name,
            g.expected,
            g.delivered,
            g.deliveries,
            g.duplicates,
            g.lost.len(),
            g.order_violations
        );
        for key in g.lost.iter().take(10) {
            println!("FAIL {}: acknowledged {key} never delivered", g.name);
        }
    }
    for ((group, error), n) in &report.ack_errors {
        println!("  {group}: {n} acks returned {error}");
    }
    for violation in report.violations.iter().take(20) {
        println!("FAIL {violation}");
    }
    if report.violations.len() > 20 {
        println!("… and {} more violations", report.violations.len() - 20);
    }
}
