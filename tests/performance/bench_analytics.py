"""Benchmark of the analytics hot paths: chain metrics on a full chain, cash-flow estimation and aggregation.

Run: python tests/performance/bench_analytics.py [--strikes 200] [--instruments 140] [--cycles 750]
Prints one line per figure. Inputs are built deterministically (a smooth smile and fixed OI shapes), no market data.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from op_trading.analytics import cashflow, chain  # noqa: E402
from op_trading.market.calendar import IST  # noqa: E402

START = datetime(2026, 7, 27, 9, 15, tzinfo=IST)


def full_chain(strikes: int, spot: float = 25000.0, step: float = 50.0) -> list[dict]:
    options = []
    for i in range(strikes):
        strike = spot + (i - strikes // 2) * step
        distance = (strike - spot) / spot
        for side in ("CALL", "PUT"):
            options.append({"strike": strike, "side": side, "expiry": "2026-07-28", "iv": 0.13 + 0.8 * distance ** 2,
                            "oi": int(1e6 * math.exp(-abs(distance) * 40)), "volume": int(5e6 * math.exp(-abs(
                                distance) * 60)), "last_price": max(1.0, (spot - strike if side == "CALL" else
                                                                          strike - spot)) + 50})
    return options


def snapshots(instruments: int, cycles: int) -> list[dict]:
    records = []
    for cycle in range(cycles):
        moment = (START + timedelta(seconds=30 * cycle)).isoformat()
        for n in range(instruments):
            records.append({"timestamp": moment, "tradingsymbol": f"SYM{n}", "index": "NIFTY",
                            "volume": 1000 * cycle + n, "average_price": 100.0 + (cycle % 7) * 0.1,
                            "last_price": 100.0 + ((cycle * 7 + n) % 11) - 5})
    return records


def timed(function, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat


def run(strikes: int, instruments: int, cycles: int) -> list[tuple[str, float, str]]:
    options = full_chain(strikes)
    figures = [
        (f"chain metrics, {2 * strikes} options", 1000 * timed(lambda: chain.compute_chain_metrics(
            options, 25010.0, index="NIFTY", expiry="2026-07-28", as_of=START, source="bench"), 5), "ms"),
        (f"max pain, {strikes} strikes", 1000 * timed(lambda: chain.max_pain(options), 5), "ms"),
    ]
    records = snapshots(instruments, cycles)
    started = time.perf_counter()
    flows = cashflow.estimate_flows(records)
    figures.append(("cash-flow estimate", len(records) / (time.perf_counter() - started), "snapshots/s"))
    started = time.perf_counter()
    for timeframe in cashflow.TIMEFRAMES:
        cashflow.aggregate(flows, timeframe, "sector")
    figures.append(("aggregation, 7 timeframes", 7 * len(flows) / (time.perf_counter() - started), "flows/s"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strikes", type=int, default=200)
    parser.add_argument("--instruments", type=int, default=140)
    parser.add_argument("--cycles", type=int, default=750)
    args = parser.parse_args(argv)
    for name, value, unit in run(args.strikes, args.instruments, args.cycles):
        print(f"{name:<34} {value:>14,.2f} {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
