//! Prints, as shell assignments, the topics and groups the scenario suite needs, for
//! `interop/apache/server.sh` (`eval "$(scenario-setup)"`).

fn main() {
    println!(
        "export RMQ_APACHE_TOPICS='{}'",
        rmq_interop_scenarios::apache_topics()
    );
    println!(
        "export RMQ_APACHE_GROUPS='{}'",
        rmq_interop_scenarios::apache_groups()
    );
}
