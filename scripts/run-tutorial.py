#!/usr/bin/env python3
"""Run a mimic tutorial (markdown) and check that every step prints what the document says.

Usage:
    MIMIC_DATA_DIR=DIR scripts/run-tutorial.py docs/tutorial-user-assigned.md
    MIMIC_DATA_DIR=DIR scripts/run-tutorial.py --print docs/tutorial-user-assigned.md

How a tutorial is read:
  * Every fenced block whose info string is exactly ``bash`` is a step. Steps run in document order,
    in ONE bash process (``set -euo pipefail``), so variables set by one step are visible to the next.
  * A step is skipped when the line right before its opening fence (blank lines aside) is
    ``<!-- tutorial-runner: skip -->`` (for example "start mimic in another terminal").
  * The first fenced ``json`` or ``text`` block after a step (and before the next ``bash`` block) is
    the step's expected output. A step without one must print nothing.
  * ``<…>`` in an expected output is a placeholder: it matches any text within that line (or within
    that JSON string). Everything else must match exactly.
  * ``json`` outputs are compared structurally: the actual output must be a sequence of JSON values
    with the same keys and values as the document (key order and whitespace do not matter).
    A JSON string that is only a placeholder also matches a number, boolean or null.
  * ``text`` outputs are compared line by line after stripping trailing whitespace and trailing
    blank lines.

The runner needs MIMIC_DATA_DIR (the data dir of a running ``mimic up``) and runs the steps in a
fresh temporary directory. It exits 0 when every step matched; otherwise it prints the failing step,
the expected and the actual output, and exits 1. ``--print`` runs the steps and prints every step's
actual output (to write or refresh the document) without comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field

SKIP_MARKER = "<!-- tutorial-runner: skip -->"
PLACEHOLDER = re.compile(r"<[^<>\s][^<>]*>")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*$")
# Proxies must never see mimic's loopback traffic.
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass
class Block:
    """One fenced block of the document."""

    lang: str
    body: str
    line: int  # 1-based line of the opening fence
    skip: bool = False


@dataclass
class Step:
    """A ``bash`` block and the output the document expects from it."""

    block: Block
    expected: Block | None = None
    actual: str = field(default="")


def parse_blocks(text: str) -> list[Block]:
    """Returns the document's fenced blocks in order (indented fences, as in lists, included)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    last_nonblank = ""
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            if lines[i].strip():
                last_nonblank = lines[i].strip()
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3)
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and set(close) == {fence[0]}:
                break
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        blocks.append(Block(lang, "\n".join(body), start + 1, skip=last_nonblank == SKIP_MARKER))
        last_nonblank = ""
        i += 1
    return blocks


def steps_of(blocks: list[Block]) -> list[Step]:
    """Pairs every runnable ``bash`` block with its expected-output block, if any."""
    steps: list[Step] = []
    current: Step | None = None
    for block in blocks:
        if block.lang == "bash":
            current = None
            if not block.skip:
                current = Step(block)
                steps.append(current)
        elif block.lang in ("json", "text") and current is not None and current.expected is None:
            current.expected = block
    return steps


def run_steps(steps: list[Step], timeout: float) -> tuple[int, str, int]:
    """Runs all steps in one bash; fills ``Step.actual``. Returns (exit code, stderr, steps started)."""
    marker = f"@@tutorial-step-{uuid.uuid4().hex}@@"
    script = ["set -euo pipefail"]
    for n, step in enumerate(steps):
        script.append(f"printf '\\n%s %d\\n' '{marker}' {n}")
        script.append(step.block.body)
    script.append(f"printf '\\n%s end\\n' '{marker}'")
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    with tempfile.TemporaryDirectory(prefix="mimic-tutorial-") as work:
        proc = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    started = 0
    parts = re.split(rf"\n?{re.escape(marker)} (\d+|end)\n", proc.stdout)
    # parts = [before-first-marker, id, output, id, output, ...]
    for ident, output in zip(parts[1::2], parts[2::2]):
        if ident == "end":
            break
        steps[int(ident)].actual = output
        started = int(ident) + 1
    return proc.returncode, proc.stderr, started


def placeholder_regex(expected: str) -> re.Pattern[str]:
    """A regex matching ``expected`` with every ``<…>`` standing for any text (same line)."""
    pieces = PLACEHOLDER.split(expected)
    return re.compile("[^\n]*?".join(re.escape(p) for p in pieces), re.DOTALL)


def is_placeholder(value: str) -> bool:
    """True when the whole string is one placeholder."""
    return PLACEHOLDER.fullmatch(value) is not None


