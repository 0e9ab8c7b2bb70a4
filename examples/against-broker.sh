#!/usr/bin/env bash
# Runs the example programs through their --endpoint flag and checks each printed one line
# per message. Without ENDPOINT they run against rmq-mini-broker started as a process; with
# it, against that server (a real Apache RocketMQ proxy, say), which must have the topics
# demo (NORMAL), ordered (FIFO), later (DELAY) and transfers (TRANSACTION).
# Usage: examples/against-broker.sh TARGET_DIR [ENDPOINT]
set -euo pipefail
bin=$1
endpoint=${2:-}
if [ -z "$endpoint" ]; then
  out=$(mktemp)
  "$bin/rmq-mini-broker" --listen 127.0.0.1:0 --log warn \
    --topic demo:NORMAL --topic ordered:FIFO --topic later:DELAY --topic transfers:TRANSACTION >"$out" &
  broker=$!
  trap 'kill $broker 2>/dev/null || true; rm -f "$out"' EXIT
  for _ in $(seq 1 200); do [ -s "$out" ] && break; sleep 0.05; done
  endpoint=$(sed -n 's/^rmq-mini-broker listening on //p' "$out")
  [ -n "$endpoint" ] || { echo "broker did not start"; exit 1; }
fi
# Consumer groups unique to this run, so a server that keeps its data between runs (or
# hands a new group its backlog, as Apache does) still gives each consumer fresh messages.
run=$$

expect() { # expect N PATTERN COMMAND...
  local want=$1 pattern=$2; shift 2
  local got
  got=$("$@" | grep -c "$pattern" || true)
  if [ "$got" -ne "$want" ]; then echo "FAIL $*: $got lines matching '$pattern', wanted $want"; exit 1; fi
  echo "PASS $(basename "$1") ${*:2}"
}
e=$bin/examples
expect 5 '^sent ' "$e/producer" --endpoint "$endpoint" --topic demo --count 5
expect 3 '^sent ' "$e/producer" --endpoint "$endpoint" --topic ordered --type fifo --message-group g1 --count 3
expect 2 '^sent ' "$e/producer" --endpoint "$endpoint" --topic later --type delay --delay-ms 300 --count 2
expect 5 '^received ' "$e/simple_consumer" --endpoint "$endpoint" --topic demo --group "simple-$run" --count 5 --timeout-secs 30
expect 5 '^received ' "$e/push_consumer" --endpoint "$endpoint" --topic demo --group "push-$run" --count 5 --timeout-secs 30
expect 4 '^sent ' "$e/transaction_producer" --endpoint "$endpoint" --topic transfers --count 4
expect 2 '^sent ' "$e/producer" --endpoint "$endpoint" --topic transfers --type transaction --count 2
echo "examples: 7 passed, 0 failed"
