"""Start-up benchmark: whole processes, medians side by side, measured interleaved.

    python tests/performance/bench_startup.py [--runs 15]

Measures bare `python -c pass`, a rich-only menu (the least a menu drawn with rich can cost), the time until the
main menu's prompt is on a pseudo-terminal (then answers 0 to leave), and `--help`. Target (issue 8): the main
menu takes at most 1.7 times as long as the rich-only menu.
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
TARGET_RATIO = 1.7
PROMPT = "Choose 0-3:"

# The same screen drawn with rich alone: header between rules, title, numbered items, the prompt, one line read.
RICH_ONLY_MENU = r"""
import sys
from rich.console import Console
from rich.text import Text
console = Console(highlight=False, markup=False, emoji=False)
console.rule(style="dim")
console.print(Text("OP Trading Platform 0.1.0  |  mode: -  |  data: mock  |  token: missing  |  storage: embedded"))
console.rule(style="dim")
console.print(Text("Main menu", style="bold"))
console.print()
for number, title in (("1", "Setup (First Time)"), ("2", "Development"), ("3", "Production"), ("0", "Exit")):
    console.print(Text(f"  {number:>2}. {title}"))
console.print()
console.print("Choose 0-3: ", end="")
sys.stdin.readline()
"""


def _env(home: str) -> dict[str, str]:
    """A user's machine keeps compiled modules; so do these runs (in the bench's own folder, not the checkout)."""
    env = dict(os.environ, OP_TRADING_HOME=home, NO_COLOR="1", COLUMNS="120", PROMPT_TOOLKIT_NO_CPR="1",
               PYTHONPYCACHEPREFIX=str(Path(home) / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_command(argv: list[str], home: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(home), check=True)
    return time.perf_counter() - start


def time_to_prompt(argv: list[str], home: str) -> float:
    """Seconds from spawning `argv` on a pseudo-terminal until the menu prompt is on screen."""
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=_env(home), cwd=home, encoding="utf-8", timeout=20,
                          dimensions=(40, 120))
    child.expect_exact(PROMPT)
    elapsed = time.perf_counter() - start
    child.send("0\r")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def measure(runs: int) -> dict[str, list[float]]:
    home = tempfile.mkdtemp(prefix="op-bench-")
    cases = {
        "python -c pass": lambda: time_command([sys.executable, "-c", "pass"], home),
        "rich-only menu on a pty": lambda: time_to_prompt([sys.executable, "-c", RICH_ONLY_MENU], home),
        "main menu on a pty": lambda: time_to_prompt([sys.executable, ENTRY], home),
        "op_trading_setup.py --help": lambda: time_command([sys.executable, ENTRY, "--help"], home),
    }
    for case in cases.values():  # warm-up: .pyc files written, caches filled
        case()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so a busy moment hits every case alike
        for name, case in cases.items():
            results[name].append(case())
    return results


def menu_ratio(results: dict[str, list[float]]) -> float:
    """Main menu over rich-only menu, from the per-round ratios (each round's cases ran back to back)."""
    pairs = zip(results["main menu on a pty"], results["rich-only menu on a pty"])
    return statistics.median(menu / rich for menu, rich in pairs)


def report(results: dict[str, list[float]]) -> str:
    bare = statistics.median(results["python -c pass"])
    rich = statistics.median(results["rich-only menu on a pty"])
    runs = len(next(iter(results.values())))
    lines = [f"{'case':<30} {'median s':>9} {'min s':>7} {'max s':>7} {'x bare':>7} {'x rich':>7}   (n={runs})"]
    for name, values in results.items():
        median = statistics.median(values)
        lines.append(f"{name:<30} {median:>9.3f} {min(values):>7.3f} {max(values):>7.3f} {median / bare:>7.1f} "
                     f"{median / rich:>7.2f}")
    ratio = menu_ratio(results)
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    lines.append(f"main menu / rich-only menu (median of per-round ratios): {ratio:.2f}x; "
                 f"target <= {TARGET_RATIO}x -> {verdict}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    print(report(measure(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
