"""The storage benchmark runs at a tiny size and produces every figure (no timing asserts)."""

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures_storage import victoria_metrics_binary
from tests.support import service_missing

BENCH = Path(__file__).with_name("bench_storage.py")


def test_benchmark_prints_all_figures(tmp_path):
    if victoria_metrics_binary() is None:
        service_missing("victoria-metrics (apt-get install victoria-metrics)")
    out = tmp_path / "figures.json"
    completed = subprocess.run([sys.executable, str(BENCH), "--rows", "1200", "--cycles", "40", "--repeats", "1",
                                "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(out.read_text())
    for key in ("records_to_points_per_s", "line_protocol_per_s", "embedded_rows_per_s", "csv_leg_points_per_s",
                "influx_line_protocol_points_per_s", "influx_client_point_objects_per_s"):
        assert figures[key]["median"] > 0 and key in completed.stdout
    assert figures["line_protocol_vs_point_objects"] > 0
    assert figures["memory_cycles"] == 40 and len(figures["rss_mb_samples"]) == 10
    assert "rss MB by cycle" in completed.stdout
