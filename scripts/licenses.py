#!/usr/bin/env python3
"""The third-party licenses the deployed binaries carry: the crates the four functions really
build, from `cargo tree`.

`cargo tree -p availability -p intake -p handover -p message` resolves dependency features over
those four alone, as their release build does (`scripts/build-release.sh`, and `sam build` through
the workspace's `default-members`); `cargo metadata` would unify them over the whole workspace,
and list crates only the tests' wiremock enables. For their Lambda target (aarch64 Linux):
normal dependencies only, proc-macros included; build-only and dev-dependencies are left out,
since none of their code is in a bootstrap. Writes THIRD-PARTY-LICENSES.md, one section per
license expression. Which licenses are allowed is cargo-deny's to check (deny.toml, `make test`).

    scripts/licenses.py          write THIRD-PARTY-LICENSES.md
    scripts/licenses.py --check  fail when the file is not what the functions build (make test)
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "THIRD-PARTY-LICENSES.md")
FUNCTIONS = ("availability", "intake", "handover", "message")
OURS = set(FUNCTIONS) | {"shared"}
TARGET = "aarch64-unknown-linux-gnu"


def shipped():
    """The third-party packages the functions' binaries are built from: (name, version, license)."""
    command = ["cargo", "tree", "--locked", "-e", "normal", "--target", TARGET, "--prefix", "none",
               "--format", "{p}\t{l}"]
    for function in FUNCTIONS:
        command += ["-p", function]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"licenses: cargo tree failed:\n{run.stderr}")
    out = run.stdout
    packages = set()
    for line in out.splitlines():
        if "\t" not in line:
            continue
        package, license = line.split("\t", 1)
        name, version = package.split(" ")[:2]
        if name in OURS:
            continue
        license = license.removesuffix(" (*)").strip()
        packages.add((name, version.removeprefix("v"), license or "(none declared)"))
    if not packages:
        sys.exit("licenses: cargo tree listed no third-party crate")
    return sorted(packages)


def render(packages):
    by_license = {}
    for name, version, license in packages:
        by_license.setdefault(license, []).append(f"{name} {version}")
    lines = [
        "# Third-party licenses",
        "",
        "The crates compiled into the deployed functions (availability, intake, handover, message) for",
        f"`{TARGET}`, with the features their release build enables: normal dependencies, proc-macros",
        "included; build-only and dev-dependencies left out. Generated from `cargo tree` by",
        "`scripts/licenses.py`; `make test` checks that it is current, and cargo-deny (`deny.toml`)",
        "that every license is one we allow. The project itself is Apache-2.0 (`LICENSE`).",
        "",
        f"{len(packages)} crates under {len(by_license)} license expressions.",
        "",
    ]
    for license in sorted(by_license, key=lambda l: (-len(by_license[l]), l)):
        crates = by_license[license]
        lines.append(f"## {license} ({len(crates)})")
        lines.append("")
        lines.append(", ".join(crates))
        lines.append("")
    return "\n".join(lines)


def main():
    packages = shipped()
    text = render(packages)
    if "--check" in sys.argv[1:]:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != text:
            sys.exit("licenses: THIRD-PARTY-LICENSES.md is not what the functions build: run scripts/licenses.py")
        print(f"licenses: {len(packages)} third-party crates, THIRD-PARTY-LICENSES.md current")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"licenses: wrote THIRD-PARTY-LICENSES.md ({len(packages)} crates)")


if __name__ == "__main__":
    main()
