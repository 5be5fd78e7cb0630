#!/usr/bin/env bash
# Every test, against real parts: formatting and lints, then unit tests and the end-to-end
# tests (each function through its lambda_http entry point with the events/ fixtures, DynamoDB
# Local for the store, wiremock for CM.com). Installs what it needs into .local/ first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_dynamodb_local
port=$(free_port)
log "starting DynamoDB Local on 127.0.0.1:$port"
start_dynamodb_local "$port"
trap 'stop_stack' EXIT
export_local_aws "$port"

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test"
cargo test --workspace --locked

log "end to end: the three binaries under cargo lambda watch, DynamoDB Local, the CM.com stand-in"
ensure_cargo_lambda
cm_port=$(free_port)
lambda_port=$(free_port)
while [ "$lambda_port" = "$cm_port" ]; do lambda_port=$(free_port); done
start_functions "$port" "$cm_port" "$lambda_port"
play_dialog --check
