"""The history benchmark runs at a tiny size, prints every figure side by side and ends with the summary line."""

import json
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_history.py")
SUMMARY = re.compile(r"^history 2 days: restart (n/a|[\d.]+) s, analytics median (n/a|\d+) ms max (n/a|\d+) ms, "
                     r"store [\d.]+ MiB/day, slowest series query \d+ ms$")


def test_benchmark_prints_the_table_and_ends_with_the_summary_line(tmp_path):
    out = tmp_path / "history.json"
    completed = subprocess.run([sys.executable, str(BENCH), "--days", "2", "--legacy-days", "1", "--cycles", "6",
                                "--json", str(out)],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    figures = json.loads(out.read_text())
    chunked, legacy = figures["chunked"], figures["legacy"]
    assert set(chunked) == {"1", "2"} and set(legacy) == {"1"}
    for row in (*chunked.values(), *legacy.values()):
        assert row["mib_per_day"] > 0 and all(row[name] > 0 for name in ("straddle", "pcr_day", "oi_change"))
    assert chunked["1"]["mib_per_day"] < legacy["1"]["mib_per_day"]  # the point of the layout
    assert figures["insert_rows_per_s"]["chunked"] > 0 and "ratio" in completed.stdout


def test_bad_days_get_a_one_line_usage_error():
    completed = subprocess.run([sys.executable, str(BENCH), "--days", "0"], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 2 and "--days must be at least 1" in completed.stderr
    assert "Traceback" not in completed.stderr
