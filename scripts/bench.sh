#!/usr/bin/env bash
# `make bench`: artifact size, cold start, warm latency and memory of the three functions, next
# to the floor (a bare lambda_runtime echo built the same way) and to the raw dependency round
# trips, written to bench/results/ (README.md, results.json, chart.png).
#
# The release binaries run against a local Lambda Runtime API (`cargo lambda watch
# --only-lambda-apis`), with DynamoDB Local and the CM.com stand-in. BENCH_STARTS (20) cold
# starts and BENCH_INVOCATIONS (10000) warm invocations per function; the arm64 zips come from
# scripts/build-release.sh. Absolute times drift on shared machines: compare the ratios.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_dynamodb_local
ensure_cargo_lambda
ensure_matplotlib

log "the deployable arm64 zips (their sizes)"
scripts/build-release.sh
log "native release builds: the three functions, the floor and the raw round trips"
cargo build --release --locked -p availability -p intake -p handover -p bench --bins

dynamodb_port=$(free_port)
log "starting DynamoDB Local on 127.0.0.1:$dynamodb_port"
start_dynamodb_local "$dynamodb_port"
trap 'stop_stack' EXIT
cm_port=$(free_port)
runtime_port=$(free_port)
while [ "$runtime_port" = "$cm_port" ]; do runtime_port=$(free_port); done
prepare_functions "$dynamodb_port" "$cm_port" --quiet
export RUST_LOG=info
setsid cargo lambda watch --quiet --only-lambda-apis -A 127.0.0.1 -P "$runtime_port" >"$LOCAL/bench-watch.log" 2>&1 &
STACK_PIDS+=($!)
wait_for_port "$runtime_port" 60 "cargo lambda watch"

python3 scripts/bench.py --root "$ROOT" --port "$runtime_port" --bin-dir "$ROOT/target/release" \
  --starts "${BENCH_STARTS:-20}" --invocations "${BENCH_INVOCATIONS:-10000}" --out "$ROOT/bench/results"
