"""The sandbox benchmark runs at a tiny size and produces every figure (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_sandbox.py")


def test_benchmark_prints_all_figures(tmp_path):
    out = tmp_path / "figures.json"
    completed = subprocess.run([sys.executable, str(BENCH), "--batch", "20", "--repeats", "2", "--seconds", "0.1",
                                "--rounds", "1", "--json", str(out)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(out.read_text())
    assert figures["quote_batch"] == 20 and figures["dump_rows_all"] > 1000
    for name in ("dump_nfo", "quote_full", "quote_ltp", "profile", "historical_minute_5d"):
        assert figures[name]["median_ms"] > 0 and name in completed.stdout
    assert figures["first_dump_ms"] > 0 and "sandbox start" in completed.stdout
    rows = figures["side_by_side"]
    assert {row["what"].split(",")[0] for row in rows} >= {"/quote x20", "/quote/ltp x20", "/quote/ohlc x20"}
    for row in rows:  # both sides measured in the same run, and the ratio printed next to them
        assert row["sim_rps"] > 0 and row["trivial_rps"] > 0 and f"ratio {row['ratio']:.3f}" in completed.stdout
