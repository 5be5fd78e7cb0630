#!/usr/bin/env python3
"""Plays the seed's handover dialog against running functions, as CAIC's API Callout nodes would.

Step 1 availability -> Step 2 Logical Step on agentStatus -> Step 3 intake (name, e-mail, then
the question) -> Step 4 handover, printing each call as a readable transcript. With --message-url
it then plays the offline branch (docs/caic.md): no agent online, so the customer leaves a
message, which reaches the support mailbox (the local SES server at --ses) by e-mail, once.
Bodies are built as CAIC builds a Raw body: each {{variable}} pasted into the text as it is, not
JSON-escaped, so the customer's own quotes and line breaks arrive as they were typed.
With --check it also plays the failure paths (agents offline for one page, CAIC's presence-check webhook with its token in the
URL, an invalid e-mail, a missing token, a duplicate handover, erasure) and exits non-zero on the first answer that differs from the contract: this is the
end-to-end test of the real binaries under `cargo lambda watch`.
"""

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

FAILURES = []
CHECKS = [0]


class Pasted(str):
    """A body as CAIC sends it: a Raw body template with its {{variables}} pasted in unescaped."""


def paste(template, **variables):
    """`template` with each {{name}} replaced by the value as it is (CAIC documents no escaping)."""
    return Pasted(re.sub(r"\{\{(\w+)\}\}", lambda m: variables[m.group(1)], template))


