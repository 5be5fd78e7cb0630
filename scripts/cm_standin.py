#!/usr/bin/env python3
"""A local stand-in for the two CM.com APIs the functions call, speaking their shapes exactly.

- Routing Control (developers.cm.com "Control routing"):
  POST /conversational/control/v1/accounts/{link}/chats/{chatId}/routing/mutationrequests
  checks the X-Cm-Producttoken header and the body's shape (mutations of $type ruleMutation, as
  documented, or disableComponent, as CM.com's own bot builder sends), prints the handover it
  received and answers 200 (401 for a wrong token, 400 for a malformed body).
- MSC's presence API (developers.cm.com/mobile-service-cloud/docs/presence):
  GET /api/v1?apikey=<key>&Channel=<channel>&referrer=<referrer> answers the plain text
  `Online` or `Offline`; 400 without apikey or Channel, or for a channel the page does not list;
  404 for a key that is not the configured one (the page lists 200, 400 and 404 only; what a
  wrong key gets is not documented). It prints what it was asked, never the key.

Control endpoints for the person trying it (and for scripts/dialog.py):
- POST /_standin/agents/online and POST /_standin/agents/offline switch the presence answer, for
  every referrer and channel, or for one with ?referrer=<referrer>, ?channel=<Channel> or both
  (MSC's presence is per web store and channel: the most specific switch answers);
- POST /_standin/agents/slow?referrer=<referrer>&seconds=<n> makes the presence answers for
  that referrer come n seconds late (0: on time again), as a slow MSC would;
- GET /_standin/handovers lists the handovers received so far;
- GET /_standin/presence-requests lists the presence questions received so far (the key shown
  only as whether it matched).

Every response is written in one send with TCP_NODELAY, so the stand-in adds no Nagle delay.
"""

import argparse
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTING = re.compile(
    r"^/conversational/control/v1/accounts/(?P<link>[^/]+)/chats/(?P<chat>[^/]+)/routing/mutationrequests$"
)
# the channel names MSC's presence page lists for `Channel`
MSC_CHANNELS = {"Email", "Chat", "WhatsApp", "SMS", "WebChat", "Facebook Messenger", "Instagram",
                "Apple Business Chat", "Twitter", "Google Business Messages", "RCS"}


class State:
    def __init__(self, product_token, technical_link_id, agents_online, msc_api_key):
        self.product_token = product_token
        self.technical_link_id = technical_link_id
        self.agents_online = agents_online
        self.msc_api_key = msc_api_key
        # (referrer or None, channel or None) -> online
        self.online_by = {}
        # referrer -> seconds each presence answer for it waits
        self.delay_by = {}
        self.presence_requests = []
        self.handovers = []
        self.lock = threading.Lock()
        self.quiet = False
        self.keep_last = 0


