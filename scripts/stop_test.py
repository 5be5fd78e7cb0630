#!/usr/bin/env python3
"""`make run`, stopped every way a person or a script stops it, at every moment it can be stopped.

Each scenario starts `make run` on free ports in a process group of its own, waits for a phase
of the start-up (a line it prints), and sends the group (or make alone) SIGTERM or SIGINT, once
or twice in a row. Then every process the command started must be gone within a few seconds
(found by pid: each carries a marker variable in its environment, read from /proc, so processes
in sessions of their own and orphans are found too), nothing may listen on its ports any more
(checked with `ss`), and its output must end in the one "stopped" line.

Two scenarios start `make run` with the caller's own BUSINESS_HOURS, as docs/configuration.md
suggests trying them: the dialog it plays must then print no failure and say which checks it
left out (one set of hours open now, one that never opens).

    scripts/stop_test.py [--rounds N] [--deadline S]    prints one line per stop and `stop test: N passed, M failed`

Needs what `make run` needs, installed (make test runs it after the stack's first start).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import namedtuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STOPPED = "stopped: the functions, the CM.com stand-in, the local SES server and DynamoDB Local"
BUILDING = "building the four functions and the local table tool"
MARKER = "CM_HANDOVER_STOP_TEST"
# a source file touched before a "build" scenario, so that the functions' build takes a while
REBUILT = os.path.join(ROOT, "functions", "intake", "src", "main.rs")

# a caller's own opening hours: open all day every day (no web stores of ours), and never open
OWN_HOURS_OPEN = ('{"timezone":"UTC","weekly":{' + ",".join(
    f'"{day}":[["00:00","24:00"]]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) + "}}")
OWN_HOURS_NEVER = '{"timezone":"UTC","weekly":{}}'
LEFT_OUT = "Your own BUSINESS_HOURS: the WhatsApp chat"


class Scenario(namedtuple("Scenario", "name phase target signals env wanted", defaults=(None, ()))):
    """The line to wait for (None: 1 s after the start), whom to signal, which signals; with
    `env`, what `make run` starts with besides its ports; `wanted`, lines its output must hold
    (and then no failure of the played dialog)."""


SCENARIOS = [Scenario(*s) for s in [
    ("just started, SIGTERM to the group", None, "group", [signal.SIGTERM]),
    ("while DynamoDB Local starts, SIGTERM to the group", "starting DynamoDB Local", "group", [signal.SIGTERM]),
    ("while the local SES server starts, SIGTERM to the group", "starting the local SES server", "group", [signal.SIGTERM]),
    ("during the build, SIGTERM to the group", BUILDING, "group", [signal.SIGTERM]),
    ("during the build, twice in a row", BUILDING, "group", [signal.SIGTERM, signal.SIGTERM]),
    ("during the build, Ctrl-C (SIGINT to the group)", BUILDING, "group", [signal.SIGINT]),
    ("during the played dialog, SIGTERM to the group", "playing the handover dialog", "group", [signal.SIGTERM]),
    ("during the played dialog, twice in a row", "playing the handover dialog", "group", [signal.SIGTERM, signal.SIGTERM]),
    ("while serving, SIGTERM to the group", "The stack is running", "group", [signal.SIGTERM]),
    ("while serving, twice in a row", "The stack is running", "group", [signal.SIGTERM, signal.SIGTERM]),
    ("while serving, SIGTERM to make's pid", "The stack is running", "make", [signal.SIGTERM]),
    ("while serving, Ctrl-C (SIGINT to the group)", "The stack is running", "group", [signal.SIGINT]),
    ("while serving, SIGINT then SIGTERM", "The stack is running", "group", [signal.SIGINT, signal.SIGTERM]),
    ("with your own opening hours, open now: the dialog's one chat, no false failure",
     "The stack is running", "group", [signal.SIGTERM], {"BUSINESS_HOURS": OWN_HOURS_OPEN},
     ["The chat is with an MSC agent", LEFT_OUT]),
    ("with your own opening hours, never open: the closed output, no false failure",
     "The stack is running", "group", [signal.SIGTERM], {"BUSINESS_HOURS": OWN_HOURS_NEVER},
     ['"reason": "closed_until_further_notice"', "closed output without a time", LEFT_OUT]),
]]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marked(run_id):
    """The pids of the processes whose environment carries this run's marker."""
    needle = f"{MARKER}={run_id}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass
    return found