def call(method, url, body=None, token=None, content_type="application/json"):
    if body is None:
        data = None
    elif isinstance(body, Pasted):
        data = body.encode()
    else:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if content_type and data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("X-Callout-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, (json.loads(raw) if raw else None)


def show_request(step, method, url, body):
    """The call, printed before it is made: what the CM.com stand-in prints while answering it
    then comes right below it. A pasted body is shown as sent, its line breaks indented."""
    if body is None:
        shown_body = ""
    elif isinstance(body, Pasted):
        shown_body = " " + body.replace("\n", "\n" + " " * 12)
    else:
        shown_body = " " + json.dumps(body, ensure_ascii=False)
    print(f"  {step:<9} {method} {url}{shown_body}", flush=True)


def show_answer(status, answer):
    shown_answer = "" if answer is None else " " + json.dumps(answer, ensure_ascii=False)
    print(f"  {'':<9} <- {status}{shown_answer}", flush=True)


def expect(what, got, wanted):
    CHECKS[0] += 1
    if got != wanted:
        FAILURES.append(what)
        print(f"  FAIL    {what}: expected {json.dumps(wanted)}, got {json.dumps(got)}")


# with the caller's own opening hours, the chats that check what the local stack's default hours
# set up (shop-be's overflow, shop-nl's Dutch team and customers, shop-nl-b2b closed today and
# tomorrow) are not played
OWN_HOURS_LEFT_OUT = ("Your own BUSINESS_HOURS: the WhatsApp chat, the overflowed chat, the closed Dutch "
                      "chat and the offline branch are left out; they check the local stack's default "
                      "hours (docs/local.md), not yours.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--availability-url", required=True)
    parser.add_argument("--intake-url", required=True)
    parser.add_argument("--handover-url", required=True)
    parser.add_argument("--token", required=True, help="an accepted X-Callout-Token")
    parser.add_argument("--presence-check-token", required=True,
                        help="an accepted presence-check token (the only kind a URL may carry)")
    parser.add_argument("--cm-standin", required=True, help="base URL of scripts/cm_standin.py")
    parser.add_argument("--message-url", help="the message function: play the offline branch too")
    parser.add_argument("--ses", help="base URL of the local SES server (its /store lists what it received)")
    parser.add_argument("--check", action="store_true", help="also play failure paths; exit 1 on any mismatch")
    parser.add_argument("--own-hours", action="store_true",
                        help="BUSINESS_HOURS is the caller's own: play one chat through the dialog and "
                             "leave out the checks that rely on the local stack's default hours")
    args = parser.parse_args()
    if args.check and args.own_hours:
        parser.error("--check plays the local stack's default hours; leave out --own-hours")

    chat_id = "chat-" + uuid.uuid4().hex[:12]
    token = args.token

    def step(label, method, url, body=None, want=None, **kwargs):
        show_request(label, method, url, body)
        status, answer = call(method, url, body, **kwargs)
        show_answer(status, answer)
        if want is not None:
            expect(f"{label} {method} {url}", [status, answer], list(want))
        return status, answer

    print(f"CAIC: an answer with triggerEvent=handover fires the 'handover' event for chat {chat_id}")
    started = time.monotonic()
    # outside BUSINESS_HOURS (when set) the dialog rightly takes its fallback: only --check insists
    _, availability = step(
        "Step 1", "POST", args.availability_url, {"chatId": chat_id, "webstore": "shop-nl"},
        want=(200, {"agentStatus": "online", "agentAvailable": True, "reason": "agents_available"})
        if args.check else None,
        token=token,
    )
    if args.check:
        _, asked = call("GET", args.cm_standin + "/_standin/presence-requests")
        last = (asked or [{}])[-1]
        expect("MSC presence was asked for the webstore, with the key, on WebChat",
               [last.get("referrer"), last.get("Channel"), last.get("apikeyMatched"), last.get("parameters")],
               ["shop-nl", "WebChat", True, ["Channel", "apikey", "referrer"]])
    agent_status = (availability or {}).get("agentStatus")
    print(f"  {'Step 2':<9} Logical Step: agentStatus = {agent_status} -> "
          f"{'continue to the intake' if agent_status == 'online' else 'fallback: no agents available'}")
    if agent_status != "online":
        reason = (availability or {}).get("reason")
        if (availability or {}).get("nextOpeningText"):
            # step 2's closed branch, in English (docs/caic.md)
            print(f"The dialog ends in its closed output ({reason}): "
                  f"\"We're closed right now. We're back {availability['nextOpeningText']}.\"")
        elif reason == "closed_until_further_notice":
            print("The dialog ends in its closed output without a time (the opening hours name no "
                  "next opening): \"We're closed for now; leave us a message and we'll e-mail you.\"")
        else:
            print("The dialog ends in its fallback output (switch agents online: "
                  f"curl -X POST {args.cm_standin}/_standin/agents/online).")
        if args.own_hours:
            print(OWN_HOURS_LEFT_OUT)
        print("failed: " + "; ".join(FAILURES) if FAILURES else "")
        sys.exit(1 if FAILURES else 0)
    # the bodies docs/caic.md gives the dialog author, filled in as CAIC fills them
    name_and_email(args, step, chat_id, "Jan de Vries", "jan.devries@example.nl")
    question = 'Where is my order "NL-2026-0042"?'
    step("", "POST", args.intake_url,
         paste('{"chatId": "{{chatId}}", "question": "{{question}}"}', chatId=chat_id, question=question),
         want=(200, {"intakeStatus": "complete", "stored": True, "complete": True, "missing": [], "invalid": []}), token=token)
    step("Step 4", "POST", args.handover_url,
         paste('{"chatId": "{{chatId}}", "skill": "billing", "webstore": "shop-nl"}', chatId=chat_id),
         want=(200, {"handoverStatus": "success"}), token=token)
    status, handovers = call("GET", args.cm_standin + "/_standin/handovers")
    mine = [h for h in handovers or [] if h.get("ChatId") == chat_id]
    expect("CM.com received one handover for the chat", len(mine), 1)
    if mine:
        # (the stand-in printed the Context it received, under Step 4)
        context = dict(mine[0]["Context"])
        summary = context.pop("summary", "")
        customer = context.pop("CustomerInfo", "null")
        expect("handover Context", context, {
            "name": "Jan de Vries", "email": "jan.devries@example.nl", "question": question,
            "skill": "billing", "webstore": "shop-nl",
            "RoutingKeywords": "billing", "WebStoreReferrer": "shop-nl",
        })
        expect("handover CustomerInfo (a JSON string)", json.loads(customer),
               {"name": "Jan de Vries", "email": "jan.devries@example.nl"})
        expect("handover Mutations", mine[0]["Mutations"], [
            {"$type": "ruleMutation", "action": "Enable", "operator": "And", "targetAdapterId": "msc"},
            {"$type": "disableComponent", "ComponentId": "CMBot"},
        ])
        # shop-nl's team reads Dutch (its agentLanguage): our words in Dutch, the customer's as typed
        pattern = (r'Klant "Jan de Vries" \(e-mail "jan\.devries@example\.nl"\) vroeg om een medewerker op '
                   r'\d{4}-\d\d-\d\d \d\d:\d\d [A-Z0-9+-]+, vaardigheid "billing": "Where is my order \\"NL-2026-0042\\"\?"')
        print(f"  The agent of shop-nl's team reads: {summary}")
        if not args.own_hours:
            expect("handover Context summary, in the team's language", bool(re.fullmatch(pattern, summary)), True)
    print(f"The chat is with an MSC agent ({time.monotonic() - started:.2f} s).")
    if args.own_hours:
        # the other chats check what the local stack's default hours set up: shop-be's overflow,
        # shop-nl's Dutch team and customers, shop-nl-b2b closed today and tomorrow
        print("\n" + OWN_HOURS_LEFT_OUT)
        print("failed: " + "; ".join(FAILURES) if FAILURES else "")
        sys.exit(1 if FAILURES else 0)
    whatsapp_chat(args, step)
    overflowed_chat(args, step)
    dutch_closed_chat(args, step)
    if args.message_url:
        offline_branch(args, step)

    if args.check:
        print("\nFailure paths:")
        step("retry", "POST", args.handover_url, {"chatId": chat_id},
             want=(200, {"handoverStatus": "success", "reason": "already_handed_over"}), token=token)
        _, handovers = call("GET", args.cm_standin + "/_standin/handovers")
        expect("a retried handover is not sent again",
               len([h for h in handovers if h.get("ChatId") == chat_id]), 1)
        # the handover erased the intake (CM.com holds it now): nothing is stored for the chat
        step("bad", "POST", args.intake_url, {"chatId": chat_id, "email": "jan.devries at example"},
             want=(200, {"intakeStatus": "invalid", "stored": False, "complete": False, "missing": ["name", "email"], "invalid": ["email"]}),
             token=token)
        status, answer = step("no auth", "POST", args.handover_url, {"chatId": "someone-else"})
        expect("401 without token", [status, (answer or {}).get("error")], [401, "unauthorized"])
        status, answer = step("bad id", "POST", args.handover_url, {"chatId": "../../accounts"}, token=token)
        expect("400 for a bad chat id", [status, (answer or {}).get("error")], [400, "bad_request"])
        step("erase", "DELETE", f"{args.intake_url}/{chat_id}", want=(204, None), token=token)
        step("after", "POST", args.intake_url, {"chatId": chat_id},
             want=(200, {"intakeStatus": "incomplete", "stored": False, "complete": False, "missing": ["name", "email"], "invalid": []}),
             token=token)
        # CAIC's own presence-check webhook: no headers, so its presence-check token rides in the URL; with
        # mscWebstore unset, data.context is empty and the page URL is MSC's referrer
        page = "https://shop.example/help?topic=retour&lang=nl"
        call("POST", args.cm_standin + "/_standin/agents/offline?" + urllib.parse.urlencode({"referrer": page}), {})
        try:
            presence_check_url = (args.availability_url + "?"
                                  + urllib.parse.urlencode({"calloutToken": args.presence_check_token}))
            step("offline", "POST", presence_check_url, {"url": page, "channel": "WebChat", "data": {"context": ""}},
                 want=(200, {"agentStatus": "offline", "agentAvailable": False, "reason": "no_agents_available"}))
            _, asked = call("GET", args.cm_standin + "/_standin/presence-requests")
            expect("MSC presence was asked for the page URL", (asked or [{}])[-1].get("referrer"), page)
            step("webstore", "POST", presence_check_url, {"url": page, "channel": "WebChat",
                                                          "data": {"context": "shop-nl"}},
                 want=(200, {"agentStatus": "online", "agentAvailable": True, "reason": "agents_available"}))
            status, answer = step("url+own", "POST", presence_check_url, {"chatId": chat_id})
            expect("401 for a URL token with our own body", [status, (answer or {}).get("error")], [401, "unauthorized"])
            dialog_token_in_url = args.availability_url + "?" + urllib.parse.urlencode({"calloutToken": token})
            status, answer = step("dialog token in URL", "POST", dialog_token_in_url,
                                  {"url": page, "channel": "WebChat", "data": {"context": ""}})
            expect("401 for a dialog token in the URL", [status, (answer or {}).get("message")],
                   [401, "the presence-check token in the URL (calloutToken) was refused"])
        finally:
            call("POST", args.cm_standin + "/_standin/agents/online", {})
        print(f"\ndialog: {CHECKS[0] - len(FAILURES)} passed, {len(FAILURES)} failed")
    if FAILURES:
        print("failed: " + "; ".join(FAILURES))
        sys.exit(1)


def handover_of(args, chat_id):
    """The Routing Control request the CM.com stand-in received for `chat_id` (None if none)."""
    _, handovers = call("GET", args.cm_standin + "/_standin/handovers")
    mine = [h for h in handovers or [] if h.get("ChatId") == chat_id]
    expect(f"CM.com received one handover for chat {chat_id}", len(mine), 1)
    return mine[0] if mine else None


def name_and_email(args, step, chat_id, name, email):
    """Step 3's two intake callouts, as docs/caic.md wires them: the name, then the e-mail."""
    step("Step 3", "POST", args.intake_url,
         paste('{"chatId": "{{chatId}}", "name": "{{name}}"}', chatId=chat_id, name=name),
         want=(200, {"intakeStatus": "incomplete", "stored": True, "complete": False, "missing": ["email"], "invalid": []}), token=args.token)
    step("", "POST", args.intake_url,
         paste('{"chatId": "{{chatId}}", "email": "{{email}}"}', chatId=chat_id, email=email),
         want=(200, {"intakeStatus": "complete", "stored": True, "complete": True, "missing": [], "invalid": []}), token=args.token)


def whatsapp_chat(args, step):
    """CAIC's WhatsApp livechat flow (docs/caic.md): the same steps, each callout passing the
    chat's channel, so that MSC presence is asked about the web store's WhatsApp agents and the
    agent reads which channel the customer is on."""
    chat_id = "chat-" + uuid.uuid4().hex[:12]
    token = args.token
    print(f"\nCAIC: a WhatsApp chat, {chat_id}, for shop-nl")
    _, availability = step("Step 1", "POST", args.availability_url,
                           paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}", "channel": "{{channel}}"}',
                                 chatId=chat_id, webstore="shop-nl", channel="WhatsApp"),
                           want=(200, {"agentStatus": "online", "agentAvailable": True, "reason": "agents_available"})
                           if args.check else None, token=token)
    if args.check:
        _, asked = call("GET", args.cm_standin + "/_standin/presence-requests")
        last = (asked or [{}])[-1]
        expect("MSC presence was asked about shop-nl's WhatsApp agents",
               [last.get("referrer"), last.get("Channel")], ["shop-nl", "WhatsApp"])
    if (availability or {}).get("agentStatus") != "online":
        print("  (no agent online: this chat takes the fallback)")
        return
    name_and_email(args, step, chat_id, "Lotte Visser", "lotte.visser@example.nl")
    step("Step 4", "POST", args.handover_url,
         paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}", "channel": "{{channel}}"}',
               chatId=chat_id, webstore="shop-nl", channel="WhatsApp"),
         want=(200, {"handoverStatus": "success"}), token=token)
    handover = handover_of(args, chat_id)
    if handover:
        context = handover["Context"]
        expect("the WhatsApp chat's Context names its channel and web store",
               [context.get("channel"), context.get("WebStoreReferrer")], ["WhatsApp", "shop-nl"])
        expect("the agent's summary says the channel",
               'kanaal "WhatsApp"' in context.get("summary", ""), True)
        expect("the WhatsApp chat's mutations name its adapter as the source",
               handover["Mutations"], [
                   {"$type": "ruleMutation", "action": "Enable", "operator": "And",
                    "sourceAdapterId": "whatsapp", "targetAdapterId": "msc"},
                   {"$type": "disableComponent", "ComponentId": "CMBot"},
               ])
    print("The WhatsApp chat is with an MSC agent of shop-nl.")
    if args.check:
        # a channel MSC has no agents on: offline at once, MSC presence not asked
        _, before = call("GET", args.cm_standin + "/_standin/presence-requests")
        step("unserved", "POST", args.availability_url,
             {"chatId": chat_id, "webstore": "shop-nl", "channel": "Telegram Messenger"},
             want=(200, {"agentStatus": "offline", "agentAvailable": False, "reason": "channel_not_served"}),
             token=token)
        _, after = call("GET", args.cm_standin + "/_standin/presence-requests")
        expect("MSC presence was not asked about a channel without agents", len(after or []), len(before or []))


