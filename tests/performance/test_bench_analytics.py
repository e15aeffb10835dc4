"""The analytics benchmark runs at a tiny size and prints its figures (no wall-clock assertions)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_analytics.py")


def test_benchmark_prints_every_figure():
    run = subprocess.run([sys.executable, str(BENCH), "--strikes", "20", "--instruments", "5", "--cycles", "20"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["chain metrics, 40 options", "max pain, 20 strikes",
                                                       "cash-flow estimate", "aggregation, 7 timeframes"]
    assert all(float(line.split()[-2].replace(",", "")) > 0 for line in lines)
