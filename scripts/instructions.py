#!/usr/bin/env python3
"""Counts the CPU instructions a function binary executes, with valgrind's callgrind, per warm
request and for its init, behind a Lambda Runtime API of our own (this file): the counts repeat
from run to run whatever else the machine does, which wall-clock times here do not.

A run serves `n` invocations one after the other, then answers the next `GET .../next` by closing
the connection, which ends the runtime's loop and the process; callgrind then writes its total.
Per warm request is the slope between two run lengths, (I(long) - I(short)) / (long - short), so
start-up and exit cancel out; init is a run of zero invocations (start-up to the first `next`,
plus the exit both run lengths share), without the connection warm-up. Every answer is checked, so that a fast error is never
counted as a request.

Used by scripts/bench.py (`make bench`); on its own:
    python3 scripts/instructions.py --root . --bin-dir target/release availability intake
with the functions' environment (scripts/bench.sh sets it up).
"""

import argparse
import http.server
import itertools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading

EVENTS = {"availability": "availability", "intake": "intake-name", "handover": "handover"}
SHORT, LONG, WARM = 20, 120, 500
# the baselines: the same dependency requests through the SDK (raw) and as plain signed HTTP
BASELINES = ("raw-", "plain-")


def command(bin_dir, target):
    """The binary and arguments that run `target`: a function, the floor or a baseline."""
    for baseline in BASELINES:
        if target.startswith(baseline):
            return os.path.join(bin_dir, baseline[:-1]), [target.removeprefix(baseline), "lambda"]
    return os.path.join(bin_dir, target), []


def load_event(root, name):
    with open(os.path.join(root, "events", name + ".json")) as f:
        return json.load(f)


def events_for(root, function):
    """The event of invocation i. Handover gets a new chat for every invocation of every run
    (else it is deduplicated: answered from the store, without a handover), its id always the
    same length, so that every request does the same work."""
    base = load_event(root, EVENTS.get(function, "availability"))
    if function != "handover":
        return lambda i: base
    body = json.loads(base["body"])
    run, chats = secrets.token_hex(4), itertools.count()

    def event(i):
        return {**base, "body": json.dumps({**body, "chatId": f"count-{run}-{next(chats):06d}"})}
    return event


def check_answer(function, answer):
    """A measured invocation must be a real answer, not an error that happens to be cheap."""
    if function == "floor" or function.startswith(BASELINES):
        return
    status = answer.get("statusCode")
    body = json.loads(answer.get("body") or "{}")
    wanted = {"availability": ("agentStatus", "online"), "intake": ("stored", True),
              "handover": ("handoverStatus", "success")}[function]
    # a handover answered from the store ("reason": "already_handed_over") did not hand over
    if status != 200 or body.get(wanted[0]) != wanted[1] or (function == "handover" and "reason" in body):
        raise RuntimeError(f"{function} answered {status}: {str(body)[:300]}")


class RuntimeApi(http.server.ThreadingHTTPServer):
    """The Lambda Runtime API's invocation loop, for one process: `count` events, then a closed
    connection."""

    daemon_threads = True

    def __init__(self, count, event_of):
        self.count, self.event_of = count, event_of
        self.served, self.answers, self.errors = 0, [], []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        api = self.server
        if not self.path.endswith("/runtime/invocation/next"):
            return self.reply(404)
        if api.served >= api.count:
            self.close_connection = True
            self.connection.close()
            return
        body = json.dumps(api.event_of(api.served)).encode()
        api.served += 1
        # every request id and trace id the same length, so every request does the same work
        request_id = f"00000000-0000-4000-8000-{api.served:012d}"
        self.reply(200, body, [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", request_id),
            ("Lambda-Runtime-Deadline-Ms", "99999999999999"),
            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:000000000000:function:count"),
            ("Lambda-Runtime-Trace-Id", f"Root=1-00000000-{api.served:024d};Sampled=0"),
        ])

    def do_POST(self):
        api = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/response"):
            api.answers.append(json.loads(body or b"null"))
        else:
            api.errors.append(f"{self.path}: {body[:300]!r}")
        self.reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])


def count(binary, args, env, function, event_of, invocations, profile_to=None, counted=True):
    """Instructions `binary` executes serving `invocations` requests (start-up and exit included);
    with `counted` false, the same run without valgrind (returns None)."""
    api = RuntimeApi(invocations, event_of)
    thread = threading.Thread(target=api.serve_forever, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory() as scratch:
        out = profile_to or os.path.join(scratch, "callgrind.out")
        run_env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.server_address[1]}",
                       AWS_LAMBDA_FUNCTION_NAME=function, AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                       AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_LOG_STREAM_NAME="count",
                       # as the template deploys them
                       AWS_LAMBDA_LOG_FORMAT="JSON",
                       AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/count")
        try:
            callgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                         "--dump-instr=no", "--dump-line=no"] if counted else []
            process = subprocess.run(
                [*callgrind, binary, *args],
                env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        finally:
            api.shutdown()
            api.server_close()
        if api.errors:
            raise RuntimeError(f"{function} reported invocation errors: {api.errors[:3]}")
        if api.served != invocations or len(api.answers) != invocations:
            stderr = process.stderr.decode(errors="replace")[-2000:]
            raise RuntimeError(f"{function}: served {api.served}, answered {len(api.answers)} of "
                               f"{invocations}\n{stderr}")
        for answer in api.answers:
            check_answer(function, answer)
        if not counted:
            return None
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError(f"{function}: callgrind wrote no total")


def measure(binary, args, env, function, event_of):
    """{"init": I(0), "per_request": slope} for one binary. First WARM requests run without
    valgrind, uncounted, as a precaution: DynamoDB Local (a JVM) then answers at its warm speed,
    so that no counted request, slow under valgrind already, meets the SDK's attempt timeout."""
    count(binary, args, env, function, event_of, WARM, counted=False)
    # init without the connection warm-up: here it is a plain round trip, on Lambda it is the TLS
    # handshakes, which this machine's loopback cannot show
    init = count(binary, args, {**env, "WARM_UP_MS": "0"}, function, event_of, 0)
    short = count(binary, args, env, function, event_of, SHORT)
    long = count(binary, args, env, function, event_of, LONG)
    return {"init": init, "per_request": round((long - short) / (LONG - SHORT)), "runs": [short, long]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--profile", help="write the long run's callgrind profile here (per target)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each this many times")
    parser.add_argument("targets", nargs="+",
                        help="availability, intake, handover, floor, raw-<function>, plain-<function>")
    args = parser.parse_args()
    for target in args.targets:
        binary, extra = command(args.bin_dir, target)
        event_of = events_for(args.root, extra[0] if extra else target)
        for _ in range(args.repeat):
            if args.profile:
                path = f"{args.profile}.{target}"
                count(binary, extra, dict(os.environ), target, event_of, WARM, counted=False)
                count(binary, extra, dict(os.environ), target, event_of, LONG, profile_to=path)
                print(f"{target}: profile in {path}")
            else:
                print(json.dumps({target: measure(binary, extra, dict(os.environ), target, event_of)}))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
