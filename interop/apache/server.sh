#!/usr/bin/env bash
# A real Apache RocketMQ on loopback, assembled from Maven Central:
#   - `start`: 5.3.3, the name server and the proxy in local mode with its embedded broker;
#   - `start-cluster`: 5.5.0 in cluster mode, as production runs it: the name server, two
#     brokers (broker-a, broker-b, with the LMQ store flags lite topics need) and a proxy in
#     cluster mode, each its own JVM, on ports apart from the defaults (name server 19876, proxy
#     gRPC 18081 and remoting 18080, brokers 20911 and 21911 with their +1/-2 neighbours), and
#     a second proxy (`proxy-2`: gRPC 18091, remoting 18090) in front of the same brokers;
#     DIR/endpoints lists both proxies as clients take an endpoint list.
#
#   interop/apache/server.sh start DIR                # start, wait until ready, create topics and groups
#   interop/apache/server.sh start-cluster DIR        # the same for the 5.5.0 cluster
#   interop/apache/server.sh stop DIR                 # stop every JVM of either, wait for them to exit
#   interop/apache/server.sh kill-broker DIR NAME     # SIGKILL the cluster's broker NAME (broker-a
#                                                     # or broker-b), wait until its JVM is gone
#   interop/apache/server.sh start-broker DIR NAME    # start it again on its conf, store and home,
#                                                     # wait until it booted and registered anew
#   interop/apache/server.sh kill-proxy DIR NAME      # SIGKILL the cluster's proxy NAME (proxy or
#                                                     # proxy-2), wait until its JVM is gone
#   interop/apache/server.sh start-proxy DIR NAME     # start it again, wait until it serves
#
# kill-broker and start-broker act on the JVMs start-cluster started in DIR, on this machine;
# a restarted broker registers its loopback address (brokerIP1=127.0.0.1) again.
# DIR is a scratch directory for configs, store, logs and pids (created; wiped by start).
# When ready, `start` prints `apache-rocketmq listening on 127.0.0.1:8081` and the measured
# start-up times and RSS, and writes the endpoint to DIR/endpoint. Ports are the defaults
# (name server 9876, proxy gRPC 8081, proxy remoting 8080, broker 10911/10909/10912); they
# must be free.
#
# Topics created: the example topics demo (NORMAL), ordered (FIFO), later (DELAY),
# transfers (TRANSACTION), plus any listed in RMQ_APACHE_TOPICS as NAME:TYPE words. Consumer
# groups from RMQ_APACHE_GROUPS as NAME[:fifo][:max-attempts=N] words (the mini-broker's
# --group syntax); other groups are created on first use, topics are not (as in production).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: server.sh start|start-cluster|stop DIR, or server.sh kill-broker|start-broker|kill-proxy|start-proxy DIR NAME"
action=${1:?$usage}
dir=${2:?$usage}
# Absolute, so configs name the same store and logs whichever directory a later
# start-broker runs from.
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
lib=$here/target/lib
# The cluster's name server.
cluster_ns=127.0.0.1:19876

now_ms() { date +%s%3N; }
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

stop() {
  for name in proxy proxy-2 broker-a broker-b namesrv; do
    local pid_file=$dir/$name.pid
    [ -f "$pid_file" ] || continue
    local pid
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      # The JVMs run shutdown hooks (flush, unregister); give them time, then insist.
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
  done
}

# Waits until FILE contains PATTERN (on more than SKIP lines: 0 unless given) while PID lives;
# fails after SECONDS.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 seconds=$4 skip=${5:-0}
  local deadline=$(( $(date +%s) + seconds ))
  local count
  while count=$(grep -c "$pattern" "$file" 2>/dev/null || true); [ "${count:-0}" -le "$skip" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "apache-rocketmq: process $pid exited before '$pattern'; last lines of $file:" >&2
      tail -20 "$file" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "apache-rocketmq: no '$pattern' in $file after ${seconds}s" >&2
      return 1
    fi
    sleep 0.05
  done
}

