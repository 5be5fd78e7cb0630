#!/usr/bin/env bash
# Every test, against real parts: the template's lints, formatting and clippy, then unit tests
# and the end-to-end tests (each function through its lambda_http entry point with the events/
# fixtures, DynamoDB Local for the store, wiremock for CM.com), then the seed's dialog and
# schemathesis against the binaries under cargo lambda watch, the release arm64 zips, the
# template's functions under `sam local` (scripts/sam-local.sh), and a bounded cargo-fuzz run.
# Installs what it needs into .local/ first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
# each stage's line says how long the run has taken so far, so that a slow or stuck stage shows
# in the last lines of any log (a CI run that ran out of time printed only its tail)
log() { printf '\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
# Each stage's time, for the table at the end (and .local/test-stages.txt): where a run's time
# goes, installs included (a cold run installs inside the stage that first needs the tool).
STAGES=()
stage_name="" stage_started=0
stage_end() {
  [ -n "$stage_name" ] && STAGES+=("$stage_name|$((SECONDS - stage_started))")
  stage_name=""
}
stage() { # short name, the line to log
  stage_end
  stage_name=$1 stage_started=$SECONDS
  log "$2"
}
stage_table() {
  local entry name seconds
  printf '%-32s %8s\n' "stage" "time"
  for entry in "${STAGES[@]}"; do
    name=${entry%|*} seconds=${entry##*|}
    printf '%-32s %5dm%02ds\n' "$name" $((seconds / 60)) $((seconds % 60))
  done
  printf '%-32s %5dm%02ds\n' "in all" $((SECONDS / 60)) $((SECONDS % 60))
}

# the installs started in the background below (name -> pid), stopped with the stack if the run ends
declare -A INSTALLS=()
port=$(free_port)
stage "DynamoDB Local" "starting DynamoDB Local on 127.0.0.1:$port"
ensure_dynamodb_local
start_dynamodb_local "$port"
trap 'kill "${INSTALLS[@]}" 2>/dev/null; stop_stack' EXIT
export_local_aws "$port"
ses_port=$(free_port)
stage "local SES server" "starting the local SES server on 127.0.0.1:$ses_port"
ensure_ses_local
start_ses_local "$ses_port"

# What installs over the network runs beside the first builds, which wait on the CPU: the Python
# tools (one pip at a time in each venv) and the IAM evaluator. A stage that needs one waits for
# it; an install that failed fails that stage, with its log.
background_install() { # name, the ensure_* functions to run in order
  local name=$1
  shift
  (for ensure in "$@"; do "$ensure"; done) >"$LOCAL/install-$name.log" 2>&1 &
  INSTALLS[$name]=$!
}
await_install() { # name
  if ! wait "${INSTALLS[$1]}"; then
    cat "$LOCAL/install-$1.log" >&2
    die "installing $1 failed (its log is above, and in .local/install-$1.log)"
  fi
}
background_install venv ensure_template_tools ensure_cargo_lambda ensure_zig ensure_schemathesis
background_install checkov ensure_checkov
background_install iam ensure_iam_simulate

stage "cargo fmt" "cargo fmt --check"
cargo fmt --all --check
stage "clippy" "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
stage "cfn-lint, sam validate" "template.yaml: cfn-lint (with AWS's serverless rules) and sam validate --lint"
await_install venv
ensure_template_tools
cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
sam validate --lint --region eu-west-1 --template template.yaml
stage "checkov" "template.yaml: checkov's CloudFormation checks (each suppression in the template says why)"
await_install checkov
ensure_checkov
"$LOCAL/checkov-venv/bin/checkov" --file template.yaml --framework cloudformation --compact \
  --quiet --skip-download

stage "Python scripts compile" "the Python scripts compile (the stand-in, the dialog, the benchmark, the IAM check)"
python3 -m py_compile scripts/*.py scripts/iam/*.py

stage "ICU data check" "shared/icu-data: ICU4X's data for our languages, as tools/icu-data writes it"
scripts/icu-data.sh --check
stage "cargo-deny" "cargo-deny: every license one we allow, one version of each crate (or a written reason), crates.io only"
ensure_cargo_deny
"$LOCAL/cargo/bin/cargo-deny" --locked check licenses bans sources
stage "third-party licenses" "third-party licenses: THIRD-PARTY-LICENSES.md lists what the four functions build"
python3 scripts/licenses.py --check
stage "unit and end-to-end tests" "unit and end-to-end tests (each AWS request the functions send is written down for the IAM check)"
rm -rf "$LOCAL/aws-requests"
export E2E_AWS_REQUESTS="$LOCAL/aws-requests"
if cargo nextest --version >/dev/null 2>&1; then
  # one process per test, and one summary line; falls back to cargo test where nextest is missing
  cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$LOCAL/tests.log"
  rust_tests=$(sed -n 's/.* \([0-9][0-9]*\) tests\{0,1\} run: \([0-9][0-9]*\) passed.*/\2/p' "$LOCAL/tests.log" | tail -n 1)
else
  cargo test --workspace --locked 2>&1 | tee "$LOCAL/tests.log"
  rust_tests=$(sed -n 's/^test result: ok\. \([0-9][0-9]*\) passed.*/\1/p' "$LOCAL/tests.log" | awk '{ total += $1 } END { print total + 0 }')
fi

unset E2E_AWS_REQUESTS

stage "IAM check" "permissions, as IAM evaluates them: each recorded request under its function's role, and nothing more (scripts/iam/check.py)"
await_install iam
ensure_iam_simulate
"$LOCAL/venv/bin/python3" scripts/iam/check.py "$LOCAL/aws-requests" | tee "$LOCAL/iam.log"
iam_checks=$(sed -n 's/^iam: .* \([0-9][0-9]*\) passed, 0 failed$/\1/p' "$LOCAL/iam.log")
[ -n "$iam_checks" ] || die "the IAM check failed (see above)"

stage "end-to-end, clock a year ahead" "the end-to-end tests again, with the clock a year ahead (libfaketime): no test may depend on today's date"
ensure_faketime
# Each test binary runs under faketime (cargo's target runner: the compiler and cargo itself do
# not, and nothing is rebuilt), so every clock the tests and the processes they start read is a
# year ahead, and a fixed instant that a test mixes with the real clock (an expiry written on one
# and checked on the other) fails now, not on the day it passes. DynamoDB Local and the local SES
# server stay on today's clock (they check no request's time). tests/e2e/clock.rs checks that
# the clock really moved.
host=$(rustc -vV | sed -n 's/^host: //p')
runner="CARGO_TARGET_$(echo "$host" | tr 'a-z-' 'A-Z_')_RUNNER"
if cargo nextest --version >/dev/null 2>&1; then
  env "$runner=faketime -f +365d" NO_FAKE_STAT=1 E2E_CLOCK_AHEAD_DAYS=365 \
    cargo nextest run --workspace --locked --no-fail-fast -E 'package(e2e)' 2>&1 | tee "$LOCAL/tests-ahead.log"
  ahead_tests=$(sed -n 's/.* \([0-9][0-9]*\) tests\{0,1\} run: \([0-9][0-9]*\) passed.*/\2/p' "$LOCAL/tests-ahead.log" | tail -n 1)
else
  env "$runner=faketime -f +365d" NO_FAKE_STAT=1 E2E_CLOCK_AHEAD_DAYS=365 \
    cargo test --workspace --locked --test e2e --test metrics 2>&1 | tee "$LOCAL/tests-ahead.log"
  ahead_tests=$(sed -n 's/^test result: ok\. \([0-9][0-9]*\) passed.*/\1/p' "$LOCAL/tests-ahead.log" | awk '{ total += $1 } END { print total + 0 }')
fi

stage "functions and the dialog" "end to end: the four binaries under cargo lambda watch, DynamoDB Local, the CM.com stand-in, the local SES server"
ensure_cargo_lambda
# the checked dialog expects agents to be offered: no opening hours from the caller's shell
unset BUSINESS_HOURS BUSINESS_HOURS_PARAM
cm_port=$(free_port)
lambda_port=$(free_port)
while [ "$lambda_port" = "$cm_port" ]; do lambda_port=$(free_port); done
start_functions "$port" "$cm_port" "$lambda_port"
# DynamoDB Local, the stand-in, the emulator and the functions: loopback only
check_loopback_only "${STACK_PIDS[@]}" "$DYNAMODB_PID" "$SES_PID"
play_dialog --check | tee "$LOCAL/dialog.log"
dialog_checks=$(sed -n 's/^dialog: \([0-9][0-9]*\) passed, 0 failed$/\1/p' "$LOCAL/dialog.log")
stage "smoke test" "the smoke test of a deployment (scripts/smoke.sh) against the running functions"
smoke_checks "$FUNCTIONS_URL/availability/availability" "$FUNCTIONS_URL/intake/intake" \
  "$FUNCTIONS_URL/handover/handover" "$FUNCTIONS_URL/message/message" \
  || die "the smoke test did not behave as documented"
smoke_passed=$SMOKE_PASSED

stage "schemathesis" "schemathesis: requests generated from openapi.yaml against the running functions"
ensure_schemathesis
: >"$LOCAL/schemathesis.log"
for function in availability intake handover message; do
  # a fixed, deterministic budget per operation; any 5xx, undocumented status, wrong media type
  # or response that breaks its schema fails the run
  # (scripts/schemathesis_hooks.py leaves out bodies that are not UTF-8, which the emulator
  # cannot carry; the end-to-end tests cover them)
  SCHEMATHESIS_HOOKS=scripts.schemathesis_hooks \
    schemathesis run openapi.yaml --url "$FUNCTIONS_URL/$function" --include-path-regex "^/$function" \
    --header "X-Callout-Token: $LOCAL_CALLOUT_TOKEN" --max-examples 25 --generation-deterministic \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --request-timeout 20 | tee -a "$LOCAL/schemathesis.log"
done
generated_cases=$(sed -n 's/.* generated, \([0-9][0-9]*\) passed.*/\1/p' "$LOCAL/schemathesis.log" | awk '{ total += $1 } END { print total + 0 }')
stop_stack
trap - EXIT

stage "stop test" "make run, stopped every way (SIGTERM to its group or to make, Ctrl-C, twice in a row) at every phase, and with opening hours of one's own: nothing may be left, no false failure"
python3 scripts/stop_test.py --deadline 900 | tee "$LOCAL/stop-test.log"
stop_checks=$(sed -n 's/^stop test: \([0-9][0-9]*\) passed, 0 failed$/\1/p' "$LOCAL/stop-test.log")
[ -n "$stop_checks" ] || die "make run did not stop cleanly every time (see above)"

stage "release build" "release build: the four arm64 bootstrap zips, as SAM and cargo-lambda deploy them"
scripts/build-release.sh

stage "sam local" "sam local: the template's functions from sam build, in AWS's Runtime Interface Emulator"
scripts/sam-local.sh | tee "$LOCAL/sam-local.log"
sam_local_checks=$(sed -n 's/^sam local: \([0-9][0-9]*\) passed, 0 failed$/\1/p' "$LOCAL/sam-local.log")
sam_local_note=""
if [ -z "$sam_local_checks" ]; then
  # counted stages must have run: only the explicit opt-out may leave this one out
  [ "${SAM_LOCAL:-}" = skip ] || die "sam local reported no checks"
  sam_local_note=" (sam local skipped: SAM_LOCAL=skip)"
fi

stage "fuzzing" "fuzzing: the request parsers and validators, 30 s per target (make fuzz runs longer)"
scripts/fuzz.sh 30

stage_end
echo
log "done"
stage_table | tee "$LOCAL/test-stages.txt"
echo "make test: $((rust_tests + ahead_tests + iam_checks + dialog_checks + smoke_passed + generated_cases + stop_checks + ${sam_local_checks:-0})) passed, 0 failed$sam_local_note"
