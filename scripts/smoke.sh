#!/usr/bin/env bash
# The smoke test of a deployment (docs/deploy.md): is each URL the stack's, does it take the
# callout token, and does each function answer as the contract says (openapi.yaml)?
#
#   CALLOUT_TOKEN=<token> scripts/smoke.sh --stack <stack name> [--region <region>]
#       [--webstore <MSC web store>] [--message <your address>] [--handover [--chat-id <id>]]
#   CALLOUT_TOKEN=<token> scripts/smoke.sh --availability-url URL --intake-url URL
#       --handover-url URL [--message-url URL] [same options]
#
# Steps, one line each: asks availability (prints the verdict and its reason; with --webstore,
# for that web store: a read-only check that MSC's presence API takes the deployed key); stores
# an intake for a chat id of its own (smoke-<random>, a made-up name and e-mail address) and
# reads it back; with --message, sends ONE real e-mail through the message route to the support
# mailbox (the web store's with --webstore), Reply-To the address you name, and says what SES
# answered; with --handover, hands the chat over (a REAL handover: CM.com is called, and with a
# real chat id, --chat-id, an agent gets the chat); erases the intake and checks it is gone.
# Exit 0 only when every step answered as the contract says; 1 when one did not; 2 for bad usage.
# Needs curl and python3 (and the AWS CLI for --stack). Never prints the token.
set -uo pipefail

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
fail() { printf 'smoke: %s\n' "$*"; exit 1; }

availability_url="" intake_url="" handover_url="" message_url="" stack="" region="" chat="" handover=0
webstore="" message_to=""
while [ $# -gt 0 ]; do
  case "$1" in
    --availability-url) availability_url="${2:-}"; shift 2 ;;
    --intake-url) intake_url="${2:-}"; shift 2 ;;
    --handover-url) handover_url="${2:-}"; shift 2 ;;
    --message-url) message_url="${2:-}"; shift 2 ;;
    --webstore) webstore="${2:-}"; shift 2 ;;
    --message) message_to="${2:-}"; shift 2 ;;
    --stack) stack="${2:-}"; shift 2 ;;
    --region) region="${2:-}"; shift 2 ;;
    --chat-id) chat="${2:-}"; shift 2 ;;
    --handover) handover=1; shift ;;
    -h | --help) usage ;;
    *) printf 'smoke: unknown argument %s\n' "$1" >&2; usage ;;
  esac
done
[ -n "${CALLOUT_TOKEN:-}" ] || { printf 'smoke: set CALLOUT_TOKEN to one of the accepted callout tokens\n' >&2; exit 2; }
command -v curl >/dev/null || { printf 'smoke: curl is needed\n' >&2; exit 2; }

if [ -n "$stack" ]; then
  command -v aws >/dev/null || { printf 'smoke: --stack reads the outputs with the AWS CLI (aws), which is not installed\n' >&2; exit 2; }
  output() {
    aws cloudformation describe-stacks --stack-name "$stack" ${region:+--region "$region"} \
      --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
  }
  availability_url=$(output AvailabilityUrl) || fail "could not read the outputs of stack $stack (aws cloudformation describe-stacks failed; check the stack name, the region and your AWS credentials)"
  intake_url=$(output IntakeUrl) && handover_url=$(output HandoverUrl) || fail "could not read the outputs of stack $stack"
  [ -n "$availability_url" ] && [ "$availability_url" != None ] || fail "stack $stack has no AvailabilityUrl output"
  if [ -n "$message_to" ]; then
    message_url=$(output MessageUrl) || fail "could not read the outputs of stack $stack"
    [ -n "$message_url" ] && [ "$message_url" != None ] \
      || fail "stack $stack has no MessageUrl output: it was deployed without a mailbox (MessageFromIdentity, MessageFrom, MessageTo; docs/deploy.md)"
  fi
fi
if [ -n "$message_to" ] && [ -z "$message_url" ]; then
  printf 'smoke: --message needs the message route: give --stack, or --message-url\n' >&2
  exit 2
fi
case "$message_to" in
  "" | *@*.*) ;;
  *) printf 'smoke: --message takes the e-mail address a reply to the test message should reach\n' >&2; exit 2 ;;
esac
# JSON string values of the options (the web store and the address may hold any character)
json_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
[ -n "$availability_url" ] && [ -n "$intake_url" ] && [ -n "$handover_url" ] \
  || { printf 'smoke: give --stack, or all of --availability-url, --intake-url and --handover-url\n' >&2; exit 2; }
