"""Timing of every query of the query layer (op_trading.queries) on a given store.

`time_queries(settings, store, chains=None, repeat=3)` -> {query name: best seconds (None when nothing is stored for
it)}; `queries_table(figures_by_days)` prints the figures side by side with the ratio to the smallest history, which
is how `bench_history.py` (helper "store") shows them at 1, 20 and 120 days of history: the ratios must stay within a
small constant factor, because every query reads a bounded time window. Run alone (`python -m
tests.performance.bench_queries`) it times the queries on a store filled by a short simulated session.
"""

from __future__ import annotations

import time
from typing import Any, Callable

QUERIES: dict[str, Callable[[Any], Any]] = {
    "overview": lambda q: q.overview(),
    "chain NIFTY ±10": lambda q: q.chain("NIFTY", strikes=10),
    "oi change 30m": lambda q: q.oi_change("NIFTY", window_minutes=30),
    "intraday series": lambda q: q.intraday("NIFTY"),
    "daily series 20d": lambda q: q.daily("NIFTY", days=20),
    "daily series 120d": lambda q: q.daily("NIFTY", days=120),
    "cash flows 5m": lambda q: q.cash_flows("5m", "index", 12),
    "cash flows 1d": lambda q: q.cash_flows("1d", "index", 5),
    "participants 20d": lambda q: q.participants(20),
    "market breadth": lambda q: q.market_breadth(),
    "volatility": lambda q: q.volatility(),
    "positions": lambda q: q.positions(),
    "alerts 24h": lambda q: q.alerts(50, 24),
    "alerts last hour": lambda q: q.alerts_last_hour(100),
    "premarket": lambda q: q.premarket(),
}


def time_queries(settings, store, chains: Any = None, repeat: int = 3) -> dict[str, float | None]:
    """Best-of-`repeat` wall seconds per query on `store` (a fresh Queries, so no answer is cached between runs
    of the same query except what the query layer itself keeps, e.g. the VIX history per day)."""
    from op_trading.queries.base import NotFound, Queries
    from op_trading.queries.readers import open_chain_reader

    queries = Queries(settings, store, chains if chains is not None else open_chain_reader(settings, store))
    figures: dict[str, float | None] = {}
    for name, query in QUERIES.items():
        best = None
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                query(queries)
            except NotFound:
                best = None
                break
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        figures[name] = best
    return figures


def queries_table(figures_by_days: dict[int, dict[str, float | None]]) -> str:
    """Milliseconds per query for each history length, and each one's ratio to the shortest history."""
    days = sorted(figures_by_days)
    header = f"{'query':<20}" + "".join(f"{f'{d} d (ms)':>12}" for d in days) + "".join(
        f"{f'x{d}/{days[0]}':>10}" for d in days[1:])
    lines = [header, "-" * len(header)]
    for name in QUERIES:
        values = [figures_by_days[d].get(name) for d in days]
        cells = "".join(f"{'n/a' if v is None else f'{v * 1000:.2f}':>12}" for v in values)
        base = values[0]
        ratios = "".join(f"{'n/a' if v is None or not base else f'{v / base:.2f}':>10}" for v in values[1:])
        lines.append(f"{name:<20}{cells}{ratios}")
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - a manual run
    import tempfile
    from pathlib import Path

    from op_trading.storage import open_store
    from tests.fixtures_api import start_service

    with tempfile.TemporaryDirectory() as folder:
        running = start_service(Path(folder), cycles=4)
        try:
            store = open_store(running.settings)
            print(queries_table({1: time_queries(running.settings, store, running.face.chains)}))
            store.close()
        finally:
            running.stop()


if __name__ == "__main__":
    main()