def overflowed_chat(args, step):
    """A chat whose web store cannot take it: shop-be's agents are offline, and shop-be's entry of
    the opening hours (BUSINESS_HOURS) names shop-nl as its overflow. Availability answers
    online for shop-nl and records that on the chat; the dialog's handover, unchanged (it passes
    the web store it asked about), goes to shop-nl's team, and the agent reads where it came from."""
    chat_id = "chat-" + uuid.uuid4().hex[:12]
    token = args.token
    print(f"\nCAIC: a chat, {chat_id}, for shop-be while no agent of shop-be is online (shop-be overflows to shop-nl)")
    call("POST", args.cm_standin + "/_standin/agents/offline?" + urllib.parse.urlencode({"referrer": "shop-be"}), {})
    try:
        _, availability = step("Step 1", "POST", args.availability_url,
                               paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}"}',
                                     chatId=chat_id, webstore="shop-be"),
                               want=(200, {"agentStatus": "online", "agentAvailable": True,
                                           "reason": "agents_available", "webstore": "shop-nl",
                                           "overflowFrom": "shop-be"}) if args.check else None,
                               token=token)
    finally:
        call("POST", args.cm_standin + "/_standin/agents/online?" + urllib.parse.urlencode({"referrer": "shop-be"}), {})
    if (availability or {}).get("agentStatus") != "online":
        print("  (no team online: this chat takes the fallback)")
        return
    name_and_email(args, step, chat_id, "Elise Peeters", "elise.peeters@example.be")
    step("Step 4", "POST", args.handover_url,
         paste('{"chatId": "{{chatId}}", "skill": "billing", "webstore": "{{webstore}}"}',
               chatId=chat_id, webstore="shop-be"),
         want=(200, {"handoverStatus": "success"}), token=token)
    handover = handover_of(args, chat_id)
    if handover:
        context = handover["Context"]
        expect("the overflowed chat goes to shop-nl's team, from shop-be",
               [context.get("WebStoreReferrer"), context.get("webstore"), context.get("overflowFrom")],
               ["shop-nl", "shop-nl", "shop-be"])
        expect("the agent's summary says where the chat overflowed from, in shop-nl's team's language",
               'doorgestuurd van webwinkel "shop-be"' in context.get("summary", ""), True)
    print("The chat is with an MSC agent of shop-nl, the team shop-be overflows to.")
    if args.check:
        overflow_failure_paths(args, step)