jvm() { # jvm NAME HEAP MAIN ARGS... (in the background, pid in DIR/NAME.pid)
  local name=$1 heap=$2 main=$3
  shift 3
  # Each JVM has its own home in cluster mode: brokers write their logs under it.
  local home=${jvm_home:-$dir}
  mkdir -p "$home"
  java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
    -XX:ActiveProcessorCount=2 -XX:MaxDirectMemorySize=1g \
    -Duser.home="$home" -Drocketmq.home.dir="$home" \
    -cp "$lib/*" "$main" "$@" >"$dir/$name.out" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# Runs mqadmin commands (separated by --then) in one JVM; see Admin.java.
admin() {
  java -Xms128m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Duser.home="$dir" -Drocketmq.home.dir="$dir" -cp "$lib/*" "$here/Admin.java" "$@"
}

# Creates the example topics, RMQ_APACHE_TOPICS and RMQ_APACHE_GROUPS through name server NS on
# each of the cluster's BROKERS brokers. The admin tool reports failures on stdout only, so its
# success lines are counted.
create_topics_and_groups() {
  local ns=$1 brokers=$2
  local commands=() topics=0 groups=0 spec
  for spec in demo:NORMAL ordered:FIFO later:DELAY transfers:TRANSACTION ${RMQ_APACHE_TOPICS:-}; do
    commands+=(--then updateTopic -n "$ns" -c DefaultCluster -t "${spec%%:*}"
      -a "+message.type=${spec##*:}")
    topics=$((topics + 1))
  done
  local part name fifo retries bind
  local -a parts
  for spec in ${RMQ_APACHE_GROUPS:-}; do
    name=${spec%%:*}
    fifo=false
    retries=""
    bind=""
    IFS=: read -ra parts <<<"${spec#"$name"}"
    for part in "${parts[@]}"; do
      case $part in
        "") ;;
        fifo) fifo=true ;;
        # max delivery attempts = first delivery + retries
        max-attempts=*) retries=$((${part#max-attempts=} - 1)) ;;
        # a lite group (Apache 5.5) bound to its parent topic
        lite-topic=*) bind=${part#lite-topic=} ;;
        *) echo "apache-rocketmq: bad group spec '$spec'" >&2; return 1 ;;
      esac
    done
    commands+=(--then updateSubGroup -n "$ns" -c DefaultCluster -g "$name" -o "$fifo")
    if [ -n "$retries" ]; then commands+=(-r "$retries"); fi
    # (In updateSubGroup, -a means something else: the long option is the attributes.)
    if [ -n "$bind" ]; then commands+=(--attributes "+lite.bind.topic=$bind"); fi
    groups=$((groups + 1))
  done
  admin "${commands[@]}" >"$dir/admin.out" 2>&1 || true
  # (A group's report has no line end, so count matches rather than lines.)
  if [ "$(grep -o 'create topic to [^ ]* success' "$dir/admin.out" | wc -l)" -ne $((topics * brokers)) ] ||
    [ "$(grep -o 'create subscription group to [^ ]* success' "$dir/admin.out" | wc -l)" -ne $((groups * brokers)) ]; then
    echo "apache-rocketmq: creating topics or groups failed; see $dir/admin.out" >&2
    return 1
  fi
}

# Waits until name server NS lists BROKER (topics can only be created on registered brokers).
wait_registered() {
  local ns=$1 broker=$2
  for _ in $(seq 1 50); do
    if admin clusterList -n "$ns" 2>/dev/null | grep -q "$broker"; then
      return 0
    fi
    sleep 0.2
  done
  echo "apache-rocketmq: $broker never registered with $ns" >&2
  return 1
}

start() {
  if [ ! -d "$lib" ] || [ -z "$(ls -A "$lib" 2>/dev/null)" ]; then
    (cd "$here" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=target/lib)
  fi
  stop
  rm -rf "$dir"
  mkdir -p "$dir/store"
  # scanAvailableNameSrv=false: otherwise the name server keeps a connection to itself over
  # the machine's first non-loopback address, and tests stay on loopback.
  cat >"$dir/namesrv.properties" <<EOF
listenPort=9876
scanAvailableNameSrv=false
EOF
  cat >"$dir/rmq-proxy.json" <<EOF
{
  "rocketMQClusterName": "DefaultCluster",
  "namesrvAddr": "127.0.0.1:9876",
  "proxyMode": "local",
  "grpcServerPort": 8081,
  "remotingListenPort": 8080
}
EOF
  # Short transaction timings so orphan checks come within seconds, as in tests. The broker
  # writes commit/rollback marks in batches (transactionOpBatchInterval, 3 s by default); a
  # check scan before the mark is written asks the producer about a transaction it already
  # decided, so the batching interval is kept well below the check timeout. Brokers
  # re-register every 5 s (30 s by default) so new topics such as %DLQ% ones get routes soon.
  cat >"$dir/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
namesrvAddr=127.0.0.1:9876
storePathRootDir=$dir/store
listenPort=10911
autoCreateTopicEnable=false
autoCreateSubscriptionGroup=true
enablePropertyFilter=true
recallMessageEnable=true
transactionTimeOut=3000
transactionCheckInterval=1000
transactionCheckMax=5
transactionOpBatchInterval=100
registerNameServerPeriod=5000
EOF
  local t0 t1 t2
  t0=$(now_ms)
  jvm namesrv 256m org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.properties"
  wait_for_line "$dir/namesrv.out" "boot success" "$(cat "$dir/namesrv.pid")" 60
  t1=$(now_ms)
  jvm proxy 1g org.apache.rocketmq.proxy.ProxyStartup -pm local \
    -pc "$dir/rmq-proxy.json" -bc "$dir/broker.conf" -n 127.0.0.1:9876
  wait_for_line "$dir/proxy.out" "startup successfully" "$(cat "$dir/proxy.pid")" 120
  t2=$(now_ms)
  wait_registered 127.0.0.1:9876 broker-a
  create_topics_and_groups 127.0.0.1:9876 1
  local t3
  t3=$(now_ms)
  echo "127.0.0.1:8081" >"$dir/endpoint"
  echo "apache-rocketmq listening on 127.0.0.1:8081"
  echo "apache-rocketmq start-up: name server $((t1 - t0)) ms, proxy+broker $((t2 - t1)) ms," \
    "topics and groups $((t3 - t2)) ms; RSS name server $(rss_mb "$(cat "$dir/namesrv.pid")") MB," \
    "proxy+broker $(rss_mb "$(cat "$dir/proxy.pid")") MB" >&2
}

start_cluster() {
  lib=$here/cluster/target/lib
  if [ ! -d "$lib" ] || [ -z "$(ls -A "$lib" 2>/dev/null)" ]; then
    (cd "$here/cluster" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=target/lib)
  fi
  stop
  rm -rf "$dir"
  mkdir -p "$dir"
  local ns=$cluster_ns
  cat >"$dir/namesrv.properties" <<EOF
listenPort=19876
scanAvailableNameSrv=false
EOF
  # In cluster mode the proxy, not the client, picks the broker a send goes to (round robin
  # over its cached route, refreshed every 20 s), so a client's retries cannot steer around a
  # dead broker: with Apache's defaults a fifth of sends failed for ~16 s after a broker was
  # SIGKILLed (tests/failover.rs). sendLatencyEnable makes the proxy avoid a broker a send
  # failed on; startDetectorEnable probes it every 2 s and uses it again once it answers
  # (without the detector a broker that failed once is never sent to again). Sends with a
  # message group (FIFO) still hash to their queue.
  cat >"$dir/rmq-proxy.json" <<EOF
{
  "rocketMQClusterName": "DefaultCluster",
  "namesrvAddr": "$ns",
  "proxyMode": "cluster",
  "grpcServerPort": 18081,
  "remotingListenPort": 18080,
  "transactionHeartbeatPeriodSecond": 1,
  "sendLatencyEnable": true,
  "startDetectorEnable": true,
  "useEndpointPortFromRequest": true
}
EOF
  # The second proxy: the same, on its own ports. A route answer gives every broker the
  # addresses the client asked with (so a client moves to the other proxy when one dies), each
  # with the answering proxy's own port unless useEndpointPortFromRequest: needed when the
  # proxies share a host, as here.
  sed -e 's/"grpcServerPort": 18081/"grpcServerPort": 18091/' \
    -e 's/"remotingListenPort": 18080/"remotingListenPort": 18090/' \
    "$dir/rmq-proxy.json" >"$dir/rmq-proxy-2.json"
  # As the local harness (short transaction timings, registration every 5 s), plus the LMQ
  # flags lite topics need. Each broker has its own name, ports, store and home. A broker can
  # check an orphaned transaction only once the proxy's heartbeat has told it of the producer
  # (every 20 s by default: 1 s here), and it gives a half message up after
  # transactionCheckMax checks that found no producer, so that stays at Apache's 15.
  local name port
  for name in broker-a broker-b; do
    port=$([ "$name" = broker-a ] && echo 20911 || echo 21911)
    cat >"$dir/$name.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=$name
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
namesrvAddr=$ns
storePathRootDir=$dir/$name/store
storePathCommitLog=$dir/$name/store/commitlog
listenPort=$port
autoCreateTopicEnable=false
autoCreateSubscriptionGroup=true
enablePropertyFilter=true
recallMessageEnable=true
enableLmq=true
enableMultiDispatch=true
transactionTimeOut=3000
transactionCheckInterval=1000
transactionCheckMax=15
transactionOpBatchInterval=100
registerNameServerPeriod=5000
EOF
  done
  local t0 t1 t2 t3 t4
  t0=$(now_ms)
  jvm_home=$dir/namesrv jvm namesrv 256m org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.properties"
  wait_for_line "$dir/namesrv.out" "boot success" "$(cat "$dir/namesrv.pid")" 60
  t1=$(now_ms)
  for name in broker-a broker-b; do
    jvm_home=$dir/$name jvm "$name" 512m org.apache.rocketmq.broker.BrokerStartup -c "$dir/$name.conf" -n "$ns"
  done
  for name in broker-a broker-b; do
    wait_for_line "$dir/$name.out" "boot success" "$(cat "$dir/$name.pid")" 120
    # A cluster-mode proxy started before a broker has registered dies; wait for both.
    wait_for_line "$dir/$name/logs/rocketmqlogs/broker.log" \
      "Registering current broker to name server completed" "$(cat "$dir/$name.pid")" 60
  done
  t2=$(now_ms)
  for name in proxy proxy-2; do start_proxy_jvm "$name"; done
  for name in proxy proxy-2; do
    wait_for_line "$dir/$name.out" "startup successfully" "$(cat "$dir/$name.pid")" 120
  done
  t3=$(now_ms)
  wait_registered "$ns" broker-a
  wait_registered "$ns" broker-b
  create_topics_and_groups "$ns" 2
  t4=$(now_ms)
  echo "127.0.0.1:18081" >"$dir/endpoint"
  echo "127.0.0.1:18081;127.0.0.1:18091" >"$dir/endpoints"
  echo "apache-rocketmq listening on 127.0.0.1:18081"
  echo "apache-rocketmq 5.5.0 cluster start-up: name server $((t1 - t0)) ms, two brokers" \
    "$((t2 - t1)) ms, proxy $((t3 - t2)) ms, topics and groups $((t4 - t3)) ms; RSS name server" \
    "$(rss_mb "$(cat "$dir/namesrv.pid")") MB, brokers $(rss_mb "$(cat "$dir/broker-a.pid")") and" \
    "$(rss_mb "$(cat "$dir/broker-b.pid")") MB, proxies $(rss_mb "$(cat "$dir/proxy.pid")") and" \
    "$(rss_mb "$(cat "$dir/proxy-2.pid")") MB" >&2
}

# Starts proxy NAME's JVM (proxy or proxy-2) on the config start-cluster wrote.
start_proxy_jvm() {
  local name=$1
  jvm_home=$dir/$name jvm "$name" 512m org.apache.rocketmq.proxy.ProxyStartup -pm cluster \
    -pc "$dir/rmq-$name.json"
}

# Prints a grep pattern of the command line of the cluster's JVM NAME (broker-a, broker-b,
# proxy or proxy-2), to recognise it; fails when DIR holds no cluster.
cluster_member() {
  local name=$1 conf
  case $name in
    broker-a | broker-b) conf=$name.conf; echo "BrokerStartup -c .*/$name\\.conf " ;;
    proxy | proxy-2) conf=rmq-$name.json; echo "ProxyStartup -pm cluster -pc .*/rmq-$name\\.json" ;;
    *) echo "apache-rocketmq: no cluster member '$name' (broker-a, broker-b, proxy, proxy-2)" >&2; return 2 ;;
  esac
  if [ ! -f "$dir/$conf" ]; then
    echo "apache-rocketmq: no cluster in $dir (start-cluster writes $dir/$conf)" >&2
    return 1
  fi
}

