#!/usr/bin/env bash
# Runs every rmq test from a clean checkout. It installs what it needs itself (Rust components,
# a Python venv with the Python binding built from source, the official RocketMQ clients for Java, Go, Python and Node.js and a real
# Apache RocketMQ server from their registries; cbindgen for the C binding, and the C tools it tests with through apt), so a fresh
# machine needs rustup, python3, a JDK with Maven, Go and Node.js with npm, and network access to the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Each step prints the minutes and seconds since the start, to see where CI's time goes.
step() { printf '\n==> [%dm%02ds] %s\n' $(( SECONDS / 60 )) $(( SECONDS % 60 )) "$*"; }

step "toolchain components"
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "coverage-guided fuzzing, started in the background (RELIABILITY.md, section 3; the reliability step waits for it)"
# It needs a nightly release build of its own and then 30 s a target, two at a time: it runs
# in the background at the lowest CPU and I/O priority, so it takes the time the other steps
# leave idle. Its crates are fetched first in the foreground (a starved download would hold
# cargo's package cache). --scratch: the committed corpus is read and left as it is. Its own
# session, so one kill stops the fuzzers it started too.
(cd fuzz && cargo fetch --locked --quiet)
fuzz_log="$root/target/fuzz.log"
mkdir -p "$root/target"
setsid nice -n 19 ionice -c 3 bash scripts/fuzz.sh --scratch --jobs 2 30 > "$fuzz_log" 2>&1 &
fuzz_pid=$!
stop_fuzzing() { kill -- "-$fuzz_pid" 2>/dev/null || true; }
trap stop_fuzzing EXIT

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
# The client benchmark has no tests, and it alone builds the published `rocketmq` crate, whose
# features (tokio "full") would give this build a feature set no later build has
# (workspace-hack/Cargo.toml); clippy above checks it.
cargo test --workspace --exclude rmq-client-bench

step "mini-broker on a real full filesystem (prints whether the small tmpfs could be mounted)"
cargo test --quiet -p rmq-mini-broker --test disk_faults a_full_filesystem -- --nocapture

step "quickstart (the README's main job)"
cargo run --quiet --example quickstart

step "examples against a broker process"
cargo build --quiet -p rmq-mini-broker --bin rmq-mini-broker
cargo build --quiet -p rmq-examples --examples
bash examples/against-broker.sh "$root/target/debug"

step "python venv (.venv)"
if [ ! -x "$root/.venv/bin/python" ]; then
  python3 -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r proto/conformance/requirements.txt

step "python binding: pip install ./bindings-python (the release wheel, as users install it)"
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r bindings-python/requirements-test.txt
started=$(date +%s)
rm -rf target/python-wheels
# `pip wheel` builds exactly what `pip install ./bindings-python` would install; keeping the
# wheel lets other Python versions below install the same one.
"$root/.venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
  -w target/python-wheels ./bindings-python
wheel=$(ls target/python-wheels/rmq-*.whl)
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
  --no-deps "$wheel"
echo "built and installed $(basename "$wheel") ($(( $(stat -c %s "$wheel") / 1024 )) KiB) in $(( $(date +%s) - started )) s"

step "node binding: npm install in bindings-node (builds the addon from source with cargo, and the type checker)"
started=$(date +%s)
(cd bindings-node && npm install --no-audit --no-fund --foreground-scripts)
echo "built $(ls bindings-node/lib/rmq.*.node) ($(( $(stat -c %s bindings-node/lib/rmq.*.node) / 1024 )) KiB) in $(( $(date +%s) - started )) s"