def dutch_closed_chat(args, step):
    """A Dutch chat for shop-nl-b2b, closed today and tomorrow: step 1 answers offline with the
    next opening, and with nextOpeningText, the line the dialog's fallback shows as it is, in the
    customer's language (the request's `language`; shop-nl-b2b's entry of the opening hours says
    Dutch too)."""
    chat_id = "chat-" + uuid.uuid4().hex[:12]
    print(f"\nCAIC: a Dutch chat, {chat_id}, for shop-nl-b2b (closed today and tomorrow)")
    _, availability = step("Step 1", "POST", args.availability_url,
                           paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}", "language": "{{language}}"}',
                                 chatId=chat_id, webstore="shop-nl-b2b", language="nl"),
                           token=args.token)
    text = (availability or {}).get("nextOpeningText", "")
    print(f"  {'Step 2':<9} Logical Step: agentStatus = {(availability or {}).get('agentStatus')} -> "
          f"fallback output: \"We zijn weer bereikbaar {text}.\"")
    if args.check:
        expect("a closed web store's step 1: offline, closed, with the next opening",
               [(availability or {}).get(k) for k in ("agentStatus", "reason")], ["offline", "closed"])
        expect("the next opening in Dutch, at the web store's 09:00", text.endswith(" om 09:00"), True)
        # the same chat asked in German; and with its language unset, the web store's (Dutch)
        _, german = call("POST", args.availability_url,
                         {"chatId": chat_id, "webstore": "shop-nl-b2b", "language": "de-AT"}, token=args.token)
        expect("asked in German, the next opening in German",
               (german or {}).get("nextOpeningText", "").endswith(" um 09:00 Uhr"), True)
        _, unset = call("POST", args.availability_url,
                        Pasted('{"webstore": "shop-nl-b2b", "language": "{{language}}"}'), token=args.token)
        expect("an unset language: the web store's", (unset or {}).get("nextOpeningText"), text)


