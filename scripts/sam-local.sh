#!/usr/bin/env bash
# `sam local`, as users run it: the template's functions built by `sam build` (cargo-lambda,
# arm64), then `sam local invoke` of every function with the events/ fixtures and env.json, and
# `sam local start-api` with the seed's dialog played against the template's HTTP API routes.
# Every answer is checked. Needs a Docker engine: it uses the caller's, or starts its own
# (Debian's docker.io, installed when missing); arm64 runs under qemu on x86_64; where AWS's
# Lambda base image cannot be pulled, a local stand-in built from Debian's packages is used
# (scripts/lib.sh). The local stack (DynamoDB Local on 8000, the CM.com stand-in on 9001, the
# local SES server on 9002) is started here, at the addresses env.json names. Prints `sam local: N passed, 0 failed`.
#
#   scripts/sam-local.sh          the checks (part of make test)
#   scripts/sam-local.sh serve    the stack and `sam local start-api` on 127.0.0.1:3000, until Ctrl-C
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

MODE="${1:-check}"
API_PORT="${SAM_API_PORT:-3000}"
CHECKS=0
FAILURES=()

cleanup() {
  [ -z "${API_PID:-}" ] || { kill -- "-$API_PID" 2>/dev/null || kill "$API_PID" 2>/dev/null || true; }
  # the function containers SAM started on our base image (warm ones outlive start-api)
  if [ -n "${BASE_IMAGE:-}" ]; then
    local ids
    ids=$(docker ps -aq --filter "ancestor=${BASE_IMAGE%%:*}:rapid-arm64" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_stack
  stop_dockerd
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! ensure_docker; then
  # a skip is never a silent pass: only an explicit SAM_LOCAL=skip turns this into one, and
  # `make test` then names the skip in its summary line
  if [ "${SAM_LOCAL:-}" = skip ]; then
    echo "sam local: skipped (SAM_LOCAL=skip): no Docker engine can run on this machine (see the line above)"
    exit 0
  fi
  die "sam local: no Docker engine can run on this machine (see the line above); to run the other stages without it: SAM_LOCAL=skip make test"
fi
ensure_arm64_emulation || die "arm64 emulation (qemu-user-static, binfmt_misc) could not be set up"
BASE_IMAGE=$(lambda_base_image) || die "no Lambda base image could be had"
log "functions run on $BASE_IMAGE"
SAM_IMAGE_ARGS=(--invoke-image "$BASE_IMAGE")
[ "$BASE_IMAGE" = "$LAMBDA_BASE_IMAGE" ] || SAM_IMAGE_ARGS+=(--skip-pull-image)

ensure_cargo_lambda
ensure_zig
ensure_template_tools
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu
log "sam build: the template's rust-cargolambda build, arm64 release (after scripts/build-release.sh it compiles nothing; alone, cold: about 6 minutes)"
# the release target dir of scripts/build-release.sh: what it compiled is not compiled again
CARGO_TARGET_DIR="$ROOT/target/cargo-lambda" sam build >"$LOCAL/sam-build.log" 2>&1 \
  || { tail -n 30 "$LOCAL/sam-build.log"; die "sam build failed (log: .local/sam-build.log)"; }

log "the local stack at env.json's addresses: DynamoDB Local on 8000, the CM.com stand-in on 9001, the local SES server on 9002"
ensure_dynamodb_local
ensure_ses_local
# the functions' containers reach the machine as host.docker.internal: the bridge's address,
# where DynamoDB Local and the stand-in listen too (besides loopback; nowhere else), and the
# local SES server (on the bridge's address alone: it binds one address)
bridge=$(docker_bridge_address) || die "the address of Docker's bridge network could not be found"
start_dynamodb_local 8000 "$bridge"
start_ses_local 9002 "$bridge"
prepare_functions 8000 9001 --also-listen "$bridge"
CM_STANDIN_URL="http://127.0.0.1:9001"

# What users type (docs/local.md), with the base image added.
sam_local() {
  sam local "$@" --config-env local "${SAM_IMAGE_ARGS[@]}"
}

if [ "$MODE" = serve ]; then
  log "sam local start-api on http://127.0.0.1:$API_PORT (Ctrl-C stops it)"
  sam_local start-api -p "$API_PORT"
  exit 0
fi

expect() { # what, got, wanted
  CHECKS=$((CHECKS + 1))
  if [ "$2" = "$3" ]; then
    printf '  ok      %s\n' "$1"
  else
    FAILURES+=("$1")
    printf '  FAIL    %s: expected %s, got %s\n' "$1" "$3" "$2"
  fi
}

# statusCode and body of what `sam local invoke` printed, as one line of compact JSON
answer_of() {
  python3 -c 'import json,sys
out = sys.stdin.read()
start = out.find("{\"statusCode\"")
if start < 0: print("no answer"); sys.exit()
answer = json.JSONDecoder().raw_decode(out[start:])[0]
body = answer.get("body") or ""
print(answer["statusCode"], json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True) if body else "-")'
}

log "sam local invoke: each function with its fixtures"
# SAM sends the invoke as soon as the container's port takes a connection. Behind Docker's
# userland port proxy (a caller's own Docker) that is before the emulated Runtime Interface
# Emulator inside listens, and SAM reports "no response" for a function that never ran (our own
# engine runs without the proxy: ensure_docker). The emulator logs `START RequestId` when it
# hands our function the event: without that line nothing ran (nothing can have been written or
# sent), and the invocation is tried again, at most twice, saying so. An answer that is wrong,
# or a function that ran and gave none, is never tried again.
invoke() { # function fixture wanted
  local out attempt
  for attempt in 1 2 3; do
    out=$(sam_local invoke "$1" -e "events/$2.json" 2>"$LOCAL/sam-invoke.log") || true
    grep -q '^START RequestId' "$LOCAL/sam-invoke.log" && break
    [ "$attempt" = 3 ] || printf '  (sam local invoke %s: the emulated container never started the function; invoking again)\n' "$1"
  done
  expect "sam local invoke $1 -e events/$2.json" "$(printf '%s' "$out" | answer_of)" "$3"
}
invoke AvailabilityFunction availability \
  '200 {"agentAvailable":true,"agentStatus":"online","reason":"agents_available"}'
invoke AvailabilityFunction availability-presence-check-token-in-url \
  '200 {"agentAvailable":true,"agentStatus":"online","reason":"agents_available"}'
invoke AvailabilityFunction availability-no-token \
  '401 {"error":"unauthorized","message":"missing or invalid X-Callout-Token header"}'
invoke IntakeFunction intake-name \
  '200 {"complete":false,"intakeStatus":"incomplete","invalid":[],"missing":["email"],"stored":true}'
invoke IntakeFunction intake-invalid-email \
  '200 {"complete":false,"intakeStatus":"invalid","invalid":["email"],"missing":["email"],"stored":false}'
invoke IntakeFunction intake-email \
  '200 {"complete":true,"intakeStatus":"complete","invalid":[],"missing":[],"stored":true}'
invoke HandoverFunction handover '200 {"handoverStatus":"success"}'
invoke HandoverFunction handover '200 {"handoverStatus":"success","reason":"already_handed_over"}'
invoke HandoverFunction handover-bad-chat-id \
  '400 {"error":"bad_request","message":"chatId must use only letters, digits and - _ = + ."}'
# the offline branch: the chat's e-mail stored again (the handover erased the intake, so the
# name is missing now), then its message, once
invoke IntakeFunction intake-email \
  '200 {"complete":false,"intakeStatus":"incomplete","invalid":[],"missing":["name"],"stored":true}'
invoke MessageFunction message '200 {"messageStatus":"sent"}'
invoke MessageFunction message '200 {"messageStatus":"sent","reason":"already_sent"}'
expect "the local SES server received one e-mail for the fixture's chat, with its Reply-To" \
  "$(curl -s --max-time 10 "$SES_LOCAL_URL/store" | python3 -c 'import json,sys
mails = [m for m in json.load(sys.stdin)["emails"] if "chat: chat-4f2a9c1e-demo" in m["body"]["text"]]
print(len(mails), *[",".join(m["replyTo"]) for m in mails])')" \
  "1 jan.devries@example.nl"
invoke MessageFunction message-no-token \
  '401 {"error":"unauthorized","message":"missing or invalid X-Callout-Token header"}'
invoke IntakeFunction intake-delete '204 -'

log "sam local start-api: the template's routes, the seed's dialog against them"
setsid sam local start-api -p "$API_PORT" --warm-containers EAGER --config-env local "${SAM_IMAGE_ARGS[@]}" \
  >"$LOCAL/sam-start-api.log" 2>&1 &
API_PID=$!
wait_for_port "$API_PORT" 180 "sam local start-api (log: .local/sam-start-api.log)"
API="http://127.0.0.1:$API_PORT"
# each route's warm container ready before the dialog: a call without a token (no I/O, nothing
# written) until it answers 401, as SAM answers 502 while an emulated container is still starting
# (see invoke above). Up to 3 minutes per route.
for route in availability intake handover message; do
  for ((i = 0; i < 90; i++)); do
    status=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' -X POST "$API/$route") || true
    [ "$status" = 401 ] && break
    sleep 2
  done
  expect "start-api: $route is up (401 without a token)" "$status" 401
done
python3 "$ROOT/scripts/dialog.py" --availability-url "$API/availability" --intake-url "$API/intake" \
  --handover-url "$API/handover" --message-url "$API/message" --ses "$SES_LOCAL_URL" \
  --token "$LOCAL_CALLOUT_TOKEN" --presence-check-token "$LOCAL_PRESENCE_CHECK_TOKEN" \
  --cm-standin "$CM_STANDIN_URL" --check \
  | tee "$LOCAL/sam-dialog.log"
dialog_checks=$(sed -n 's/^dialog: \([0-9][0-9]*\) passed, 0 failed$/\1/p' "$LOCAL/sam-dialog.log")
[ -n "$dialog_checks" ] || FAILURES+=("the dialog against sam local start-api")
smoke_checks "$API/availability" "$API/intake" "$API/handover" "$API/message" || true
CHECKS=$((CHECKS + SMOKE_PASSED + ${#SMOKE_FAILED[@]}))
FAILURES+=("${SMOKE_FAILED[@]}")
bad_body=$(curl -s --max-time 120 -o /dev/null -w '%{http_code}' -H "X-Callout-Token: $LOCAL_CALLOUT_TOKEN" \
  -H 'Content-Type: application/json' -d '{"chatId":' "$API/intake")
expect "start-api: a malformed body is 400" "$bad_body" 400
wrong_token=$(curl -s --max-time 120 -o /dev/null -w '%{http_code}' -H 'X-Callout-Token: wrong-token-0123456789' \
  -H 'Content-Type: application/json' -d '{"chatId":"c"}' "$API/handover")
expect "start-api: a wrong token is 401" "$wrong_token" 401

echo
if [ ${#FAILURES[@]} -gt 0 ]; then
  echo "sam local: $((CHECKS + ${dialog_checks:-0} - ${#FAILURES[@]})) passed, ${#FAILURES[@]} failed"
  exit 1
fi
echo "sam local: $((CHECKS + dialog_checks)) passed, 0 failed"
