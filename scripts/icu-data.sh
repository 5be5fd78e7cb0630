#!/usr/bin/env bash
# Writes shared/icu-data, the date and time data shared::rules::language formats with: ICU4X's own
# compiled data (CLDR) for the languages we speak, and only those (tools/icu-data).
#   scripts/icu-data.sh          rewrite it (after an ICU4X update, or a language added)
#   scripts/icu-data.sh --check  fail when it is not what the tool writes (make test)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# baked data is read by the ICU4X release that wrote it
icu_version() { awk -v crate="$2" '$0 == "name = \"" crate "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' "$1"; }
for crate in icu_datetime icu_decimal icu_provider; do
  ours=$(icu_version Cargo.lock "$crate")
  tools=$(icu_version tools/icu-data/Cargo.lock "$crate")
  [ "$ours" = "$tools" ] || die "Cargo.lock has $crate $ours, tools/icu-data/Cargo.lock $tools: give tools/icu-data the workspace's version and run scripts/icu-data.sh"
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo run --quiet --locked --manifest-path tools/icu-data/Cargo.toml --target-dir target/icu-data -- "$out/icu-data"
if [ "${1:-}" = "--check" ]; then
  diff -r "$out/icu-data" shared/icu-data >/dev/null \
    || die "shared/icu-data is not what tools/icu-data writes: run scripts/icu-data.sh"
  log "shared/icu-data is what tools/icu-data writes"
else
  rm -rf shared/icu-data
  mv "$out/icu-data" shared/icu-data
  log "wrote shared/icu-data"
fi