# Whether PID is gone: exited, or a zombie nobody reaped yet (its ports are closed already).
gone() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
  [ -z "$state" ] || [ "$state" = Z ]
}

# SIGKILLs cluster member NAME, as a crash does: no shutdown hook runs (no flush, no
# unregistering); the name server notices a broker's closed connection. Waits until the
# process is gone.
kill_member() {
  local name=$1 pattern
  pattern=$(cluster_member "$name")
  local pid_file=$dir/$name.pid
  if [ ! -f "$pid_file" ]; then
    echo "apache-rocketmq: $name is not running (no $pid_file)" >&2
    return 1
  fi
  local pid t0
  pid=$(cat "$pid_file")
  # Only the JVM start-cluster started for this broker (a stale pid may name anything).
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$pattern"; then
    echo "apache-rocketmq: pid $pid in $pid_file is not $name's JVM" >&2
    return 1
  fi
  t0=$(now_ms)
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do gone "$pid" && break; sleep 0.05; done
  if ! gone "$pid"; then
    echo "apache-rocketmq: $name (pid $pid) still alive 15 s after SIGKILL" >&2
    return 1
  fi
  # The pid may be reused by another process; stop must not signal it.
  rm -f "$pid_file"
  echo "apache-rocketmq: $name (pid $pid) killed in $(( $(now_ms) - t0 )) ms" >&2
}

