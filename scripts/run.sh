#!/usr/bin/env bash
# The local stack in one command: DynamoDB Local (in memory), a CM.com stand-in, a local SES
# server, and the four functions under `cargo lambda watch` (reloaded when the code changes).
# Plays the seed's handover dialog and its offline branch once, then serves until Ctrl-C, which
# stops everything it started.
# Ports: DYNAMODB_PORT (8000), CM_PORT (9001), SES_PORT (9002), LAMBDA_PORT (9000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
CM_PORT="${CM_PORT:-9001}"
SES_PORT="${SES_PORT:-9002}"
LAMBDA_PORT="${LAMBDA_PORT:-9000}"
for port in "$DYNAMODB_PORT" "$CM_PORT" "$SES_PORT" "$LAMBDA_PORT"; do
  port_in_use "$port" && die "port $port is already in use: stop what uses it, or set DYNAMODB_PORT, CM_PORT, SES_PORT and LAMBDA_PORT to free ports"
done

# The stop: once, whatever ends the script, and not to be cut short. A stop by signal may come
# twice (a SIGTERM to make's process group reaches this script, and make may pass it on again),
# and Ctrl-C reaches every process in the terminal's group: further signals are ignored from the
# first moment of the stop until the last process is gone.
STOPPING=""
stop() {
  [ -z "$STOPPING" ] || return 0
  STOPPING=1
  trap '' INT TERM HUP
  stop_stack
  log "stopped: the functions, the CM.com stand-in, the local SES server and DynamoDB Local"
}
on_signal() {
  [ -z "$STOPPING" ] || return 0
  stop
  exit 130
}
trap stop EXIT
trap on_signal INT TERM HUP

ensure_dynamodb_local
ensure_ses_local
ensure_cargo_lambda
log "starting DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT"
start_dynamodb_local "$DYNAMODB_PORT"
log "starting the local SES server on 127.0.0.1:$SES_PORT"
start_ses_local "$SES_PORT"
start_functions "$DYNAMODB_PORT" "$CM_PORT" "$LAMBDA_PORT"

log "playing the handover dialog and its offline branch, as CAIC would"
play_dialog || true

cat <<TXT

The stack is running (Ctrl-C stops it). Unlike a deployment, it asks the stand-in's presence API
on every availability call (AVAILABILITY_CACHE_SECONDS=0), so switching its agents shows at once.
Try it:

  T='X-Callout-Token: $LOCAL_CALLOUT_TOKEN'; J='Content-Type: application/json'
  # the handover dialog, steps 1-4, for one chat (each line as CAIC sends it; paste them in order)
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-chat","webstore":"shop-nl"}' $FUNCTIONS_URL/availability/availability
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-chat","name":"Ada Lovelace"}' $FUNCTIONS_URL/intake/intake
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-chat","email":"ada@example.org"}' $FUNCTIONS_URL/intake/intake
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-chat","question":"Where is my order "A-17"?"}' $FUNCTIONS_URL/intake/intake
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-chat","skill":"billing","webstore":"shop-nl"}' $FUNCTIONS_URL/handover/handover
  curl -s -w '\n' $CM_STANDIN_URL/_standin/handovers                   # what CM.com received
  # a WhatsApp chat's step 1 (MSC presence asked on its WhatsApp channel); a chat for shop-be
  # while its agents are offline: shop-nl's team takes it (BUSINESS_HOURS' overflow)
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-whatsapp-chat","webstore":"shop-nl","channel":"WhatsApp"}' $FUNCTIONS_URL/availability/availability
  curl -s -w '\n' -X POST '$CM_STANDIN_URL/_standin/agents/offline?referrer=shop-be'
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-be-chat","webstore":"shop-be"}' $FUNCTIONS_URL/availability/availability
  curl -s -w '\n' -X POST '$CM_STANDIN_URL/_standin/agents/online'   # every team online again
  # a Dutch chat's step 1 for shop-nl-b2b, closed today and tomorrow: nextOpeningText is the
  # fallback line in the customer's language (shop-nl's and shop-nl-b2b's teams read Dutch too:
  # the handover's summary line above, and the e-mail below)
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-dutch-chat","webstore":"shop-nl-b2b","language":"nl"}' $FUNCTIONS_URL/availability/availability
  # the offline branch, for another chat (no agent could take it): its intake, then its message
  curl -s -w '\n' -X POST '$CM_STANDIN_URL/_standin/agents/offline?referrer=shop-nl'   # .../online switches back
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-other-chat","webstore":"shop-nl"}' $FUNCTIONS_URL/availability/availability
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-other-chat","email":"grace@example.org"}' $FUNCTIONS_URL/intake/intake
  curl -s -w '\n' -H "\$T" -H "\$J" -d '{"chatId":"my-other-chat","webstore":"shop-nl","message":"Please call me back"}' $FUNCTIONS_URL/message/message
  curl -s $SES_LOCAL_URL/store | python3 -m json.tool             # the e-mails the support mailbox received
  # erase a chat's intake at once; what MSC presence was asked
  curl -s -H "\$T" -X DELETE -w '%{http_code}\n' $FUNCTIONS_URL/intake/intake/my-other-chat
  curl -s -w '\n' $CM_STANDIN_URL/_standin/presence-requests
  # CAIC's presence-check webhook (no headers: its presence-check token in the URL; empty mscWebstore):
  curl -s -w '\\n' -H "\$J" -d '{"url":"https://shop.example/help","channel":"WebChat","data":{"context":""}}' '$FUNCTIONS_URL/availability/availability?calloutToken=$LOCAL_PRESENCE_CHECK_TOKEN'
  # a function alone, with a fixture (cargo lambda invoke):
  .local/venv/bin/cargo-lambda lambda invoke -A 127.0.0.1 -P $LAMBDA_PORT handover --data-file events/handover.json

TXT
wait