def listening(ports):
    """The lines of `ss -ltnH` for sockets listening on any of `ports`."""
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if any(line.split()[3].endswith(f":{p}") for p in ports)]


def describe(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"{pid} {f.read().replace(bytes(1), b' ').decode(errors='replace')[:100]}"
    except OSError:
        return f"{pid} (gone)"


def run_scenario(scenario, log_dir):
    _, phase, target, signals, own_env, wanted = scenario
    ports = {name: free_port() for name in ("DYNAMODB_PORT", "CM_PORT", "SES_PORT", "LAMBDA_PORT")}
    while len(set(ports.values())) < len(ports):
        ports = {name: free_port() for name in ports}
    run_id = uuid.uuid4().hex
    env = dict(os.environ, **{k: str(v) for k, v in ports.items()}, **{MARKER: run_id})
    for name in ("LOGS", "BUSINESS_HOURS", "BUSINESS_HOURS_PARAM"):
        env.pop(name, None)
    env.update(own_env or {})
    if phase == BUILDING:
        os.utime(REBUILT)
    log_path = os.path.join(log_dir, f"stop-{uuid.uuid4().hex[:8]}.log")
    with open(log_path, "wb") as log:
        make = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    started = time.monotonic()

    def output():
        with open(log_path, "rb") as f:
            return f.read().decode(errors="replace")

    problems = []
    if phase is None:
        time.sleep(1)
    else:
        while phase not in output():
            if make.poll() is not None or time.monotonic() - started > 300:
                problems.append(f"never reached {phase!r}")
                break
            time.sleep(0.05)
        # into the phase: the build or the dialog under way, or serving
        time.sleep(0.5)
    for i, sig in enumerate(signals):
        if i:
            time.sleep(0.1)
        try:
            if target == "group":
                os.killpg(make.pid, sig)
            else:
                os.kill(make.pid, sig)
        except ProcessLookupError:
            pass
    signalled = time.monotonic()
    try:
        make.wait(timeout=20)
    except subprocess.TimeoutExpired:
        problems.append("make still running 20 s after the signal")
    # every process of the run gone, nothing listening on its ports
    left, sockets = marked(run_id), listening(ports.values())
    while (left or sockets) and time.monotonic() - signalled < 10:
        time.sleep(0.1)
        left, sockets = marked(run_id), listening(ports.values())
    took = time.monotonic() - signalled
    if left:
        problems.append("still running 10 s after the signal: " + "; ".join(describe(p) for p in left))
    if sockets:
        problems.append("still listening: " + "; ".join(sockets))
    text = output()
    if text.count(STOPPED) != 1:
        problems.append(f"the stopped line was printed {text.count(STOPPED)} times")
    for line in wanted:
        if line not in text:
            problems.append(f"the output lacks {line!r}")
    if wanted:
        failures = [line.strip() for line in text.splitlines()
                    if line.lstrip().startswith("FAIL ") or line.startswith("failed: ") and line != "failed: "]
        if failures:
            problems.append("the played dialog failed: " + "; ".join(failures))
    # clean up after a failure, so that one failed stop does not spoil the next
    for pid in marked(run_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return problems, took, log_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="how often to play every scenario")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds after which no further scenario starts (each one left counts as failed)")
    args = parser.parse_args()
    log_dir = os.path.join(ROOT, ".local", "stop-test")
    os.makedirs(log_dir, exist_ok=True)
    passed = failed = 0
    began = time.monotonic()
    for _ in range(args.rounds):
        for scenario in SCENARIOS:
            name = scenario.name
            if args.deadline is not None and time.monotonic() - began > args.deadline:
                failed += 1
                print(f"  FAIL    stop: {name}: not played, the test ran past its {args.deadline:.0f} s", flush=True)
                continue
            problems, took, log_path = run_scenario(scenario, log_dir)
            if problems:
                failed += 1
                print(f"  FAIL    stop: {name}: " + "; ".join(problems) + f" (output: {os.path.relpath(log_path, ROOT)})", flush=True)
            else:
                passed += 1
                os.remove(log_path)
                print(f"  ok      stop: {name}: everything gone {took:.1f} s after the signal", flush=True)
    print(f"stop test: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
