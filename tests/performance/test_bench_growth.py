"""The growth benchmark runs briefly and prints per-measurement and per-bucket figures (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_growth.py")


def test_benchmark_prints_growth_per_measurement_and_bucket(tmp_path):
    out = tmp_path / "growth.json"
    completed = subprocess.run([sys.executable, str(BENCH), "--cycles", "3", "--json", str(out)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(out.read_text())
    rows = figures["measurements"]
    assert figures["undeclared"] == [] and rows["atm_option_quote"]["stored_points"] > 0
    assert rows["chain_metrics_daily"]["stored_points"] < rows["chain_metrics_daily"]["sent_points"]
    assert set(figures["buckets"]) == {"options-data", "cash-flows", "participant-flows"}
    for name in rows:
        assert name in completed.stdout
    assert "points/day" in completed.stdout
