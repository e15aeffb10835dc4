"""The cycle benchmark runs at a tiny size and produces its figures (no wall-clock assertions)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cycle  # noqa: E402 - the benchmark script lives beside this test


def test_simulator_benchmark_reports_one_quote_call_per_cycle(tmp_path):
    result = bench_cycle.bench_simulator(2, tmp_path)
    assert [stats.quote_calls for stats in result["stats"]] == [1, 1] and result["server_quote_calls"] == 2
    lines = bench_cycle.report_simulator(result)
    assert any(line.strip().startswith("quote calls per cycle     : 1..1") for line in lines)
    assert any("our CPU ms (excl. calls)" in line for line in lines)
    assert all(stats.cpu_ms > 0 and stats.wall_ms >= stats.network_ms for stats in result["stats"])


def test_memory_benchmark_produces_checkpoints(tmp_path):
    result = bench_cycle.bench_memory(4, tmp_path, trace=True)  # traced checkpoints are slow: a small run proves it
    assert result["legs"] == 4 * 140 and len(result["samples"]) >= 2
    assert all(traced is not None for _, _, traced, _ in result["samples"])
    lines = bench_cycle.report_memory(result)
    assert lines[-1].startswith("  growth from cycle")

