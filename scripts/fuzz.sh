#!/usr/bin/env bash
# Fuzzes the request parsers and field validators with cargo-fuzz (libFuzzer, AddressSanitizer)
# for SECONDS per target (default 60): `make fuzz`, or `scripts/fuzz.sh 600` for a longer run.
# Needs nightly Rust (installed through rustup) and cargo-fuzz (installed into .local/cargo).
# The corpus starts from the bodies of the events/ fixtures; a crash leaves its input in
# fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

seconds="${1:-60}"
CARGO_FUZZ_VERSION="0.13.2"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if [ ! -x "$LOCAL/cargo/bin/cargo-fuzz" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION into .local/cargo"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --debug --root "$LOCAL/cargo"
fi
export PATH="$LOCAL/cargo/bin:$PATH"

# seed: each fixture's body, behind the selector byte for application/json
mkdir -p fuzz/corpus/request_body fuzz/corpus/field_values fuzz/corpus/paragraphs
python3 - <<'PY'
import glob, json, os
for path in glob.glob("events/*.json"):
    body = json.load(open(path)).get("body") or ""
    name = os.path.basename(path)[:-5]
    open(f"fuzz/corpus/request_body/{name}", "wb").write(b"\x00" + body.encode())
    for key, value in (json.loads(body) if body.startswith("{") else {}).items():
        if isinstance(value, str):
            open(f"fuzz/corpus/field_values/{name}-{key}", "wb").write(value.encode())
            open(f"fuzz/corpus/paragraphs/{name}-{key}", "wb").write(value.encode())
PY

# the targets' build first, with cargo's own progress on the terminal: cold, on nightly with
# AddressSanitizer, it takes about 15 minutes on 2 cores, which the fuzzing runs below would
# spend silently
log "building the fuzz targets (nightly, AddressSanitizer; cold: about 15 minutes)"
cargo +nightly fuzz build

for target in request_body field_values paragraphs; do
  log "fuzzing $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      >"$LOCAL/fuzz-$target.log" 2>&1; then
    tail -n 40 "$LOCAL/fuzz-$target.log" >&2
    die "fuzzing $target failed (a crash leaves its input in fuzz/artifacts/$target/)"
  fi
  grep -E "^Done [0-9]+ runs" "$LOCAL/fuzz-$target.log" | sed "s/^/$target: /"
done
