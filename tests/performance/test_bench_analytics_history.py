"""The history analytics benchmark runs at a tiny size and prints its figures (no wall-clock assertions), and
`measure` (imported by bench_history.py) returns a restart time and one figure per measured cycle."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_analytics_history.py")


def test_benchmark_prints_every_figure(project_home):
    run = subprocess.run([sys.executable, str(BENCH), "--days", "1,2", "--cycles-per-day", "4", "--cycles", "3"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("   1 days x   4 cycles/day") and lines[1].startswith("   2 days x   4 cycles/day")
    assert lines[2].startswith("ratio 2 days / 1 day(s): restart x")
    assert lines[-1].startswith("analytics history 2 days: restart ") and "ms max" in lines[-1]


def test_measure_returns_the_restart_and_each_following_cycle(tmp_path):
    from datetime import date

    from tests.performance.history_analytics import build_history, measure

    end = build_history(tmp_path, 1, 3, date(2026, 6, 30))
    assert end.date() == date(2026, 6, 30)
    restart, per_cycle = measure(tmp_path, end, 4)
    assert restart > 0 and len(per_cycle) == 3 and all(value > 0 for value in per_cycle)