def overflow_failure_paths(args, step):
    """Overflow's other cases against the running functions: a handover naming another web store
    goes there; with no team online the answer is the requested web store's own; a slow
    overflow presence answer is waited for only within availability's budget."""
    token = args.token
    switch = lambda state, **where: call(  # noqa: E731
        "POST", args.cm_standin + f"/_standin/agents/{state}?" + urllib.parse.urlencode(where), {})
    try:
        switch("offline", referrer="shop-be")
        chosen = "chat-" + uuid.uuid4().hex[:12]
        step("overflow", "POST", args.availability_url, {"chatId": chosen, "webstore": "shop-be"},
             want=(200, {"agentStatus": "online", "agentAvailable": True, "reason": "agents_available",
                         "webstore": "shop-nl", "overflowFrom": "shop-be"}), token=token)
        step("chosen", "POST", args.handover_url, {"chatId": chosen, "webstore": "shop-de"},
             want=(200, {"handoverStatus": "success"}), token=token)
        handover = handover_of(args, chosen)
        if handover:
            expect("a handover naming another web store goes there",
                   [handover["Context"].get("WebStoreReferrer"), handover["Context"].get("overflowFrom")],
                   ["shop-de", None])
        switch("offline", referrer="shop-nl")
        step("nobody", "POST", args.availability_url,
             {"chatId": "chat-" + uuid.uuid4().hex[:12], "webstore": "shop-be"},
             want=(200, {"agentStatus": "offline", "agentAvailable": False, "reason": "no_agents_available"}),
             token=token)
        switch("online", referrer="shop-nl")
        call("POST", args.cm_standin + "/_standin/agents/slow?"
             + urllib.parse.urlencode({"referrer": "shop-nl", "seconds": 6}), {})
        started = time.monotonic()
        step("slow", "POST", args.availability_url,
             {"chatId": "chat-" + uuid.uuid4().hex[:12], "webstore": "shop-be"},
             want=(200, {"agentStatus": "offline", "agentAvailable": False, "reason": "no_agents_available"}),
             token=token)
        took = time.monotonic() - started
        # the budget (AVAILABILITY_BUDGET_MS, 2.5 s) and the scheduling margin the Rust tests allow
        expect("a slow overflow answer is waited for only within the budget", took < 2.5 + 2, True)
    finally:
        call("POST", args.cm_standin + "/_standin/agents/slow?"
             + urllib.parse.urlencode({"referrer": "shop-nl", "seconds": 0}), {})
        switch("online")


