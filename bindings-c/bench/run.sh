#!/usr/bin/env bash
# The C binding benchmark: sequential sync sends and receive+ack through rmq.h (bench.c)
# beside the same loops made by the Rust core directly (peer.rs), alternating rounds against
# one in-memory mini-broker process; prints each round and the medians.
#
#   bindings-c/bench/run.sh [--quick]     (ROUNDS, SENDS, RECEIVES override the defaults)
#   PEER_ONLY=1 bindings-c/bench/run.sh   (the peer in both places: the noise floor)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} SENDS=${SENDS:-5000} RECEIVES=${RECEIVES:-5000}
if [[ "${1:-}" == "--quick" ]]; then ROUNDS=2 SENDS=1000 RECEIVES=1000; fi
PROFILE=${PROFILE:-dist}
TARGET=${CARGO_TARGET_DIR:-$(cd .. && pwd)/target}/$PROFILE
CC=${CC:-cc}
(cd .. && cargo build -q --profile "$PROFILE" -p rmq-mini-broker --bin rmq-mini-broker -p rmq-c --bin rmq-c-bench-peer)
mkdir -p build/bench
"$CC" -std=c11 -O2 -Wall -Wextra -Iinclude bench/bench.c -o build/bench/bench \
  -L"$TARGET" -lrmq -Wl,-rpath,"$TARGET" -lpthread

log=build/bench/broker.log
"$TARGET/rmq-mini-broker" --listen 127.0.0.1:0 --topic bench:NORMAL:8 >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
endpoint=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
[[ -n "$endpoint" ]] || { echo "the mini-broker did not start:"; cat "$log"; exit 1; }

echo "rmq C binding benchmark: 1 KiB bodies, in-memory mini-broker at $endpoint, $(nproc) cores"
results=build/bench/results.txt
: >"$results"
for round in $(seq "$ROUNDS"); do
  if [[ -n "${PEER_ONLY:-}" ]]; then
    "$TARGET/rmq-c-bench-peer" "$endpoint" "$SENDS" "$RECEIVES" | sed "s/^rust/c/"
  else
    build/bench/bench "$endpoint" "$SENDS" "$RECEIVES"
  fi | tee -a "$results" | sed "s/^/round $round: /"
  "$TARGET/rmq-c-bench-peer" "$endpoint" "$SENDS" "$RECEIVES" | tee -a "$results" | sed "s/^/round $round: /"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
c_send=$(awk '$1=="c" && $2=="send" {print $4}' "$results" | median)
r_send=$(awk '$1=="rust" && $2=="send" {print $4}' "$results" | median)
c_p50=$(awk '$1=="c" && $2=="send" {print $5}' "$results" | median)
r_p50=$(awk '$1=="rust" && $2=="send" {print $5}' "$results" | median)
c_recv=$(awk '$1=="c" && $2=="receive" {print $4}' "$results" | median)
r_recv=$(awk '$1=="rust" && $2=="receive" {print $4}' "$results" | median)
printf '\n%-34s %14s %14s %8s\n' "median of $ROUNDS rounds" "C (rmq.h)" "Rust core" "C/Rust"
printf '%-34s %10s msg/s %10s msg/s %8.3f\n' "sequential sync send" "$c_send" "$r_send" "$(ratio "$c_send" "$r_send")"
printf '%-34s %11s µs %11s µs\n' "  p50 latency" "$c_p50" "$r_p50"
printf '%-34s %10s msg/s %10s msg/s %8.3f\n' "receive(32) + ack" "$c_recv" "$r_recv" "$(ratio "$c_recv" "$r_recv")"
