#!/usr/bin/env python3
"""The third-party licenses the deployed binaries carry, from `cargo metadata`.

Walks the dependency graph of the four functions (availability, intake, handover, message) for their
Lambda target (aarch64 Linux): normal dependencies only, proc-macros included; build-only and
dev-dependencies are left out, since none of their code is in a bootstrap. Writes
THIRD-PARTY-LICENSES.md, one section per license expression.

    scripts/licenses.py          write THIRD-PARTY-LICENSES.md
    scripts/licenses.py --check  fail when the file is not what the dependencies say, or when a
                                 crate's license is not one of ALLOWED (make test runs this)
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "THIRD-PARTY-LICENSES.md")
FUNCTIONS = ("availability", "intake", "handover", "message")
TARGET = "aarch64-unknown-linux-gnu"

# Permissive licenses: a crate is fine when its expression can be satisfied with these alone.
# A new dependency under another license fails `--check`: decide, then add it here with a reason.
ALLOWED = {
    "MIT",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "Unlicense",
    "Unicode-3.0",
    # Mozilla's root certificate data in webpki-roots
    "CDLA-Permissive-2.0",
}


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", TARGET],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def shipped(meta):
    """The non-workspace packages the functions' binaries are built from."""
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    members = set(meta["workspace_members"])
    roots = [i for i in members if packages[i]["name"] in FUNCTIONS]
    if len(roots) != len(FUNCTIONS):
        sys.exit("licenses: the function packages were not all found in cargo metadata")
    seen, todo = set(), list(roots)
    while todo:
        node = nodes[todo.pop()]
        for dep in node["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
    return sorted(
        (packages[i] for i in seen if i not in members),
        key=lambda p: (p["name"], p["version"]),
    )


def satisfiable(expression):
    """Whether an SPDX expression (AND, OR, WITH, parentheses; `/` as OR) can be met with ALLOWED."""
    text = expression.replace("/", " OR ")
    tokens = re.findall(r"\(|\)|[A-Za-z0-9.+-]+(?: WITH [A-Za-z0-9.+-]+)?", text)

    def parse_binary(operator, operand, combine):
        def parse(i):
            value, i = operand(i)
            while i < len(tokens) and tokens[i] == operator:
                right, i = operand(i + 1)
                value = combine(value, right)
            return value, i
        return parse

    def parse_or(i):
        return parse_binary("OR", parse_binary("AND", parse_atom, lambda a, b: a and b), lambda a, b: a or b)(i)

    def parse_atom(i):
        if tokens[i] == "(":
            value, i = parse_or(i + 1)
            return value, i + 1
        return tokens[i] in ALLOWED, i + 1

    try:
        value, end = parse_or(0)
    except IndexError:
        return False
    return value and end == len(tokens)


def render(packages):
    by_license = {}
    for p in packages:
        by_license.setdefault(p.get("license") or "(none declared)", []).append(p)
    lines = [
        "# Third-party licenses",
        "",
        "The crates compiled into the deployed functions (availability, intake, handover, message) for",
        f"`{TARGET}`: normal dependencies, proc-macros included; build-only and dev-dependencies",
        "left out. Generated from `cargo metadata` by `scripts/licenses.py`; `make test` checks that",
        "it is current and that every license is one the script allows. The project itself is",
        "Apache-2.0 (`LICENSE`).",
        "",
        f"{len(packages)} crates under {len(by_license)} license expressions.",
        "",
    ]
    for license in sorted(by_license, key=lambda l: (-len(by_license[l]), l)):
        crates = by_license[license]
        lines.append(f"## {license} ({len(crates)})")
        lines.append("")
        lines.append(", ".join(f"{p['name']} {p['version']}" for p in crates))
        lines.append("")
    return "\n".join(lines)


def main():
    packages = shipped(metadata())
    refused = [p for p in packages if not satisfiable(p.get("license") or "")]
    text = render(packages)
    if "--check" in sys.argv[1:]:
        problems = [
            f"licenses: {p['name']} {p['version']} is under {p.get('license')!r}, not one scripts/licenses.py allows"
            for p in refused
        ]
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != text:
            problems.append("licenses: THIRD-PARTY-LICENSES.md is not current: run scripts/licenses.py")
        if problems:
            sys.exit("\n".join(problems))
        print(f"licenses: {len(packages)} third-party crates, every license allowed, THIRD-PARTY-LICENSES.md current")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    for p in refused:
        print(f"licenses: {p['name']} {p['version']} is under {p.get('license')!r}: not allowed", file=sys.stderr)
    print(f"licenses: wrote THIRD-PARTY-LICENSES.md ({len(packages)} crates)")
    sys.exit(1 if refused else 0)


if __name__ == "__main__":
    main()
