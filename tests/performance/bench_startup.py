"""Start-up benchmark: whole processes, medians side by side.

    python tests/performance/bench_startup.py [--runs 15]

Measures bare `python -c pass`, `op_trading_setup.py --help`, and the time until the main menu's prompt is on a
pseudo-terminal (then answers 0 to leave). Target: main menu ≤ 0.20 s median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "op_trading_setup.py")


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ, OP_TRADING_HOME=home, NO_COLOR="1", COLUMNS="120", PROMPT_TOOLKIT_NO_CPR="1")
    return env


def time_command(argv: list[str], home: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(home), check=True)
    return time.perf_counter() - start


def time_to_menu(home: str) -> float:
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(sys.executable, [ENTRY], env=_env(home), cwd=home, encoding="utf-8", timeout=20,
                          dimensions=(40, 120))
    child.expect_exact("Choose 0-3:")
    elapsed = time.perf_counter() - start
    child.send("0\r")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def measure(runs: int) -> dict[str, list[float]]:
    home = tempfile.mkdtemp(prefix="op-bench-")
    cases = {
        "python -c pass": lambda: time_command([sys.executable, "-c", "pass"], home),
        "op_trading_setup.py --help": lambda: time_command([sys.executable, ENTRY, "--help"], home),
        "main menu on a pty": lambda: time_to_menu(home),
    }
    for case in cases.values():  # warm-up: .pyc files written, caches filled
        case()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so a busy moment hits every case alike
        for name, case in cases.items():
            results[name].append(case())
    return results


def report(results: dict[str, list[float]]) -> str:
    bare = statistics.median(results["python -c pass"])
    lines = [f"{'case':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'x bare':>7}   (n={len(next(iter(results.values())))})"]
    for name, values in results.items():
        median = statistics.median(values)
        lines.append(f"{name:<30} {median:>9.3f} {min(values):>7.3f} {max(values):>7.3f} {median / bare:>7.1f}")
    menu = statistics.median(results["main menu on a pty"])
    lines.append(f"target: main menu <= 0.200 s median -> {'met' if menu <= 0.2 else 'NOT met'} ({menu:.3f} s)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    print(report(measure(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