def normalise_lines(text: str) -> list[str]:
    """Lines with trailing whitespace stripped, without leading/trailing blank lines."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def text_diff(expected: str, actual: str) -> str | None:
    """None when ``actual`` matches ``expected`` line by line; otherwise a description."""
    want, got = normalise_lines(expected), normalise_lines(actual)
    for n, (w, g) in enumerate(zip(want, got), start=1):
        if not placeholder_regex(w).fullmatch(g):
            return f"line {n} differs:\n  expected: {w}\n  actual:   {g}"
    if len(want) != len(got):
        return f"expected {len(want)} lines, got {len(got)}"
    return None


def json_values(text: str) -> list[object]:
    """Parses a whitespace-separated sequence of JSON values (what ``jq`` prints)."""
    decoder = json.JSONDecoder()
    values: list[object] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        value, end = decoder.raw_decode(text, pos)
        values.append(value)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return values


def json_diff(want: object, got: object, path: str = "$") -> str | None:
    """None when ``got`` matches ``want`` (placeholders allowed in ``want``'s strings)."""
    if isinstance(want, str):
        if is_placeholder(want) and not isinstance(got, (dict, list)):
            return None
        if isinstance(got, str) and placeholder_regex(want).fullmatch(got):
            return None
        return f"{path}: expected {json.dumps(want)}, got {json.dumps(got)}"
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path}: expected an object, got {json.dumps(got)}"
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        if missing or extra:
            return f"{path}: missing keys {missing}, unexpected keys {extra}"
        for key in want:
            diff = json_diff(want[key], got[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: expected {json.dumps(want)}, got {json.dumps(got)}"
        for n, (w, g) in enumerate(zip(want, got)):
            diff = json_diff(w, g, f"{path}[{n}]")
            if diff:
                return diff
        return None
    # numbers, booleans, null: exact (bool is not int here)
    if type(want) is not type(got) or want != got:
        return f"{path}: expected {json.dumps(want)}, got {json.dumps(got)}"
    return None


def compare(step: Step) -> str | None:
    """None when the step's actual output matches the document."""
    if step.expected is None:
        return None if not step.actual.strip() else "expected no output"
    if step.expected.lang == "text":
        return text_diff(step.expected.body, step.actual)
    try:
        want = json_values(step.expected.body)
    except ValueError as err:
        return f"the document's JSON does not parse ({err}); quote placeholders as strings"
    try:
        got = json_values(step.actual)
    except ValueError as err:
        return f"the actual output is not JSON ({err})"
    if len(want) != len(got):
        return f"expected {len(want)} JSON values, got {len(got)}"
    for n, (w, g) in enumerate(zip(want, got)):
        diff = json_diff(w, g, f"value[{n}]")
        if diff:
            return diff
    return None


def describe(step: Step, number: int, total: int) -> str:
    """A header naming the step by number and document line."""
    return f"--- step {number}/{total} (line {step.block.line}) ---\n{step.block.body}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tutorial", help="the markdown file to run")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print every step's actual output instead of comparing")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the whole run (default 180)")
    args = parser.parse_args()

    if not os.environ.get("MIMIC_DATA_DIR"):
        print("run-tutorial: set MIMIC_DATA_DIR to the data dir of a running `mimic up`", file=sys.stderr)
        return 2
    with open(args.tutorial, encoding="utf-8") as f:
        steps = steps_of(parse_blocks(f.read()))
    if not steps:
        print(f"run-tutorial: no ```bash steps in {args.tutorial}", file=sys.stderr)
        return 2

    try:
        code, stderr, started = run_steps(steps, args.timeout)
    except subprocess.TimeoutExpired:
        print(f"run-tutorial: {args.tutorial} did not finish within {args.timeout:.0f} s", file=sys.stderr)
        return 1

    total = len(steps)
    if args.print_only:
        for n, step in enumerate(steps[:started], start=1):
            print(describe(step, n, total))
            print("--- output ---")
            print(step.actual.rstrip("\n"))
            print()
        if code != 0:
            print(f"run-tutorial: bash exited {code} in step {started}/{total}\n--- stderr ---\n{stderr}")
        return 0 if code == 0 else 1

    failures = 0
    for n, step in enumerate(steps[:started], start=1):
        failed_here = code != 0 and n == started
        diff = compare(step)
        if diff is None and not failed_here:
            continue
        failures += 1
        print(describe(step, n, total))
        if failed_here:
            print(f"--- the step failed: bash exited {code} ---")
        if diff is not None:
            print(f"--- mismatch: {diff} ---")
        print("--- expected ---")
        print(step.expected.body if step.expected else "(no output)")
        print("--- actual ---")
        print(step.actual.rstrip("\n"))
        print()
        if failed_here:
            break
    if code != 0 and started == 0:
        failures += 1
        print(f"run-tutorial: bash exited {code} before the first step")
    if failures:
        if stderr.strip():
            print(f"--- stderr of the run ---\n{stderr.rstrip()}")
        print(f"run-tutorial: {args.tutorial}: {failures} step(s) failed")
        return 1
    print(f"run-tutorial: {args.tutorial}: all {total} steps matched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
