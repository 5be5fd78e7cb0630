#!/usr/bin/env bash
# The inner loop (`make check`): formatting, clippy, and the unit and end-to-end tests against
# DynamoDB Local and the local SES server, as `make test` runs them. About a minute and a half
# on a warm tree; `make test` runs these and everything else before a change lands.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
ensure_dynamodb_local
ensure_ses_local
port=$(free_port)
log "starting DynamoDB Local on 127.0.0.1:$port"
start_dynamodb_local "$port"
trap 'stop_stack' EXIT
export_local_aws "$port"
ses_port=$(free_port)
log "starting the local SES server on 127.0.0.1:$ses_port"
start_ses_local "$ses_port"
log "unit and end-to-end tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked
else
  cargo test --workspace --locked
fi
log "make check: passed in $((SECONDS / 60))m$((SECONDS % 60))s"