def offline_branch(args, step):
    """The dialog's offline branch, numbered as docs/caic.md numbers it: agents offline for the
    web store, so step 2 takes the Fallback; offline step 1 captures the name and e-mail address
    (the intake callouts), 2 the message, 3 sends it, 4 branches on messageStatus. Prints the
    e-mail the local SES server received."""
    chat_id = "chat-" + uuid.uuid4().hex[:12]
    token = args.token
    webstore = "shop-nl"
    print(f"\nCAIC: a second chat, {chat_id}, while no agent is online for {webstore}")
    call("POST", args.cm_standin + "/_standin/agents/offline?" + urllib.parse.urlencode({"referrer": webstore}), {})
    try:
        _, availability = step("Step 1", "POST", args.availability_url,
                               paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}"}',
                                     chatId=chat_id, webstore=webstore),
                               token=token)
        agent_status = (availability or {}).get("agentStatus")
        print(f"  {'Step 2':<9} Logical Step: agentStatus = {agent_status} -> Fallback: leave a message")
    finally:
        # the stand-in says so on its own line: only after the dialog's step 2
        call("POST", args.cm_standin + "/_standin/agents/online", {})
    if args.check:
        expect("availability with the web store's agents offline", agent_status, "offline")
    name = 'Sanne "San" Bakker'
    address = f"sanne.bakker.{chat_id}@example.nl"
    step("Offline 1", "POST", args.intake_url, paste('{"chatId": "{{chatId}}", "name": "{{name}}"}',
                                                     chatId=chat_id, name=name),
         want=(200, {"intakeStatus": "incomplete", "stored": True, "complete": False, "missing": ["email"], "invalid": []}), token=token)
    step("", "POST", args.intake_url, paste('{"chatId": "{{chatId}}", "email": "{{email}}"}',
                                            chatId=chat_id, email=address),
         want=(200, {"intakeStatus": "complete", "stored": True, "complete": True, "missing": [], "invalid": []}), token=token)
    message = 'My parcel "NL-2026-0077" arrived damaged.\nCould you send a new one?'
    print(f"  {'Offline 2':<9} Capture Input \"message\": the customer types two lines, with quotes")
    body = paste('{"chatId": "{{chatId}}", "webstore": "{{webstore}}", "message": "{{message}}"}',
                 chatId=chat_id, webstore=webstore, message=message)
    _, answer = step("Offline 3", "POST", args.message_url, body,
                     want=(200, {"messageStatus": "sent"}), token=token)
    status = (answer or {}).get("messageStatus")
    print(f"  {'Offline 4':<9} Logical Step: messageStatus = {status} -> "
          + ("\"Thanks, we have your message and will reply by e-mail.\"" if status in ("sent", "pending")
             else "\"We could not take your message.\""))
    emails = []
    if args.ses:
        _, store = call("GET", args.ses + "/store")
        emails = [e for e in (store or {}).get("emails", []) if e.get("replyTo") == [address]]
        for email in emails:
            print("  The support mailbox received:")
            print(f"    From:     {email.get('from')}")
            print(f"    To:       {', '.join((email.get('destination') or {}).get('to') or [])}")
            print(f"    Reply-To: {', '.join(email.get('replyTo') or [])}")
            print(f"    Subject:  {email.get('subject')}")
            for line in ((email.get("body") or {}).get("text") or "").splitlines():
                print(f"      {line}")
    print("The customer's message is in the support mailbox; its reply goes to the customer.")
    if args.check:
        expect("the support mailbox received one e-mail for the chat", len(emails), 1)
        if emails:
            email = emails[0]
            text = (email.get("body") or {}).get("text") or ""
            # shop-nl's team reads Dutch (its agentLanguage): our words in Dutch, the customer's as typed
            expect("the e-mail's subject, in the team's language", email.get("subject"),
                   'Chatbericht van "Sanne \\"San\\" Bakker" via "shop-nl"')
            quoted = "".join(f"> {line}\n" for line in message.split("\n"))
            expect("the e-mail begins with the message, its quotes and line break as typed, "
                   "every line quoted", text.startswith("De klant schreef:\n\n" + quoted + "\n-- \n"), True)
            for line in [f"naam: {name}", f"e-mail: {address}", "webwinkel: shop-nl", f"chat: {chat_id}"]:
                expect(f"the e-mail holds {line.split(':')[0]}", line in text.splitlines(), True)
            expect("the e-mail's summary says the customer left a message",
                   bool(re.search(r'^Klant "Sanne \\"San\\" Bakker" \(e-mail "[^"]+"\) liet een bericht achter op ',
                                  text, re.M)), True)
        step("retry", "POST", args.message_url, body,
             want=(200, {"messageStatus": "sent", "reason": "already_sent"}), token=token)
        if args.ses:
            _, store = call("GET", args.ses + "/store")
            expect("a retried message is not sent again",
                   len([e for e in (store or {}).get("emails", []) if e.get("replyTo") == [address]]), 1)
        # the e-mail holds the intake now: it was erased
        step("after", "POST", args.intake_url, {"chatId": chat_id},
             want=(200, {"intakeStatus": "incomplete", "stored": False, "complete": False, "missing": ["name", "email"], "invalid": []}),
             token=token)
        other = "chat-" + uuid.uuid4().hex[:12]
        step("no email", "POST", args.message_url, {"chatId": other, "message": message},
             want=(200, {"messageStatus": "failed", "reason": "missing_email"}), token=token)
        # an unset variable is not given: an unfilled skill is no routing keyword, an unfilled
        # chat id a 400 that says so
        step("unset", "POST", args.intake_url,
             paste('{"chatId": "{{chatId}}", "name": "{{name}}"}', chatId=other, name="{{name}}"),
             want=(200, {"intakeStatus": "incomplete", "stored": False, "complete": False, "missing": ["name", "email"], "invalid": []}),
             token=token)
        status, answer = step("unset id", "POST", args.message_url, Pasted('{"chatId": "{{chatId}}"}'), token=token)
        expect("400 naming the unset chat id variable", [status, (answer or {}).get("message", "")[:45]],
               [400, "chatId is an unfilled placeholder: the conver"])
        status, answer = step("no auth", "POST", args.message_url, {"chatId": other, "message": message})
        expect("401 without token", [status, (answer or {}).get("error")], [401, "unauthorized"])


if __name__ == "__main__":
    main()
