#!/usr/bin/env python3
"""The instructions one read of a pasted body costs (shared::contract::callout::read_pasted), counted with
valgrind's callgrind on bench's `pasted` binary: the worst 8 KiB body a caller can send against
a normal 8 KiB one. Each is run with 0 and with READS reads, so that the process's start-up
cancels out. Exits 1 when the worst costs more than LIMIT normal ones (`make bench`;
docs/performance.md). Instruction counts, not times: they do not drift on a shared machine.

Usage: pasted_cost.py BIN (target/release/pasted)"""

import re
import subprocess
import sys
import tempfile

READS = 20
LIMIT = 5


def instructions(binary, kind, reads):
    with tempfile.NamedTemporaryFile() as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", binary, kind, str(reads)],
            capture_output=True, text=True, check=True,
        )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if not found:
        raise SystemExit(f"pasted_cost: callgrind printed no total for {kind}:\n{run.stderr}")
    return int(found.group(1))


def main():
    binary = sys.argv[1]
    per_read = {}
    for kind in ("normal", "worst"):
        per_read[kind] = (instructions(binary, kind, READS) - instructions(binary, kind, 0)) / READS
    ratio = per_read["worst"] / per_read["normal"]
    print(f"pasted body, instructions per read: normal 8 KiB {per_read['normal']:,.0f}, "
          f"worst 8 KiB {per_read['worst']:,.0f} ({ratio:.1f}x normal; at most {LIMIT}x)")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
