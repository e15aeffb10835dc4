"""The query benchmark runs briefly and prints a figure for every query (figures are printed, never asserted)."""

from __future__ import annotations

from tests.fixtures_api import start_service
from tests.performance.bench_queries import QUERIES, queries_table, time_queries


def test_query_benchmark_prints_every_query(tmp_path, capsys):
    from op_trading.storage import open_store

    running = start_service(tmp_path, cycles=2)
    try:
        store = open_store(running.settings)
        try:
            figures = time_queries(running.settings, store, running.face.chains, repeat=1)
        finally:
            store.close()
    finally:
        running.stop()
    assert set(figures) == set(QUERIES) and all(value is not None for value in figures.values())
    text = queries_table({1: figures, 2: figures})
    print(text)
    assert all(name in text for name in QUERIES) and "x2/1" in text
