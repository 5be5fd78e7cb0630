#!/usr/bin/env bash
# `make bench`: artifact size, cold start, warm latency and memory of availability, intake and handover (not yet message), next
# to the floor (a bare lambda_runtime echo built the same way) and to the raw dependency round
# trips, written to bench/results/ (README.md, results.json, chart.png).
#
# The release binaries run against a local Lambda Runtime API (`cargo lambda watch
# --only-lambda-apis`), with DynamoDB Local and the CM.com stand-in. BENCH_STARTS (20) cold
# starts and BENCH_INVOCATIONS (10000) warm invocations per function; the arm64 zips come from
# scripts/build-release.sh, and the sizes of what `sam build` ships. Absolute times drift on
# shared machines: compare the ratios. Then the instructions each function executes per warm
# request and for its init, counted with valgrind's callgrind (scripts/instructions.py), next to
# the floor and to the same requests made through the SDK (raw) and as plain signed HTTP
# (plain), and where they go by layer (scripts/profile_layers.py, on the profiling build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_dynamodb_local
ensure_cargo_lambda
ensure_matplotlib

ensure_template_tools
command -v valgrind >/dev/null || { log "installing valgrind (instruction counts)"; apt_install valgrind; }

log "the deployable arm64 zips (their sizes)"
scripts/build-release.sh
log "sam build: what users deploy, on the same target dir (compiles nothing when the zips' build matches it)"
CARGO_TARGET_DIR="$ROOT/target/cargo-lambda" sam build >"$LOCAL/sam-build.log" 2>&1 \
  || { tail -n 30 "$LOCAL/sam-build.log"; die "sam build failed (log: .local/sam-build.log)"; }
log "native release builds: availability, intake, handover, the floor and the two baselines (cold: about 3 minutes)"
cargo build --release --locked -p availability -p intake -p handover -p bench --bins
log "the worst pasted body against a normal one, in instructions (scripts/pasted_cost.py)"
python3 scripts/pasted_cost.py "$ROOT/target/release/pasted"
log "the same with symbols (the profiling profile), to attribute instructions (cold: about 4 minutes)"
cargo build --profile profiling --locked -p availability -p intake -p handover --bins

dynamodb_port=$(free_port)
log "starting DynamoDB Local on 127.0.0.1:$dynamodb_port"
start_dynamodb_local "$dynamodb_port"
trap 'stop_stack' EXIT
cm_port=$(free_port)
runtime_port=$(free_port)
while [ "$runtime_port" = "$cm_port" ]; do runtime_port=$(free_port); done
prepare_functions "$dynamodb_port" "$cm_port" --quiet
export RUST_LOG=info
spawn STACK_PIDS cargo lambda watch --quiet --only-lambda-apis -A 127.0.0.1 -P "$runtime_port" >"$LOCAL/bench-watch.log" 2>&1
wait_for_port "$runtime_port" 60 "cargo lambda watch"

python3 scripts/bench.py --root "$ROOT" --port "$runtime_port" --bin-dir "$ROOT/target/release" \
  --profiling-dir "$ROOT/target/profiling" \
  --starts "${BENCH_STARTS:-20}" --invocations "${BENCH_INVOCATIONS:-10000}" --out "$ROOT/bench/results"