def routing_body_problem(body, chat_id):
    """Why a Routing Control body is malformed, or None."""
    if not isinstance(body, dict) or set(body) - {"ChatId", "Mutations", "Context"}:
        return "body must be an object with ChatId, Mutations, Context"
    if body.get("ChatId") != chat_id:
        return "ChatId must equal the chat id in the path"
    mutations = body.get("Mutations")
    if not isinstance(mutations, list) or not mutations:
        return "Mutations must be a non-empty array"
    for m in mutations:
        if not isinstance(m, dict) or m.get("$type") not in ("ruleMutation", "disableComponent"):
            return "each mutation needs $type ruleMutation or disableComponent"
        if m["$type"] == "disableComponent":
            if set(m) != {"$type", "ComponentId"} or not isinstance(m["ComponentId"], str) or not m["ComponentId"]:
                return "a disableComponent mutation has exactly a non-empty ComponentId"
        elif m.get("action") not in ("Enable", "Disable") or m.get("operator") not in ("And", "Or"):
            return "each ruleMutation needs action Enable|Disable and operator And|Or"
    context = body.get("Context", {})
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        return "Context must be an object of strings"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cm-standin"
    state: State = None  # set in main()

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # the stand-in prints its own, readable lines
        pass

    def respond(self, status, body):
        self.send_bytes(status, json.dumps(body).encode(), "application/json")

    def respond_text(self, status, text):
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8")

    def send_bytes(self, status, data, content_type):
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        self.wfile.write(head + data)
        self.wfile.flush()

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def do_GET(self):
        state = self.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_standin/handovers":
            with state.lock:
                return self.respond(HTTPStatus.OK, state.handovers)
        if url.path == "/_standin/presence-requests":
            with state.lock:
                return self.respond(HTTPStatus.OK, state.presence_requests)
        if url.path == "/api/v1":
            return self.presence(url.query)
        self.respond(HTTPStatus.NOT_FOUND, {"message": "no such endpoint"})

    def presence(self, query):
        """MSC's presence API: plain text Online/Offline for the key, channel and referrer."""
        state = self.state
        # every parameter as sent, a repeated one twice: a check of "exactly these" must see it
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        params = dict(pairs)
        apikey, channel, referrer = params.get("apikey"), params.get("Channel"), params.get("referrer")
        seen = {"Channel": channel, "referrer": referrer, "apikeyMatched": apikey == state.msc_api_key,
                "parameters": sorted(name for name, _ in pairs)}
        if not apikey or not channel:
            answer = (HTTPStatus.BAD_REQUEST, "apikey and Channel are required")
        elif channel not in MSC_CHANNELS:
            answer = (HTTPStatus.BAD_REQUEST, f"unknown Channel; one of {', '.join(sorted(MSC_CHANNELS))}")
        elif apikey != state.msc_api_key:
            answer = (HTTPStatus.NOT_FOUND, "no subscription for this apikey")
        else:
            with state.lock:
                delay = state.delay_by.get(referrer, 0)
            if delay:
                time.sleep(delay)
            with state.lock:
                online = next((state.online_by[key] for key in
                               [(referrer, channel), (referrer, None), (None, channel)]
                               if key in state.online_by), state.agents_online)
            answer = (HTTPStatus.OK, "Online" if online else "Offline")
        with state.lock:
            state.presence_requests.append({**seen, "status": answer[0].value, "answer": answer[1]})
            del state.presence_requests[:-(state.keep_last or 1000)]
        if not state.quiet:
            shown = f"referrer {referrer!r}" if referrer is not None else "no referrer"
            print(f"cm-standin: PRESENCE asked for Channel={channel!r}, {shown} "
                  f"(apikey {'ok' if seen['apikeyMatched'] else 'missing' if not apikey else 'wrong'})"
                  f" -> {answer[0].value} {answer[1]}", flush=True)
        self.respond_text(*answer)

    def do_HEAD(self):
        # the functions' connection warm-up at start-up (a HEAD / without credentials): like
        # CM.com, any answer will do; this one has no body, and the connection stays open
        self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        state = self.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_standin/agents/slow":
            query = dict(urllib.parse.parse_qsl(url.query))
            referrer = query.get("referrer")
            try:
                seconds = float(query.get("seconds", ""))
            except ValueError:
                seconds = -1
            if referrer is None or not 0 <= seconds <= 60:
                return self.respond(HTTPStatus.BAD_REQUEST, {"message": "referrer and seconds (0-60) are required"})
            with state.lock:
                state.delay_by[referrer] = seconds
            print(f"cm-standin: presence answers for referrer {referrer!r} now come {seconds:g} s late", flush=True)
            return self.respond(HTTPStatus.OK, {"referrer": referrer, "seconds": seconds})
        if url.path in ("/_standin/agents/online", "/_standin/agents/offline"):
            online = url.path.endswith("/online")
            query = dict(urllib.parse.parse_qsl(url.query))
            referrer, channel = query.get("referrer"), query.get("channel")
            if channel is not None and channel not in MSC_CHANNELS:
                return self.respond(HTTPStatus.BAD_REQUEST,
                                    {"message": f"unknown channel; one of {', '.join(sorted(MSC_CHANNELS))}"})
            with state.lock:
                if referrer is None and channel is None:
                    state.agents_online = online
                    state.online_by.clear()
                else:
                    state.online_by[(referrer, channel)] = online
            where = "".join([f" for referrer {referrer!r}" if referrer is not None else "",
                             f" on channel {channel!r}" if channel is not None else ""])
            print(f"cm-standin: agents are now {'online' if online else 'offline'}{where}", flush=True)
            return self.respond(HTTPStatus.OK, {"online": online, "referrer": referrer, "channel": channel})
        match = ROUTING.match(self.path)
        if not match:
            return self.respond(HTTPStatus.NOT_FOUND, {"message": "no such endpoint"})
        if self.headers.get("X-Cm-Producttoken") != state.product_token:
            return self.respond(HTTPStatus.UNAUTHORIZED, {"message": "invalid product token"})
        if match["link"] != state.technical_link_id:
            return self.respond(HTTPStatus.NOT_FOUND, {"message": "unknown technical link"})
        body = self.read_json()
        problem = routing_body_problem(body, match["chat"])
        if problem:
            return self.respond(HTTPStatus.BAD_REQUEST, {"message": problem})
        with state.lock:
            state.handovers.append(body)
            if state.keep_last:
                del state.handovers[:-state.keep_last]
        if not state.quiet:
            # one Context entry a line: the summary alone is a few hundred characters
            context = "".join(f"\n              {k}: {v}" for k, v in sorted(body["Context"].items()))
            print(f"cm-standin: HANDOVER chat {body['ChatId']} to MSC, Context:{context or ' (empty)'}", flush=True)
        self.respond(HTTPStatus.OK, {})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--product-token", required=True)
    parser.add_argument("--technical-link-id", required=True)
    parser.add_argument("--msc-api-key", required=True, help="the apikey the presence API accepts")
    parser.add_argument("--agents", choices=["online", "offline"], default="online")
    parser.add_argument("--also-listen", metavar="ADDRESS", action="append", default=[],
                        help="an address to listen on besides 127.0.0.1 (sam local: the Docker bridge's, "
                             "where the containers reach the machine as host.docker.internal)")
    parser.add_argument("--quiet", action="store_true",
                        help="print no line per request and keep only the last 100 (for make bench)")
    args = parser.parse_args()
    Handler.state = State(args.product_token, args.technical_link_id, args.agents == "online", args.msc_api_key)
    if args.quiet:
        Handler.state.quiet, Handler.state.keep_last = True, 100
    servers = []
    for address in ["127.0.0.1", *args.also_listen]:
        try:
            server = ThreadingHTTPServer((address, args.port), Handler)
        except OSError as e:
            sys.exit(f"cm-standin: cannot listen on {address}:{args.port}: {e.strerror}")
        server.daemon_threads = True
        servers.append(server)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    where = ", ".join(f"http://{address}:{args.port}" for address in ["127.0.0.1", *args.also_listen])
    print(f"cm-standin: listening on {where} (agents {args.agents})", flush=True)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
