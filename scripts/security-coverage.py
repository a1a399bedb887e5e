#!/usr/bin/env python3
"""Which rows of the security targets (shared/docs/security.md) are covered by a test.

A test says what it proves with a comment tag just above it (or in its file's header):

    // ASVS v5.0.0-3.5.1          an ASVS 5.0.0 requirement
    // Security target #36        a row of security.md that names no ASVS requirement

(`asvs_v5_0_0_3_5_1` in a test's name counts too.) A row is covered when a test carries one of
the requirements the row names (ranges such as `3.5.1–3.5.3` and wildcards such as `6.2.x`
expand) or the row's own number. Tags are looked for in the Rust tests (`crates/*/tests/`,
`#[cfg(test)]` modules in `crates/*/src/`) and the browser tests (`e2e/tests/`, `e2e/lib/`).

Usage: scripts/security-coverage.py [--doc PATH] [--strict]
Prints one line per row (covered or not, and by which tests) and a summary. With --strict,
exits 1 when a row is not covered.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TAG = re.compile(r"v5\.0\.0-(\d+(?:\.\d+){1,2}(?:\.x)?)")
NAME_TAG = re.compile(r"asvs_v5_0_0_(\d+(?:_\d+){1,2})")
ROW_TAG = re.compile(r"Security target #(\d+)")
TEST_FN = re.compile(r"^\s*(?:pub\s+)?(?:async\s+)?fn\s+(\w+)|^\s*test\(\s*['\"]([^'\"]+)")
REQ = re.compile(r"(?<![\w.])(\d{1,2}\.(?:\d{1,2}|x)(?:\.(?:\d{1,2}|x))?)(?:\s*[–-]\s*(\d{1,2}\.\d{1,2}\.\d{1,2}))?")


def default_doc() -> pathlib.Path:
    for candidate in (ROOT.parent / "shared/docs/security.md", ROOT / "docs/security.md"):
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared/docs/security.md"


def rows(doc: pathlib.Path) -> list[tuple[int, str, list[str]]]:
    """(number, target, requirement patterns) for each row of the targets table."""
    out = []
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].isdigit():
            continue
        number, target = int(cells[0]), cells[1]
        patterns: list[str] = []
        for start, end in REQ.findall(target):
            if end:
                a, b = start.split("."), end.split(".")
                if a[:2] == b[:2] and a[2].isdigit():
                    patterns += [f"{a[0]}.{a[1]}.{n}" for n in range(int(a[2]), int(b[2]) + 1)]
                    continue
            patterns.append(start)
        out.append((number, target, patterns))
    return out


def test_files() -> list[pathlib.Path]:
    files = sorted(ROOT.glob("crates/*/tests/**/*.rs"))
    files += sorted(p for p in ROOT.glob("crates/*/src/**/*.rs") if "#[cfg(test)]" in p.read_text(encoding="utf-8"))
    files += sorted(p for p in ROOT.glob("e2e/tests/**/*") if p.suffix in {".js", ".mjs", ".ts"})
    files += sorted(p for p in ROOT.glob("e2e/lib/**/*") if p.suffix in {".js", ".mjs", ".ts"})
    return files


def tags() -> list[tuple[str, str, str]]:
    """(kind, value, where) for every tag: kind is 'req' or 'row'; where names the test."""
    found = []
    for path in test_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        rel = path.relative_to(ROOT)
        # In a source file only its test module counts, not comments on the code it tests.
        first = 0
        if rel.parts[2] == "src":
            first = next((i for i, l in enumerate(lines) if "#[cfg(test)]" in l), len(lines))
        for i, line in enumerate(lines):
            if i < first:
                continue
            hits = [("req", m) for m in TAG.findall(line)]
            hits += [("req", m.replace("_", ".")) for m in NAME_TAG.findall(line)]
            hits += [("row", m) for m in ROW_TAG.findall(line)]
            if not hits:
                continue
            # The test the tag belongs to: the next function (or browser test) below it, or the
            # file itself for a tag in the file's header.
            where = str(rel)
            for follow in lines[i : i + 12]:
                m = TEST_FN.match(follow)
                if m:
                    where = f"{rel}::{m.group(1) or m.group(2)}"
                    break
            found += [(kind, value, where) for kind, value in hits]
    return found


def matches(pattern: str, requirement: str) -> bool:
    if pattern.endswith(".x"):
        return requirement.startswith(pattern[:-1])
    if pattern.count(".") == 1:
        return requirement == pattern or requirement.startswith(pattern + ".")
    return requirement == pattern or (requirement.endswith(".x") and pattern.startswith(requirement[:-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", type=pathlib.Path, default=default_doc())
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if not args.doc.exists():
        print(f"security targets not found at {args.doc}", file=sys.stderr)
        return 2
    all_tags = tags()
    covered = 0
    table = rows(args.doc)
    for number, target, patterns in table:
        by = sorted(
            {
                where
                for kind, value, where in all_tags
                if (kind == "row" and int(value) == number)
                or (kind == "req" and any(matches(p, value) for p in patterns))
            }
        )
        covered += bool(by)
        mark = "covered" if by else "NOT COVERED"
        print(f"#{number:<3} {mark:<12} {target}")
        for where in by[:6]:
            print(f"       {where}")
        if len(by) > 6:
            print(f"       … and {len(by) - 6} more")
    print(f"\n{covered} of {len(table)} security targets covered by a tagged test; {len(all_tags)} tags in all")
    return 1 if args.strict and covered < len(table) else 0


if __name__ == "__main__":
    sys.exit(main())