[ -n "$chat" ] || chat="smoke-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"

STATUS="" BODY="" URL=""
# One request: STATUS and BODY, or a line saying why the URL could not be reached.
call() { # step method url [json]
  local step=$1 method=$2 url=$3 data=${4:-} out code
  local args=(-sS --max-time 15 -X "$method" -H "X-Callout-Token: $CALLOUT_TOKEN" -w '\n%{http_code}')
  [ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
  out=$(curl "${args[@]}" "$url" 2>&1)
  code=$?
  case $code in
    0) ;;
    3) fail "$step: $url is not a URL" ;;
    6) fail "$step: cannot reach $url: its host name does not resolve" ;;
    7) fail "$step: cannot reach $url: nothing accepts connections there (connection refused)" ;;
    28) fail "$step: cannot reach $url: no answer within 15 s" ;;
    35 | 51 | 60) fail "$step: cannot reach $url: the TLS connection failed (curl exit $code)" ;;
    *) fail "$step: cannot reach $url (curl exit $code: ${out##*curl: })" ;;
  esac
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
  [ "$STATUS" != 401 ] || fail "$step: 401 from $url: the token in CALLOUT_TOKEN was refused ($(field message))"
  if [ "$STATUS" = 404 ] || [ "$STATUS" = 403 ]; then
    fail "$step: $STATUS from $url: no such route; is it the stack's $(output_of "$step") output?"
  fi
  URL=$url
}

# The stack output that holds the URL of a step.
output_of() {
  case "$1" in
    availability) echo AvailabilityUrl ;;
    handover) echo HandoverUrl ;;
    message) echo MessageUrl ;;
    *) echo IntakeUrl ;;
  esac
}

# The value at a dotted path of BODY's JSON, printed as text (lists comma-separated); empty when
# absent; "<not JSON>" when BODY is not JSON.
field() {
  BODY="$BODY" python3 - "$1" <<'PY'
import json, os, sys
try:
    value = json.loads(os.environ["BODY"])
except ValueError:
    print("<not JSON>")
    sys.exit()
for key in sys.argv[1].split("."):
    value = value.get(key) if isinstance(value, dict) else None
if isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, list):
    print(",".join(map(str, value)))
elif value is not None:
    print(value)
PY
}

expect_status() { # step wanted
  [ "$STATUS" != "$2" ] || return 0
  case "$STATUS" in
    4*) fail "$1: $STATUS from $URL, expected $2: $(field message); is it the stack's $(output_of "$1") output?" ;;
    *) fail "$1: $STATUS from $URL, expected $2: $(printf '%s' "$BODY" | head -c 300)" ;;
  esac
}

# 1. availability (dialog step 1), with a body only availability takes (intake and handover
# refuse `channel`), so that a swapped URL stores nothing and hands nothing over; with
# --webstore, for that web store: MSC's presence API is asked with the deployed key (read-only)
call availability POST "$availability_url" "{\"chatId\":\"$chat\",\"channel\":\"WebChat\"${webstore:+,\"webstore\":$(json_string "$webstore")}}"
expect_status availability 200
status=$(field agentStatus) reason=$(field reason)
case "$status/$reason" in
  online/agents_available | online/presence_check_disabled | offline/no_agents_available | \
    offline/upstream_unavailable | offline/outside_business_hours | offline/closed) ;;
  *) fail "availability: an answer off the contract from $URL: $BODY" ;;
esac
next=$(field nextOpening)
printf 'smoke: availability: %s (%s)%s\n' "$status" "$reason" "${next:+, next opening $next}"
if [ -n "$webstore" ]; then
  case "$reason" in
    agents_available | no_agents_available)
      printf 'smoke: presence: the presence source answered for web store %s with the deployed key (agents %s)\n' \
        "$webstore" "$([ "$status" = online ] && echo online || echo offline)" ;;
    upstream_unavailable)
      fail "presence: the presence source could not be asked for web store $webstore: a wrong MSC API key, MscPresenceUrl or MscChannel, or MSC down (the availability function's log says which: 'presence source failed')" ;;
    presence_check_disabled)
      printf 'smoke: presence: not checked: the stack has no presence source (PresenceSource=none)\n' ;;
    *)
      printf 'smoke: presence: not checked: closed by the opening hours now (%s); run it again within them\n' "$reason" ;;
  esac
fi