# Starts broker NAME again with the conf, store and home start-cluster gave it (its store
# recovers as after a crash). Ready once its new output says "boot success" and its log has a
# registration with the name server newer than the restart, and the name server lists it.
start_broker() {
  local name=$1
  case $name in broker-a | broker-b) ;; *) echo "apache-rocketmq: not a broker: $name" >&2; return 2 ;; esac
  cluster_member "$name" >/dev/null
  lib=$here/cluster/target/lib
  local pid_file=$dir/$name.pid
  if [ -f "$pid_file" ] && ! gone "$(cat "$pid_file")"; then
    echo "apache-rocketmq: $name is running (pid $(cat "$pid_file"))" >&2
    return 1
  fi
  local log=$dir/$name/logs/rocketmqlogs/broker.log
  local registered="Registering current broker to name server completed"
  local before t0 t1 t2
  before=$(grep -c "$registered" "$log" 2>/dev/null || true)
  # Keep the previous run's output next to the new one.
  if [ -f "$dir/$name.out" ]; then mv "$dir/$name.out" "$dir/$name.out.previous"; fi
  t0=$(now_ms)
  jvm_home=$dir/$name jvm "$name" 512m org.apache.rocketmq.broker.BrokerStartup \
    -c "$dir/$name.conf" -n "$cluster_ns"
  local pid
  pid=$(cat "$pid_file")
  wait_for_line "$dir/$name.out" "boot success" "$pid" 120
  t1=$(now_ms)
  wait_for_line "$log" "$registered" "$pid" 60 "${before:-0}"
  t2=$(now_ms)
  wait_registered "$cluster_ns" "$name"
  echo "apache-rocketmq: $name restarted: boot $((t1 - t0)) ms, registered $((t2 - t0)) ms," \
    "listed $(( $(now_ms) - t0 )) ms; RSS $(rss_mb "$pid") MB" >&2
}

