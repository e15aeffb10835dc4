"""The sandbox benchmark runs at a tiny size and produces every figure (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_sandbox.py")


def test_benchmark_prints_all_figures(tmp_path):
    out = tmp_path / "figures.json"
    completed = subprocess.run([sys.executable, str(BENCH), "--batch", "20", "--repeats", "2", "--json", str(out)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(out.read_text())
    assert figures["quote_batch"] == 20 and figures["dump_rows_all"] > 1000
    for name in ("dump_nfo", "quote_full", "quote_ltp", "profile", "historical_minute_5d"):
        assert figures[name]["median_ms"] > 0 and name in completed.stdout
    assert figures["first_dump_ms"] > 0 and "sandbox start" in completed.stdout
