#!/usr/bin/env bash
# Apache's own admin tool (mqadmin, from the rocketmq-tools jar on Maven Central) against
# rmq-mini-broker's admin facade, and the official Java client using what it made: a strict
# broker refuses a topic nobody created, mqadmin creates a FIFO topic and an orderly group
# (and shows routes, the cluster, topic stats and the group's config, and deletes a topic and
# a group), then the Java client sends to the topic and consumes it in order with the group.
#
# Usage: interop/official/admin.sh BROKER_BINARY TOOLS_LIB_DIR
#   TOOLS_LIB_DIR holds rocketmq-tools and its dependencies (interop/apache/cluster/target/lib).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
broker=${1:?usage: admin.sh BROKER_BINARY TOOLS_LIB_DIR}
lib=${2:?usage: admin.sh BROKER_BINARY TOOLS_LIB_DIR}
work=$(mktemp -d)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$broker" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --strict --log warn >"$work/ready" &
broker_pid=$!
for _ in $(seq 1 200); do
  grep -q "admin on" "$work/ready" 2>/dev/null && break
  kill -0 "$broker_pid" 2>/dev/null || break
  sleep 0.05
done
endpoint=$(sed -n 's/^rmq-mini-broker listening on //p' "$work/ready")
admin=$(sed -n 's/^rmq-mini-broker admin on //p' "$work/ready")
[ -n "$endpoint" ] && [ -n "$admin" ] || { echo "broker did not start"; exit 1; }

java_check() { # java_check PHASE
  (cd "$here/java" && timeout 180 mvn -q -B -Dstyle.color=never exec:java \
    -Dcheck.main=rmq.interop.AdminCheck -Dexec.args="$endpoint $1") 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' | grep -E '^(PASS|FAIL|java official client|\s+at |[a-zA-Z.]+Exception)' || true
}

status=0
java_check before | tee "$work/before"
grep -q " 0 failed$" "$work/before" || status=1

# All commands in one JVM (interop/apache/Admin.java); the tool reports failures as stack
# traces and always exits 0, so its output is checked line by line below.
n=(-n "$admin")
timeout 300 java -Xms128m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Duser.home="$work" \
  -Drocketmq.home.dir="$work" -cp "$lib/*" "$here/../apache/Admin.java" \
  updateTopic "${n[@]}" -c DefaultCluster -t admin-fifo -a +message.type=FIFO -r 4 -w 4 \
  --then updateSubGroup "${n[@]}" -c DefaultCluster -g admin-orderly -o true -r 3 \
  --then updateTopic "${n[@]}" -c DefaultCluster -t admin-temp -a +message.type=NORMAL \
  --then updateSubGroup "${n[@]}" -c DefaultCluster -g admin-temp-group \
  --then topicRoute "${n[@]}" -t admin-fifo \
  --then clusterList "${n[@]}" \
  --then topicList "${n[@]}" \
  --then topicStatus "${n[@]}" -t admin-fifo \
  --then getConsumerConfig "${n[@]}" -g admin-orderly \
  --then deleteTopic "${n[@]}" -c DefaultCluster -t admin-temp \
  --then deleteSubGroup "${n[@]}" -c DefaultCluster -g admin-temp-group \
  >"$work/admin.out" 2>&1 || true

# The admin address as a literal inside the patterns below.
addr=${admin//./\\.}
expect() { # expect COUNT PATTERN WHAT
  local found
  found=$(grep -oE -- "$2" "$work/admin.out" | wc -l || true)
  if [ "$found" -ge "$1" ]; then
    echo "PASS mqadmin $3"
  else
    echo "FAIL mqadmin $3 (wanted $1 of /$2/, found $found)"
    status=1
  fi
}
expect 2 "create topic to $addr success" "updateTopic creates topics"
expect 2 "create subscription group to $addr success" "updateSubGroup creates groups"
expect 1 '"writeQueueNums":4' "topicRoute shows the 4-queue route"
expect 1 "DefaultCluster +broker-0 +0 +$addr" "clusterList lists the broker"
expect 1 "^admin-fifo$" "topicList lists the topic"
expect 4 "^broker-0 +[0-3] +0 +0" "topicStatus shows the 4 queues"
expect 1 "consumeMessageOrderly +=  true" "getConsumerConfig shows the orderly group"
expect 1 "delete topic \[admin-temp\] from cluster \[DefaultCluster\] success" "deleteTopic deletes"
expect 1 "delete subscription group \[admin-temp-group\] from broker \[$addr\] in cluster \[DefaultCluster\] success" \
  "deleteSubGroup deletes"
if grep -qE "Exception|CODE: [0-9]" "$work/admin.out"; then
  echo "FAIL mqadmin reported errors:"
  grep -E -A3 "Exception|CODE: [0-9]" "$work/admin.out" | head -40
  status=1
fi
[ "$status" -eq 0 ] || { echo "--- mqadmin output"; cat "$work/admin.out"; }

java_check after | tee "$work/after"
grep -q " 0 failed$" "$work/after" || status=1
exit $status
