"""Test mode selection: run one category of the project's tests with this interpreter's pytest.

A category is a folder under `tests/` (the folder also sets the pytest marker). pytest runs as a child process
with an argument list (never a shell string); its progress shows while it runs, a summary table follows, and the
step's status is pytest's own exit status (0 passed, 5 no tests, anything else failed). Skipped tests are listed
with pytest's reason, and what passing tests printed (the benchmarks' figures) is shown as a table per test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from op_trading.outcome import Outcome, Table, failed, ok, skipped

CATEGORIES = ("unit", "integration", "performance", "chaos", "property", "live", "mock", "participant")
# `tests/x.py::test PASSED` (one process) or `[gw0] [ 5%] PASSED tests/x.py::test` (pytest-xdist workers)
_RESULT = re.compile(r"(?:^(\S+::\S.*?) |\] )(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b(?: (\S+::\S+))?")
_TOTALS = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")
_SKIP = re.compile(r"SKIPPED \[(\d+)\] (\S+?): (.*)")
_SECTION = re.compile(r"([=_-])\1+ (.+?) \1+$")
NO_TESTS = 5
MAX_PRINTED_LINES = 40  # per test: figures, not a log


def tests_root() -> Path:
    return Path(__file__).resolve().parents[2] / "tests"


def pytest_command(category: str, root: Path) -> list[str]:
    targets = [str(root)] if category == "all" else [str(root / category)]
    # -r fEsP: failures, errors, skips with their reasons, and what passing tests printed (benchmark figures).
    # Benchmarks run in one process (-n 0): parallel workers would measure each other; the rest run in parallel.
    workers = ["-n", "0"] if category == "performance" else []
    return [sys.executable, "-m", "pytest", *targets, "-v", "--color=no", "-p", "no:cacheprovider", "-rfEsP",
            *workers]


def run_category(ctx, category: str) -> Outcome:
    if category != "all" and category not in CATEGORIES:
        return failed(f"unknown test category {category!r}; one of {', '.join(CATEGORIES)} or all")
    root = tests_root()
    if not root.is_dir():
        return failed(f"no tests folder at {root}: tests run from a source checkout of the project")
    if category != "all" and not any((root / category).glob("test_*.py")):
        return skipped(f"category '{category}' has no tests yet")
    command = pytest_command(category, root)
    counts, failures, lines, code = _run(ctx, command, root.parent, category)
    tail = lines[-5:]
    table = Table(f"{category} tests", ("Outcome", "Count"),
                  tuple((name, counts[name]) for name in sorted(counts)) or (("collected", 0),))
    tables = (table,)
    if failures:
        tables += (Table("Failed tests", ("Test",), tuple((name,) for name in failures[:20])),)
    skips = skip_reasons(lines)
    if skips:
        tables += (Table("Skipped tests", ("Where", "Count", "Reason"), tuple(skips)),)
    tables += tuple(Table(f"Printed by {test}", ("Output",), tuple((line,) for line in printed))
                    for test, printed in printed_output(lines).items())
    summary = ", ".join(f"{counts[name]} {name}" for name in sorted(counts)) or "nothing ran"
    if skips:
        summary += " (skip reasons below)"
    data = {"exit_code": code, "counts": dict(counts), "command": command}
    if code == 0:
        return ok(f"pytest passed: {summary}", tables=tables, data=data)
    if code == NO_TESTS:
        return skipped(f"category '{category}' collected no tests", tables=tables, data=data)
    last = tail[-1] if tail else ""
    return failed(f"pytest exited {code}: {summary}. {last}".strip(), tables=tables, data=data)


def skip_reasons(lines: list[str]) -> list[tuple[str, int, str]]:
    """(where, how many, reason) from pytest's short summary (`-rs`)."""
    return [(match.group(2), int(match.group(1)), match.group(3)) for line in lines if (match := _SKIP.match(line))]


def printed_output(lines: list[str]) -> dict[str, list[str]]:
    """What each passing test printed, from pytest's PASSES section (`-rP`): test name -> its stdout lines."""
    printed: dict[str, list[str]] = {}
    in_passes, test, capturing = False, "", False
    for line in lines:
        section = _SECTION.match(line)
        if section:
            bar, title = section.group(1), section.group(2)
            if bar == "=":
                in_passes = title == "PASSES"
                capturing = False
            elif bar == "_" and in_passes:
                test, capturing = title, False
            elif bar == "-" and in_passes:
                capturing = title == "Captured stdout call"
            continue
        if in_passes and capturing and test and line.strip():
            kept = printed.setdefault(test, [])
            if len(kept) < MAX_PRINTED_LINES:
                kept.append(line)
    return printed


def _run(ctx, command: list[str], cwd: Path, category: str) -> tuple[Counter, list[str], list[str], int]:
    seen: Counter = Counter()
    failures: list[str] = []
    lines: list[str] = []
    totals: Counter = Counter()
    with ctx.ui.progress(f"Running {category} tests") as progress:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   encoding="utf-8", errors="replace")
        try:
            for line in process.stdout:
                line = line.rstrip()
                lines.append(line)
                result = _RESULT.search(line)
                if result:
                    outcome = result.group(2).lower()
                    seen[outcome] += 1
                    if outcome in ("failed", "error"):
                        failures.append(result.group(1) or result.group(3) or line)
                    progress.advance()
                    progress.describe(f"{category}: {sum(seen.values())} run, {seen['failed'] + seen['error']} failed")
                if line.startswith("=") and _TOTALS.search(line):
                    totals = Counter({_plural(name): int(number) for number, name in _TOTALS.findall(line)})
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            raise
        code = process.wait()
    return (totals or seen), failures, lines, code


def _plural(name: str) -> str:
    return {"error": "errors"}.get(name, name)