# Starts proxy NAME again; ready when its new output says it started.
start_proxy() {
  local name=$1
  case $name in proxy | proxy-2) ;; *) echo "apache-rocketmq: not a proxy: $name" >&2; return 2 ;; esac
  cluster_member "$name" >/dev/null
  lib=$here/cluster/target/lib
  local pid_file=$dir/$name.pid
  if [ -f "$pid_file" ] && ! gone "$(cat "$pid_file")"; then
    echo "apache-rocketmq: $name is running (pid $(cat "$pid_file"))" >&2
    return 1
  fi
  if [ -f "$dir/$name.out" ]; then mv "$dir/$name.out" "$dir/$name.out.previous"; fi
  local t0
  t0=$(now_ms)
  start_proxy_jvm "$name"
  wait_for_line "$dir/$name.out" "startup successfully" "$(cat "$pid_file")" 120
  echo "apache-rocketmq: $name restarted in $(( $(now_ms) - t0 )) ms" >&2
}

case $action in
  start) start ;;
  start-cluster) start_cluster ;;
  stop) stop ;;
  kill-broker) case ${3:?$usage} in broker-*) kill_member "$3" ;; *) echo "$usage" >&2; exit 2 ;; esac ;;
  kill-proxy) case ${3:?$usage} in proxy*) kill_member "$3" ;; *) echo "$usage" >&2; exit 2 ;; esac ;;
  start-proxy) start_proxy "${3:?$usage}" ;;
  start-broker) start_broker "${3:?$usage}" ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
