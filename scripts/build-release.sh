#!/usr/bin/env bash
# Builds the four functions for Lambda on Graviton (arm64), release profile, as zips in
# target/lambda/<function>/bootstrap.zip, and checks each holds an aarch64 `bootstrap`.
# cargo-lambda gets its own target dir: sharing one with `cargo build` rebuilds both each time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_cargo_lambda
ensure_zig
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu
# (CARGO_TARGET_DIR, not --target-dir: cargo-lambda 1.9.2 passes the flag on to `cargo metadata`,
# which refuses it.)
CARGO_TARGET_DIR="$ROOT/target/cargo-lambda" cargo lambda build --release --arm64 --locked \
  --output-format zip --lambda-dir "$ROOT/target/lambda" -p availability -p intake -p handover -p message
for function in availability intake handover message; do
  zip="$ROOT/target/lambda/$function/bootstrap.zip"
  [ -s "$zip" ] || die "$zip was not built"
  python3 - "$zip" <<'PY'
import os, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    head = z.open("bootstrap").read(20)
    size = z.getinfo("bootstrap").file_size
# ELF magic, and e_machine 183 (0xB7) = AArch64
if head[:4] != b"\x7fELF" or int.from_bytes(head[18:20], "little") != 183:
    sys.exit(f"{path}: bootstrap is not an aarch64 ELF binary")
print(f"{path}: aarch64 bootstrap, {size / 1e6:.1f} MB, zip {os.path.getsize(path) / 1e6:.1f} MB")
PY
done
