"""Benchmark of the Kite client layer against the local simulator: wrapper overhead, quote pacing, 429 absorption.

Run: python tests/performance/bench_kite.py [--calls 200] [--quotes 5] [--cooldown 5]
Prints one line per figure:
- the cost of `call()` (limiter + retry bookkeeping) over a bare client call, rate limits off on both sides;
- paced quote calls with the simulator enforcing Kite's limits: achieved rate and 429s met (target 0);
- the same quote calls sent unpaced: how many the simulator refuses (what the limiter saves us from);
- one profile() call through a 3-answer 429 burst: attempts and seconds until it succeeds;
- the official client's own cost per quote answer (`--batch` instruments): kiteconnect's `quote()` against the
  product's `raw_quote` (the same request, without the client's timestamp parsing), and that parsing alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiteconnect import KiteConnect  # noqa: E402
from kiteconnect import exceptions as kex  # noqa: E402

from op_trading.kite.client import KiteCaller, raw_quote  # noqa: E402
from op_trading.kite.ratelimit import HISTORICAL, OTHER, QUOTE, RateLimiter  # noqa: E402
from op_trading.kite.retry import RetryPolicy  # noqa: E402
from op_trading.sandbox import Sandbox  # noqa: E402

NIFTY = "NSE:NIFTY 50"
UNLIMITED = {QUOTE: 1e9, HISTORICAL: 1e9, OTHER: 1e9}


def client(box: Sandbox) -> KiteConnect:
    return KiteConnect(box.api_key, access_token=box.issue_access_token(), root=box.url)


def per_call_ms(function, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls * 1000


def overhead(calls: int) -> list[tuple[str, float, str]]:
    with Sandbox(port=0, seed=42, rate_limits=False) as box:
        kite = client(box)
        caller = KiteCaller(kite, limiter=RateLimiter(rates=UNLIMITED, margin=0))
        kite.profile()  # warm the connection pool
        # Alternate short rounds and keep the best of each: the difference is microseconds, HTTP noise is more.
        rounds = 5
        bare = min(per_call_ms(kite.profile, max(1, calls // rounds)) for _ in range(rounds))
        wrapped = min(per_call_ms(lambda: caller.call("profile"), max(1, calls // rounds)) for _ in range(rounds))
    return [("profile(), bare client", bare, "ms/call"), ("profile() through call()", wrapped, "ms/call"),
            ("call() overhead", (wrapped - bare) * 1000, "us/call")]


def pacing(quotes: int) -> list[tuple[str, float, str]]:
    with Sandbox(port=0, seed=42, rate_limits=True) as box:
        caller = KiteCaller(client(box), limiter=RateLimiter())
        started = time.perf_counter()
        for _ in range(quotes):
            caller.call("quote", NIFTY)
        elapsed = time.perf_counter() - started
        paced_429 = box.count("GET /quote", 429)
        box.reset_stats()
        time.sleep(1.1)  # a fresh window for the unpaced run
        bare, refused = client(box), 0
        for _ in range(quotes):
            try:
                bare.quote(NIFTY)
            except kex.NetworkException:
                refused += 1
    rate = (quotes - 1) / elapsed if quotes > 1 else 0.0
    return [(f"{quotes} paced quote calls", rate, "calls/s"), ("429s met when paced", paced_429, "responses"),
            (f"{quotes} unpaced quote calls refused", refused, "responses")]


def burst(cooldown: float) -> list[tuple[str, float, str]]:
    with Sandbox(port=0, seed=42, rate_limits=True) as box:
        caller = KiteCaller(client(box), limiter=RateLimiter(), policy=RetryPolicy(cooldown_seconds=cooldown))
        box.set_faults("429_burst=3")
        started = time.perf_counter()
        caller.call("profile")
        elapsed = time.perf_counter() - started
    return [("429 burst of 3: attempts", caller.stats.attempts, "requests"),
            ("429 burst of 3: time to success", elapsed, "s")]


def parsing(batch: int, repeats: int) -> list[tuple[str, float, str]]:
    """What kiteconnect spends on an answer beyond HTTP: quote() vs raw_quote(), interleaved, best of each."""
    import copy

    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-11-20 11:00") as box:
        kite = client(box)
        rows = kite.instruments("NFO")
        names = [f"NFO:{r['tradingsymbol']}" for r in rows if r["instrument_type"] in ("CE", "PE")][:batch]
        full, raw = [], []
        for _ in range(repeats):  # interleaved: machine load hits both sides alike
            full.append(per_call_ms(lambda: kite.quote(names), 1))
            raw.append(per_call_ms(lambda: raw_quote(kite, names), 1))
        answer = raw_quote(kite, names)
        copies = [copy.deepcopy(answer) for _ in range(repeats)]
        parse = min(per_call_ms(lambda: {k: kite._format_response(v) for k, v in c.items()}, 1) for c in copies)
    return [(f"quote() x{len(names)}, official client", min(full), "ms/call"),
            (f"raw_quote() x{len(names)}, same request", min(raw), "ms/call"),
            (f"client timestamp parsing x{len(names)}", parse, "ms/answer")]


def run(calls: int, quotes: int, cooldown: float, batch: int = 500) -> list[tuple[str, float, str]]:
    return overhead(calls) + pacing(quotes) + burst(cooldown) + parsing(batch, 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--quotes", type=int, default=5)
    parser.add_argument("--cooldown", type=float, default=RetryPolicy().cooldown_seconds,
                        help="seconds of the cool-down after three 429s in a row (the product's default)")
    parser.add_argument("--batch", type=int, default=500, help="instruments per quote answer for the parsing figures")
    args = parser.parse_args(argv)
    for name, value, unit in run(args.calls, args.quotes, args.cooldown, args.batch):
        print(f"{name:<38} {value:>12,.2f} {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