# 2. intake (dialog step 3): store, then read back
call intake POST "$intake_url" "{\"chatId\":\"$chat\",\"name\":\"Smoke Test\",\"email\":\"smoke-test@example.invalid\"}"
expect_status intake 200
[ "$(field stored)" = true ] || fail "intake: not stored: $BODY"
call intake POST "$intake_url" "{\"chatId\":\"$chat\"}"
expect_status intake 200
missing_stored=$(field missing) complete_stored=$(field complete)
case ",$missing_stored," in
  *,name,* | *,email,*) fail "intake: the stored name and e-mail address did not read back: $BODY" ;;
esac
printf 'smoke: intake: stored and read back for chat %s (complete: %s)\n' "$chat" "$complete_stored"

# 3. the offline branch's e-mail, only when asked: one real e-mail to the support mailbox, for a
# chat of its own (a sent message erases its intake)
if [ -n "$message_to" ]; then
  message_chat="${chat}-message"
  call message-intake POST "$intake_url" "{\"chatId\":\"$message_chat\",\"name\":\"Smoke Test\",\"email\":$(json_string "$message_to")}"
  expect_status intake 200
  [ "$(field stored)" = true ] || fail "message: the intake did not store $message_to as the customer's address: $BODY"
  call message POST "$message_url" "{\"chatId\":\"$message_chat\"${webstore:+,\"webstore\":$(json_string "$webstore")},\"message\":\"Smoke test of the offline branch (scripts/smoke.sh): a reply to this e-mail reaches the address the deployer named.\"}"
  expect_status message 200
  outcome=$(field messageStatus) reason=$(field reason)
  case "$outcome/$reason" in
    sent/ | sent/already_sent)
      printf 'smoke: message: sent: SES took one e-mail for the support mailbox (MessageTo%s), Reply-To %s; check that it arrived\n' \
        "${webstore:+, or the one MessageToByWebstoreParameter maps web store $webstore to}" "$message_to" ;;
    pending/*) printf 'smoke: message: pending: another call is sending it\n' ;;
    failed/upstream_rejected)
      fail "message: SES refused the e-mail. While your SES account is in the sandbox it sends only to verified identities: verify the support mailbox's address too, or request production access (docs/deploy.md, Amazon SES); also check that MessageFromIdentity is verified. The message function's log names SES's error code (ses_error)" ;;
    failed/outcome_unknown)
      fail "message: SES's answer is unknown (no answer in time, a 5xx or a broken connection): the e-mail may or may not arrive; run the check again to send it once more, marked as a possible repeat. See the message function's log" ;;
    failed/upstream_unreachable)
      fail "message: SES could not be reached: see the message function's log" ;;
    failed/limit_reached)
      fail "message: a limit on e-mails was reached (MessageLimitPerAddress for the Reply-To address, or MessageLimitPerDay): try again tomorrow or with another --message address" ;;
    failed/*) fail "message: failed ($reason): $BODY" ;;
    *) fail "message: an answer off the contract: $BODY" ;;
  esac
  call erase DELETE "${intake_url%/}/$message_chat"
  expect_status erase 204
else
  printf 'smoke: message: not tried (--message <your address> sends one real e-mail to the support mailbox)\n'
fi

# 4. handover (dialog step 4), only when asked
if [ "$handover" = 1 ]; then
  call handover POST "$handover_url" "{\"chatId\":\"$chat\",\"context\":{\"smokeTest\":\"true\"}}"
  expect_status handover 200
  outcome=$(field handoverStatus) reason=$(field reason)
  case "$outcome" in
    success | pending) printf 'smoke: handover: %s%s (CM.com was called for chat %s)\n' "$outcome" "${reason:+ ($reason)}" "$chat" ;;
    failed) fail "handover: failed ($reason): see the handover function's log" ;;
    *) fail "handover: an answer off the contract: $BODY" ;;
  esac
else
  printf 'smoke: handover: not tried (--handover hands the chat over for real)\n'
fi

# 5. erasure: 204, and what was stored is gone
call erase DELETE "${intake_url%/}/$chat"
expect_status erase 204
call erase POST "$intake_url" "{\"chatId\":\"$chat\"}"
expect_status erase 200
if [ "$complete_stored" = true ] && [ "$(field complete)" != false ]; then
  fail "erase: the intake still reads back after DELETE: $BODY"
fi
printf 'smoke: erase: the intake of chat %s is gone\n' "$chat"
echo "smoke: every step answered as the contract says"
