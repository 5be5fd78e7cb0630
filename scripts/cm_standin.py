#!/usr/bin/env python3
"""A local stand-in for the two CM.com APIs the functions call, for trying the stack locally.

- Routing Control: POST /conversational/control/v1/accounts/{link}/chats/{chatId}/routing/mutationrequests
  checks the X-Cm-Producttoken header and the body's shape, prints the handover it received and
  answers 200 (401 for a wrong token, 400 for a malformed body).
- Presence: GET /presence/{webstore} answers {"available": true|false}.

Control endpoints for the person trying it (and for scripts/dialog.py):
- POST /_standin/agents/online and POST /_standin/agents/offline switch the presence answer;
- GET /_standin/handovers lists the handovers received so far.

Every response is written in one send with TCP_NODELAY, so the stand-in adds no Nagle delay.
"""

import argparse
import json
import re
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTING = re.compile(
    r"^/conversational/control/v1/accounts/(?P<link>[^/]+)/chats/(?P<chat>[^/]+)/routing/mutationrequests$"
)
PRESENCE = re.compile(r"^/presence/(?P<webstore>[^/?]*)")


class State:
    def __init__(self, product_token, technical_link_id, agents_online):
        self.product_token = product_token
        self.technical_link_id = technical_link_id
        self.agents_online = agents_online
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
        if not isinstance(m, dict) or m.get("$type") != "ruleMutation":
            return "each mutation needs $type ruleMutation"
        if m.get("action") not in ("Enable", "Disable") or m.get("operator") not in ("And", "Or"):
            return "each mutation needs action Enable|Disable and operator And|Or"
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
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
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
        if self.path == "/_standin/handovers":
            with state.lock:
                return self.respond(HTTPStatus.OK, state.handovers)
        match = PRESENCE.match(self.path)
        if match:
            with state.lock:
                online = state.agents_online
            return self.respond(HTTPStatus.OK, {"available": online})
        self.respond(HTTPStatus.NOT_FOUND, {"message": "no such endpoint"})

    def do_HEAD(self):
        # the functions' connection warm-up at start-up (a HEAD / without credentials): like
        # CM.com, any answer will do; this one has no body, and the connection stays open
        self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        self.wfile.flush()

    def do_POST(self):
        state = self.state
        if self.path in ("/_standin/agents/online", "/_standin/agents/offline"):
            with state.lock:
                state.agents_online = self.path.endswith("/online")
            print(f"cm-standin: agents are now {'online' if state.agents_online else 'offline'}", flush=True)
            return self.respond(HTTPStatus.OK, {"available": state.agents_online})
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
            context = ", ".join(f"{k}={v!r}" for k, v in sorted(body["Context"].items()))
            print(f"cm-standin: HANDOVER chat {body['ChatId']} to MSC; Context: {context or '(empty)'}", flush=True)
        self.respond(HTTPStatus.OK, {})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--product-token", required=True)
    parser.add_argument("--technical-link-id", required=True)
    parser.add_argument("--agents", choices=["online", "offline"], default="online")
    parser.add_argument("--quiet", action="store_true",
                        help="print no line per handover and keep only the last 100 (for make bench)")
    args = parser.parse_args()
    Handler.state = State(args.product_token, args.technical_link_id, args.agents == "online")
    if args.quiet:
        Handler.state.quiet, Handler.state.keep_last = True, 100
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    except OSError as e:
        sys.exit(f"cm-standin: cannot listen on 127.0.0.1:{args.port}: {e.strerror}")
    server.daemon_threads = True
    print(f"cm-standin: listening on http://127.0.0.1:{args.port} (agents {args.agents})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
