#!/usr/bin/env bash
# Runs the scenario suite (interop/scenarios) against a real Apache RocketMQ 5.5.0 cluster
# started by interop/apache/server.sh (RMQ_APACHE_MODE=local: the 5.3.3 local-mode server,
# without the priority and lite scenarios), after creating the topics and groups the suite
# needs, and prints the suite's wall time; then, on the cluster only (local mode has one
# broker), the failover scenarios (tests/failover.rs: broker-a, then the first proxy, SIGKILLed and restarted
# under traffic). (`cargo test --workspace` runs the same suite and the failover scenario
# against in-process mini-brokers.)
# Usage: interop/run-scenarios.sh SCRATCH_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: interop/run-scenarios.sh SCRATCH_DIR}
# Absolute: cargo runs the failover test in its package's directory.
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
start="start-cluster"
if [ "${RMQ_APACHE_MODE:-cluster}" = local ]; then
  start=start
else
  export RMQ_SERVER_PRIORITY=1 RMQ_SERVER_LITE=1
fi
cargo build --quiet -p rmq-interop-scenarios --bin scenario-setup --tests
eval "$(cargo run --quiet -p rmq-interop-scenarios --bin scenario-setup)"
trap 'bash interop/apache/server.sh stop "$dir" || true' EXIT
bash interop/apache/server.sh "$start" "$dir"
started=$(date +%s%3N)
RMQ_SCENARIO_ENDPOINT=$(cat "$dir/endpoint") cargo test --quiet -p rmq-interop-scenarios --test scenarios
echo "scenario suite against Apache RocketMQ ($start): $(( $(date +%s%3N) - started )) ms"
if [ "$start" = start-cluster ]; then
  started=$(date +%s%3N)
  RMQ_SCENARIO_ENDPOINT=$(cat "$dir/endpoint") RMQ_APACHE_CLUSTER_DIR=$dir \
    cargo test --quiet -p rmq-interop-scenarios --test failover -- --nocapture
  echo "failover scenario against Apache RocketMQ ($start): $(( $(date +%s%3N) - started )) ms"
fi
