#!/usr/bin/env python3
"""Splits a callgrind profile's instructions by layer: which crate's code executed them
(exclusive cost, so the layers add up to the total), with the C library's allocator and memcpy
on their own lines, as they serve every layer.

    python3 scripts/profile_layers.py callgrind.out.handover [--top 25]

Used by `make bench` on the profiling build (symbols, same code as release).
"""

import argparse
import re
import subprocess
from collections import defaultdict

# crate name prefix -> layer; the first match wins
LAYERS = [
    (("availability", "intake", "handover", "shared"), "our code"),
    (("lambda_http", "lambda_runtime", "lambda_runtime_api_client", "aws_lambda_events"),
     "lambda_http / lambda_runtime"),
    (("aws_sdk_dynamodb", "aws_sdk_ssm", "aws_config", "aws_runtime", "aws_types",
      "aws_smithy_runtime", "aws_smithy_runtime_api", "aws_smithy_types", "aws_smithy_json",
      "aws_smithy_http", "aws_smithy_async", "aws_smithy_observability", "aws_credential_types",
      "aws_smithy_schema"),
     "AWS SDK orchestration (endpoints, interceptors, retry, (de)serialisation)"),
    (("aws_sigv4",), "AWS SDK signing (aws_sigv4)"),
    (("reqwest", "hyper", "hyper_util", "h2", "http", "http_body", "http_body_util", "httparse",
      "tower", "tower_service", "tower_http"),
     "HTTP client and server plumbing (reqwest, hyper, http)"),
    (("rustls", "ring", "webpki", "rustls_pki_types", "sha2", "hmac", "digest", "block_buffer",
      "crypto_common", "subtle"),
     "TLS and crypto"),
    (("tokio", "mio", "futures_util", "futures_core", "futures_channel", "pin_project_lite",
      "socket2"),
     "tokio and futures"),
    (("tracing", "tracing_core", "tracing_subscriber", "tracing_log", "metrics",
      "metrics_cloudwatch_embedded", "sharded_slab", "matchers", "regex_automata"),
     "logging and metrics (tracing, EMF)"),
    (("serde", "serde_json", "serde_core", "itoa", "ryu", "zmij", "base64", "form_urlencoded",
      "percent_encoding", "url", "idna"),
     "serde_json, url, encodings"),
    (("jiff",), "time (jiff)"),
]
ALLOCATOR = re.compile(r"^(malloc|free|realloc|calloc|_int_malloc|_int_free|_int_realloc|"
                       r"malloc_consolidate|unlink_chunk|tcache_|cfree|__libc_malloc|"
                       r"__libc_free|__libc_realloc|_int_free_merge_chunk|_int_free_create_chunk|"
                       r"_int_free_maybe_consolidate|__rust_alloc|__rust_dealloc|__rust_realloc|"
                       r"__rdl_|alloc::alloc::)")
MEMORY = re.compile(r"^(__memcpy|memcpy|__memmove|memmove|__memset|memset|__memcmp|memcmp|"
                    r"__mempcpy|bcmp|__strlen|strlen)")
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(?:\S+?:)?(.*?)\s*(?:\[[^\]]*\])?$")


def crate_of(symbol):
    """The crate a demangled Rust symbol belongs to: `<a::B as c::D>::f` is `a`'s code."""
    name = symbol.lstrip("<&*").removeprefix("mut ").removeprefix("dyn ").lstrip("<")
    return re.split(r"::|<| ", name, maxsplit=1)[0]


def layer_of(symbol):
    if ALLOCATOR.match(symbol):
        return "allocator (malloc/free)"
    if MEMORY.match(symbol):
        return "memcpy/memmove/memset"
    crate = crate_of(symbol)
    for crates, layer in LAYERS:
        if crate in crates:
            return layer
    if crate.startswith(("core", "alloc", "std")):
        return "Rust std (core, alloc, std)"
    if crate.startswith(("_dl_", "__libc", "__GI", "_IO", "__")) or "." in crate or not crate:
        return "C library, kernel interface and loader"
    return "other"


def profile_rows(path):
    """(cost, symbol) of every function in the profile, exclusive cost."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no",
                          path], check=True, capture_output=True, text=True).stdout
    rows, state = [], "header"
    for line in out.splitlines():
        if state == "header":
            state = "rule" if line.strip().startswith("Ir") and "file:function" in line else state
        elif state == "rule":
            state = "rows"
        elif not line.strip():
            break
        else:
            match = LINE.match(line)
            if match:
                rows.append((int(match.group(1).replace(",", "")), match.group(2)))
    return rows


def layers(path):
    """{layer: instructions}, and the profile's total."""
    totals = defaultdict(int)
    for cost, symbol in profile_rows(path):
        totals[layer_of(symbol)] += cost
    return dict(totals), sum(totals.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=0, help="also list the N costliest 'other' symbols")
    args = parser.parse_args()
    by_layer, total = layers(args.profile)
    for layer, cost in sorted(by_layer.items(), key=lambda kv: -kv[1]):
        print(f"{cost:>14,} {100 * cost / total:5.1f}%  {layer}")
    print(f"{total:>14,} 100.0%  total")
    if args.top:
        others = [(c, s) for c, s in profile_rows(args.profile) if layer_of(s) == "other"]
        for cost, symbol in sorted(others, reverse=True)[:args.top]:
            print(f"{cost:>14,}  other: {symbol[:150]}")


if __name__ == "__main__":
    main()
