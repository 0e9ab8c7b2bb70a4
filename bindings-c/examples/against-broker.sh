#!/usr/bin/env bash
# Runs the C examples, modern (rmq.h) and legacy (rocketmq-client-cpp's API), as separate
# programs against one server: ENDPOINT (a real Apache RocketMQ proxy, say), or without it an
# rmq-mini-broker process started here. Each example checks its own result and exits non-zero
# on failure. The server needs the topics orders (NORMAL), LegacyTopic (NORMAL),
# LegacyFifoTopic (FIFO), LegacyDelayTopic (DELAY), LegacyTxTopic (TRANSACTION) and the FIFO
# group legacy_fifo_group. The legacy pull consumer runs only against the mini-broker: the
# Apache proxy does not implement the pull RPCs.
# Usage: examples/against-broker.sh EXAMPLES_DIR BROKER_BIN [ENDPOINT]
set -euo pipefail
bin=$1 broker_bin=$2 endpoint=${3:-}
pull=yes
if [ -z "$endpoint" ]; then
  out=$(mktemp)
  "$broker_bin" --listen 127.0.0.1:0 --log warn --topic orders:NORMAL --topic LegacyTopic:NORMAL \
    --topic LegacyFifoTopic:FIFO --topic LegacyDelayTopic:DELAY --topic LegacyTxTopic:TRANSACTION \
    --group legacy_fifo_group:fifo >"$out" &
  broker=$!
  trap 'kill $broker 2>/dev/null || true; rm -f "$out"' EXIT
  for _ in $(seq 1 200); do [ -s "$out" ] && break; sleep 0.05; done
  endpoint=$(sed -n 's/^rmq-mini-broker listening on //p' "$out")
  [ -n "$endpoint" ] || { echo "broker did not start"; exit 1; }
else
  pull=no
fi
passed=0
run() { # run NAME ARGS...: the example's output is shown only when it fails
  local name=$1 log
  shift
  log=$(mktemp)
  if ! timeout 120 "$@" >"$log" 2>&1; then
    echo "FAIL $name"; cat "$log"; rm -f "$log"; exit 1
  fi
  echo "PASS $name: $(tail -1 "$log")"
  rm -f "$log"
  passed=$((passed + 1))
}
run quickstart "$bin/quickstart" "$endpoint"
run push_consumer "$bin/push_consumer" "$endpoint"
for example in producer orderly_producer delay_producer batch_producer async_producer \
  push_consumer push_consumer_orderly transaction_producer; do
  run "legacy/$example" "$bin/legacy/$example" "$endpoint"
done
# The legacy way to name the server: NAMESRV_ADDR, when the program never sets an address.
NAMESRV_ADDR=$endpoint run "legacy/producer (NAMESRV_ADDR)" "$bin/legacy/producer"
if [ "$pull" = yes ]; then
  run legacy/pull_consumer "$bin/legacy/pull_consumer" "$endpoint"
fi
echo "C examples against $endpoint: $passed passed"