step "a real Apache RocketMQ 5.5.0 cluster (name server, two brokers, two cluster-mode proxies; from Maven Central): examples, the scenario suite (priority and lite included), the Python and Node bindings' scenarios, the C examples, then broker and proxy failover"
apache_dir="$root/target/apache-rocketmq"
# The cluster has priority (5.4+) and lite topics (5.5, cluster mode only).
export RMQ_SERVER_PRIORITY=1 RMQ_SERVER_LITE=1
cargo build --quiet -p rmq-interop-scenarios --bins --tests
eval "$(cargo run --quiet -p rmq-interop-scenarios --bin scenario-setup)"
# The Python and Node bindings' scenarios (test_server_scenarios.py, server_scenarios.test.mjs)
# need a FIFO group each; the Node quickstart its topic; the C examples (modern and legacy)
# theirs (bindings-c/examples/against-broker.sh).
export RMQ_APACHE_GROUPS="$RMQ_APACHE_GROUPS py-fifo:fifo node-fifo-sc:fifo legacy_fifo_group:fifo"
export RMQ_APACHE_TOPICS="$RMQ_APACHE_TOPICS quickstart:NORMAL orders:NORMAL LegacyTopic:NORMAL LegacyFifoTopic:FIFO LegacyDelayTopic:DELAY LegacyTxTopic:TRANSACTION"
trap 'stop_fuzzing; bash interop/apache/server.sh stop "$apache_dir" || true' EXIT
bash interop/apache/server.sh start-cluster "$apache_dir"
apache=$(cat "$apache_dir/endpoint")
bash examples/against-broker.sh "$root/target/debug" "$apache"
started=$(date +%s%3N)
RMQ_SCENARIO_ENDPOINT=$apache cargo test --quiet -p rmq-interop-scenarios --test scenarios
echo "scenario suite against the Apache RocketMQ 5.5.0 cluster: $(( $(date +%s%3N) - started )) ms"
(cd bindings-python/tests && RMQ_PY_SERVER_ENDPOINT=$apache \
  "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider test_server_scenarios.py)
(cd bindings-node && RMQ_NODE_SERVER_ENDPOINT=$apache node --test --test-timeout=180000 test/server_scenarios.test.mjs)
node bindings-node/examples/quickstart.mjs "$apache"
make -C bindings-c --no-print-directory examples-against ENDPOINT="$apache"
# Failover last, alone on the cluster: it SIGKILLs broker-a, then the first proxy, under traffic
# and restarts each.
started=$(date +%s%3N)
RMQ_SCENARIO_ENDPOINT=$apache RMQ_APACHE_CLUSTER_DIR=$apache_dir \
  cargo test --quiet -p rmq-interop-scenarios --test failover -- --nocapture
echo "failover scenario against the Apache RocketMQ 5.5.0 cluster: $(( $(date +%s%3N) - started )) ms"
bash interop/apache/server.sh stop "$apache_dir"
trap stop_fuzzing EXIT

step "wire conformance against the official rocketmq-python-client descriptors"
cargo run --quiet -p rmq-proto --example dump_descriptor_set target/rocketmq_v2.desc
"$root/.venv/bin/python" proto/conformance/check_wire.py target/rocketmq_v2.desc --self-test

step "python binding: quickstart, pytest suite (in-process mini-brokers; -X dev, PYTHONMALLOC=debug, resource warnings as errors), benchmark smoke run"
"$root/.venv/bin/python" bindings-python/examples/quickstart.py
# Run from the tests folder so `import rmq` is the installed package, not the source tree.
# Under Python's development mode and debug allocator: a buffer overrun or a double free in
# the extension aborts, and an unclosed socket or file fails the test that left it.
(cd bindings-python/tests && PYTHONMALLOC=debug "$root/.venv/bin/python" -X dev -m pytest -q \
  -p no:cacheprovider -W error::ResourceWarning \
  -W error::pytest.PytestUnraisableExceptionWarning .)
"$root/.venv/bin/python" bindings-python/bench/bench.py --quick
# The wheel is abi3 (CPython >= 3.9): the suite again on the oldest and newest CPython the
# machine has, when it has them (from pyenv, or on the PATH).
find_python() {
  local version=$1 found=""
  if command -v pyenv >/dev/null 2>&1; then
    local installed
    installed=$(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" | tail -1 || true)
    [ -n "$installed" ] && found="$(pyenv root)/versions/$installed/bin/python$version"
  fi
  if [ ! -x "$found" ]; then
    found=$(command -v "python$version" 2>/dev/null || true)
  fi
  if [ -n "$found" ] && "$found" -c 'import venv' >/dev/null 2>&1; then
    echo "$found"
  fi
}
for version in 3.9 3.13; do
  python_other=$(find_python "$version")
  if [ -z "$python_other" ]; then
    echo "python$version not found; the abi3 wheel is tested on $("$root/.venv/bin/python" -V) only"
    continue
  fi
  pytest_pin="pytest==9.2.0"
  [ "$version" = 3.9 ] && pytest_pin="pytest==8.4.2"  # pytest 9 needs Python 3.10
  rm -rf "target/venv-$version"
  "$python_other" -m venv "target/venv-$version"
  "target/venv-$version/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$wheel" "$pytest_pin"
  echo "$("target/venv-$version/bin/python" -V):"
  (cd bindings-python/tests && "$root/target/venv-$version/bin/python" -m pytest -q -p no:cacheprovider .)
done

step "node binding: node:test suite (in-process mini-brokers), types check, npm install ./bindings-node into a fresh app, benchmark smoke run"
(cd bindings-node && npm test && npm run types)
app=$(mktemp -d)
(cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --foreground-scripts "$root/bindings-node" \
  && cp "$root/bindings-node/examples/quickstart.mjs" . && node quickstart.mjs \
  && node -e "const { Producer } = require('rmq'); if (typeof Producer !== 'function') process.exit(1)")
rm -rf "$app"
(cd bindings-node/bench && npm install --no-audit --no-fund --silent)
node bindings-node/bench/bench.mjs --quick

step "C binding: make -C bindings-c header-check test (rmq.h against cbindgen 0.29.4; librmq's and librocketmq's C suites and the examples, also under valgrind; install with pkg-config and CMake; the legacy ABI and exported symbols)"
# cbindgen is pinned (point releases change rmq.h). It is installed apart from any other
# cbindgen, outside the work tree, so later runs and fresh clones on this machine reuse it.
cbindgen_version=0.29.4
if [ "$(cbindgen --version 2>/dev/null)" = "cbindgen $cbindgen_version" ]; then
  cbindgen=cbindgen
else
  cbindgen_root="${XDG_CACHE_HOME:-$HOME/.cache}/rmq/cbindgen-$cbindgen_version"
  cbindgen="$cbindgen_root/bin/cbindgen"
  if [ "$("$cbindgen" --version 2>/dev/null)" != "cbindgen $cbindgen_version" ]; then
    cargo install --quiet --locked cbindgen --version "$cbindgen_version" --root "$cbindgen_root"
  fi
fi
# make, a C compiler, valgrind, pkg-config and cmake from apt when missing (as root, or through
# sudo -n).
missing=()
for tool in make:make cc:gcc valgrind:valgrind pkg-config:pkg-config cmake:cmake; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  echo "installing ${missing[*]} with apt-get"
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
make -C bindings-c CBINDGEN="$cbindgen" header-check test examples-against
bindings-c/bench/run.sh --quick

step "official RocketMQ clients (Java, Go, Python, Node.js) against rmq-mini-broker"
cargo build --quiet -p rmq-mini-broker --bin rmq-mini-broker
bash interop/official/run.sh "$root/target/debug/rmq-mini-broker" "$root/.venv/bin/python"

step "Apache's mqadmin (rocketmq-tools, from the Apache step's Maven download) against the mini-broker's admin facade, then the official Java client on what it created"
bash interop/official/admin.sh "$root/target/debug/rmq-mini-broker" "$root/interop/apache/cluster/target/lib"

step "reliability campaign, short runs (RELIABILITY.md): fuzz corpus replay, the crash loop with the official Go client, client chaos, soak and lifecycle leak checks in Rust, Python (-X dev, PYTHONMALLOC=debug) and Node.js (--expose-gc)"
# Every input a fuzz target found interesting or that once crashed, on stable.
cargo test --quiet -p rmq-mini-broker --features fuzzing --test fuzz_corpus
cargo test --quiet -p rmq-client --features fuzzing --test fuzz_corpus
cargo build --quiet -p rmq-mini-broker --bin rmq-mini-broker
cargo build --quiet -p rmq-reliability --bins
(cd interop/official/go && go build -o check .)
target/debug/crash-loop --cycles 10 --official-go interop/official/go/check
target/debug/chaos --phase-seconds 2
# The short soak is mostly warm-up, so its memory bound is looser than the long run's 5 %;
# threads, descriptors and tasks may not grow at all.
target/debug/soak --seconds 30 --cycles 100 --sample-every 5 --max-rss-growth 15
PYTHONMALLOC=debug "$root/.venv/bin/python" -X dev bindings-python/reliability/lifecycle.py \
  --cycles 100 --max-rss-growth 15
# A closed client that kept the event loop alive would hang here.
(cd bindings-node && timeout 300 node --expose-gc --max-semi-space-size=1 reliability/lifecycle.mjs --cycles 100 --max-growth 15)
make -C bindings-c --no-print-directory lifecycle LIFECYCLE_CYCLES=100 LIFECYCLE_MAX_GROWTH=15
# The fuzzing started at the beginning: a crash, hang or memory limit fails here.
started=$(date +%s)
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
stop_fuzzing
trap - EXIT
cat "$fuzz_log"
echo "waited $(( $(date +%s) - started )) s for the fuzzing started at the beginning"
[ "$fuzz_status" -eq 0 ]

step "all tests passed"
