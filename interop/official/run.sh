#!/usr/bin/env bash
# Runs the official RocketMQ clients (Java, Go, Python, Node.js, each from its own registry)
# against rmq-mini-broker started as a process. Installs what it needs; prints one tally per
# client and exits non-zero if any scenario failed.
#
# Usage: interop/official/run.sh BROKER_BINARY PYTHON [java|go|python|node]...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
broker=$1
python=$2
shift 2
clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(python node go java)

start_broker() {
  local out
  out=$(mktemp)
  "$broker" --listen 127.0.0.1:0 --log warn \
    --topic normal:NORMAL --topic fifo:FIFO:4 --topic delay:DELAY --topic tx:TRANSACTION \
    --topic prio:PRIORITY:10 --topic replies:LITE \
    --group java-lite:fifo:lite-topic=replies \
    --group java-fifo:fifo --group py-fifo:fifo --group node-fifo:fifo --group go-fifo:fifo \
    --group java-dlq:max-attempts=2 --group java-fifo-dlq:fifo:max-attempts=2 \
    --transaction-check-interval 1s >"$out" &
  broker_pid=$!
  for _ in $(seq 1 200); do
    if [ -s "$out" ]; then break; fi
    sleep 0.05
  done
  endpoint=$(sed -n 's/^rmq-mini-broker listening on //p' "$out")
  rm -f "$out"
  [ -n "$endpoint" ] || { echo "broker did not start"; exit 1; }
}

run_client() { # run_client CLIENT: starts a broker, runs the client's checks, stops the broker
  local client=$1 result log
  log=$(mktemp)
  start_broker
  set +e
  case $client in
    java) (cd "$here/java" && timeout 300 mvn -q -B -Dstyle.color=never exec:java -Dexec.args="$endpoint") >"$log" 2>&1 ;;
    go) timeout 150 "$here/go/check" "$endpoint" >"$log" 2>&1 ;;
    node) (cd "$here/node" && timeout 150 node check.js "$endpoint") >"$log" 2>&1 ;;
    python) timeout 150 "$python" "$here/python/check.py" "$endpoint" >"$log" 2>&1 ;;
  esac
  result=$?
  set -e
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(PASS|FAIL|[a-z]+ official client)' || true
  if [ "$result" -ne 0 ]; then
    # The client's own output (stack traces, its log) says why, e.g. after a timeout (124).
    echo "last lines of the $client run (exit $result):"
    sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -20
  fi
  rm -f "$log"
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  return "$result"
}

status=0
for client in "${clients[@]}"; do
  echo "--- official $client client"
  case $client in
    java) (cd "$here/java" && mvn -q -B -Dstyle.color=never compile) ;;
    go) (cd "$here/go" && go build -o "$here/go/check" .) ;;
    node) (cd "$here/node" && npm install --no-audit --no-fund --silent) ;;
    python) "$python" -m pip install --quiet --disable-pip-version-check rocketmq-python-client==5.1.2 ;;
  esac
  if ! run_client "$client"; then
    # A second run against a fresh broker tells a one-off from a real failure; the first
    # failure stays visible in the log.
    echo "RETRY official $client client: the first run failed; running it once more"
    run_client "$client" || status=1
  fi
done
exit $status
