"""Benchmark: analytics against 1, 20 and 120 days of stored history — the first pass after a restart and the
per-cycle analytics that follow (all analyzers together), side by side, so flatness in history length shows.

Run: python tests/performance/bench_analytics_history.py [--days 1,20,120] [--cycles-per-day 150,20,5] [--cycles 30]
History is built through the storage API by the simulator, the collector and the same analytics (history_analytics.
build_history); to stay fast, longer histories use fewer cycles per day (stated in the output): the rollups the
analytics seed from hold one row per bucket/day whatever the cycles per day, and raw rows are read only for bounded
windows (the running 5-minute slot, the position window, the lookback's session closes).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.performance.history_analytics import build_history, measure  # noqa: E402

LAST_DAY = date(2026, 6, 30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="1,20,120")
    parser.add_argument("--cycles-per-day", default="150,20,5")
    parser.add_argument("--cycles", type=int, default=30, help="cycles measured after the restart")
    args = parser.parse_args(argv)
    days = [int(value) for value in args.days.split(",")]
    per_day = [int(value) for value in args.cycles_per_day.split(",")]
    per_day += [per_day[-1]] * (len(days) - len(per_day))
    rows = []
    for history, cycles_per_day in zip(days, per_day):
        folder = Path(tempfile.mkdtemp(prefix="op-bench-history-"))
        try:
            began = time.perf_counter()
            end = build_history(folder, history, cycles_per_day, LAST_DAY)
            built = time.perf_counter() - began
            restart, per_cycle = measure(folder, end, args.cycles)
            size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2 ** 20
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rows.append((history, cycles_per_day, built, size, restart, statistics.median(per_cycle), max(per_cycle)))
        print(f"{history:>4} days x {cycles_per_day:>3} cycles/day: built in {built:6.1f} s, store {size:7.1f} MiB, "
              f"first pass after restart {restart:6.3f} s, per-cycle analytics median {rows[-1][5]:6.1f} ms "
              f"max {rows[-1][6]:6.1f} ms", flush=True)
    first = rows[0]
    for history, _, _, _, restart, median, peak in rows[1:]:
        print(f"ratio {history} days / {first[0]} day(s): restart x{restart / first[4]:.2f}, "
              f"median x{median / first[5]:.2f}, max x{peak / first[6]:.2f}")
    largest = rows[-1]
    print(f"analytics history {largest[0]} days: restart {largest[4]:.2f} s, analytics median {largest[5]:.1f} ms "
          f"max {largest[6]:.1f} ms (goal: restart <= 2 s, median <= 50 ms, max <= 250 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
