#!/usr/bin/env bash
# Coverage-guided fuzzing of every cargo fuzz target for a bounded time each (RELIABILITY.md,
# section 3):  bash scripts/fuzz.sh [--scratch] [--jobs N] [seconds per target, default 60] [target...]
# New interesting inputs go to fuzz/corpus/<target>/ (to minimize with `cargo fuzz cmin` and
# commit); with --scratch, as the test command runs it (in the background, from its first
# step), they go to a temporary directory and the committed corpus is only read, so a test run
# leaves the work tree as it was. It installs the nightly toolchain and the pinned cargo-fuzz
# when missing. A crash stops the run; its input is left in fuzz/artifacts/<target>/ and, once
# fixed, belongs in fuzz/regressions/<target>/ (replayed on stable by the fuzz_corpus tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=""
jobs=1
# A failing target ends the run: the others still running go too.
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  [ -z "$scratch" ] || rm -rf "$scratch"
}
trap cleanup EXIT
while [ $# -gt 0 ]; do
  case "$1" in
    --scratch) scratch=$(mktemp -d); shift ;;
    --jobs)
      jobs=${2:-}
      if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
        echo "fuzz.sh: --jobs needs a positive number of targets at a time, not '$jobs'" >&2
        exit 2
      fi
      shift 2 ;;
    *) break ;;
  esac
done
seconds=${1:-60}
shift || true
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: the seconds per target must be a positive number, not '$seconds'" >&2
  exit 2
fi
cargo_fuzz_version=0.13.2
cargo_fuzz_root="${XDG_CACHE_HOME:-$HOME/.cache}/rmq/cargo-fuzz-$cargo_fuzz_version"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if [ "$("$cargo_fuzz_root/bin/cargo-fuzz" --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
  cargo install --quiet --locked cargo-fuzz --version "$cargo_fuzz_version" --root "$cargo_fuzz_root"
fi
# Rust code needs coverage, not AddressSanitizer (-s none): a shorter build and faster runs.
fuzz() { (cd fuzz && PATH="$cargo_fuzz_root/bin:$PATH" cargo +nightly fuzz "$@"); }
started=$(date +%s)
fuzz build -O -s none --target-dir ../target/fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(fuzz list)
run() {
  local target=$1 corpus=()
  if [ -n "$scratch" ]; then
    # libFuzzer writes new inputs to the first directory and reads the others.
    mkdir -p "$scratch/$target"
    corpus=("$scratch/$target" "corpus/$target")
  fi
  fuzz run -O -s none --target-dir ../target/fuzz "$target" ${corpus[@]+"${corpus[@]}"} -- -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done)|panicked|Test unit written' | sed "s/^/$target: /"
}
# Up to `jobs` targets at a time; the first to fail ends the run with its status.
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n
  running=$((running - 1))
done
echo "fuzzed ${#targets[@]} targets for $seconds s each, $jobs at a time, in $(( $(date +%s) - started )) s"
