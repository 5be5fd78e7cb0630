#!/usr/bin/env bash
# `make mutants`: cargo-mutants (pinned) over the plain rules that .cargo/mutants.toml names,
# each mutant built and tested in a copy of the tree. Prints every mutant no test noticed and the
# score; the run's files are in mutants.out/. Not part of `make test`: a full run takes about an
# hour on 2 cores. Extra arguments go to cargo-mutants (`scripts/mutants.sh --file
# shared/src/setup/retry.rs` for one file, `--list` to see the mutants without running them).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_cargo_mutants
log "cargo-mutants: each mutant of the rules (.cargo/mutants.toml) against the tests of its package"
status=0
"$LOCAL/cargo/bin/cargo-mutants" mutants --workspace --no-shuffle "$@" || status=$?
# exit 2: some mutants were missed; 3: some timed out; anything else is a failure of the run
case "$status" in 0 | 2 | 3) ;; *) die "cargo-mutants failed (exit $status)" ;; esac
[ -f mutants.out/outcomes.json ] || exit "$status"
python3 - <<'PY'
import json
outcomes = json.load(open("mutants.out/outcomes.json"))
summary = {k: outcomes.get(k, 0) for k in ("caught", "missed", "timeout", "unviable")}
viable = summary["caught"] + summary["missed"] + summary["timeout"]
score = 100 * summary["caught"] / viable if viable else 100
print(f"mutants: {summary['caught']} caught, {summary['missed']} missed, {summary['timeout']} timed out, "
      f"{summary['unviable']} unviable; score {score:.1f} % of {viable} viable")
PY
exit "$status"
