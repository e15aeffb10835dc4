"""Benchmark of the Kite sandbox as the official client sees it: start-up, instrument dumps, quotes, candles.

Run: python tests/performance/bench_sandbox.py [--batch 500] [--repeats 20] [--json figures.json]
Rate limits are off so the figures are the simulator's own cost, not Kite's pacing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def timed(call, repeats: int) -> dict:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2), "n": repeats}


def run(batch: int, repeats: int) -> dict:
    from kiteconnect import KiteConnect

    from op_trading.sandbox import Sandbox

    figures = {}
    started = time.perf_counter()
    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-11-20 11:00") as box:
        kite = KiteConnect(box.api_key, access_token=box.issue_access_token(), root=box.url)
        figures["start_ms"] = round((time.perf_counter() - started) * 1000, 2)
        first = time.perf_counter()
        rows = kite.instruments("NFO")
        figures["first_dump_ms"] = round((time.perf_counter() - first) * 1000, 2)  # builds the market
        figures["dump_rows_all"] = len(kite.instruments())
        figures["dump_nfo"] = timed(lambda: kite.instruments("NFO"), max(repeats // 4, 1))
        options = [f'NFO:{r["tradingsymbol"]}' for r in rows if r["instrument_type"] in ("CE", "PE")][:batch]
        figures["quote_batch"] = len(options)
        figures["quote_full"] = timed(lambda: kite.quote(options), repeats)
        figures["quote_ltp"] = timed(lambda: kite.ltp(options), repeats)
        figures["profile"] = timed(kite.profile, repeats)
        token = rows[len(rows) // 2]["instrument_token"]
        figures["historical_minute_5d"] = timed(
            lambda: kite.historical_data(token, "2026-11-16 09:15:00", "2026-11-20 11:00:00", "minute"),
            max(repeats // 4, 1))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500, help="instruments per quote call")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.batch, args.repeats)
    print(f"sandbox start: {figures['start_ms']} ms; first NFO dump (builds the market): {figures['first_dump_ms']} ms")
    print(f"instrument rows (all exchanges): {figures['dump_rows_all']}")
    for name in ("dump_nfo", "quote_full", "quote_ltp", "profile", "historical_minute_5d"):
        value = figures[name]
        suffix = f" ({figures['quote_batch']} instruments)" if name.startswith("quote") else ""
        print(f"{name}{suffix}: median {value['median_ms']} ms, max {value['max_ms']} ms over {value['n']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
