"""Benchmark of one collection cycle, and memory over many cycles (SPEC §8, perf-baselines §4).

    python tests/performance/bench_cycle.py [--cycles 10] [--memory-cycles 10000]

1. Against the local simulator over HTTP with the official kiteconnect client and our Kite call layer, default
   5-index universe, offsets -2..+2: quote calls per cycle (target: exactly 1), instruments per call, wall time,
   time inside Kite calls, and wall/CPU time of our own work (everything but the Kite calls; target <= 10 ms).
   Cycles are spaced 1.05 s apart so the 1 request/s quote limiter never waits inside a measured cycle.
   Next to them, one full chain snapshot after the last cycle (±20 strikes, every distinct expiry; its quote calls
   are not the cycle's): quote calls, instruments, wall time (its second call waits for the limiter) and our CPU.
2. Memory over N simulated cycles in one process (no HTTP): quotes come from the simulator's own quote model,
   replayed from a pool of 50 market snapshots while the cycle clock advances 2 s per cycle. Figures at
   checkpoints after a warm-up: resident memory (Linux), GC-tracked objects and, with --trace (or where resident
   memory is not available), memory kept since the warm-up per tracemalloc. "Flat" means no growth.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from array import array
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

START = "2025-10-14 11:00:05"  # a Tuesday session, NIFTY weekly expiry day
SNAPSHOTS = 50
TRACE_FRAMES = 10  # deep enough that allocations made inside the simulator's quote model can be told apart


def _collector(quote, fetch, clock, folder: Path):
    from op_trading.collectors.baselines import DayBaselines
    from op_trading.collectors.cycle import Collector
    from op_trading.collectors.iv import AnalyticsIv
    from op_trading.collectors.market_data import MarketData
    from op_trading.market.indices import OPTION_INDICES
    from op_trading.market.instruments import InstrumentCache

    market = MarketData(fetch, InstrumentCache(folder / "cache"), OPTION_INDICES)
    return Collector(quote, market, DayBaselines(folder / "state", "mock"), AnalyticsIv(), source="mock",
                     clock=clock)


def bench_simulator(cycles: int, folder: Path) -> dict:
    from kiteconnect import KiteConnect

    from op_trading.kite.client import call
    from op_trading.sandbox import Sandbox

    with Sandbox(port=0, seed=42, start_at=START, rate_limits=True) as sandbox:
        kite = KiteConnect(api_key=sandbox.api_key, access_token=sandbox.issue_access_token(), root=sandbox.url)
        collector = _collector(lambda keys: call(kite, "quote", keys), lambda ex: call(kite, "instruments", ex),
                               sandbox.clock.now, folder)
        first = collector.run_cycle()  # dumps, imports, spots-first call: not what a running loop pays
        time.sleep(1.05)
        sandbox.reset_stats()
        measured = []
        for _ in range(cycles):
            last = collector.run_cycle()
            measured.append(last.stats)
            time.sleep(1.05)
        server_quote_calls = sandbox.count("GET /quote")
        snapshot = bench_snapshot(sandbox, kite, collector, last)
    return {"first_cycle": first.stats, "stats": measured, "server_quote_calls": server_quote_calls,
            "snapshot": snapshot}


def bench_snapshot(sandbox, kite, collector, cycle) -> dict:
    """One chain snapshot after `cycle` as the service takes it (CHAIN_STRIKE_WINDOW's default of 20)."""
    from op_trading.collectors.chain_snapshot import ChainSnapshotter
    from op_trading.kite.client import call_stats

    sandbox.reset_stats()
    waited = call_stats(kite).snapshot()["waited_seconds"]
    snapshot = ChainSnapshotter.for_collector(collector, 300, 20).take(cycle)
    return {"snapshot": snapshot, "server_quote_calls": sandbox.count("GET /quote"),
            "paced_ms": (call_stats(kite).snapshot()["waited_seconds"] - waited) * 1000}


class SnapshotQuotes:
    """Quotes from the simulator's model at one of SNAPSHOTS fixed moments, generated once and then replayed.

    `advance()` (called once per cycle, by the cycle's clock) moves to the next snapshot, so every call of a cycle
    (including a top-up call) sees one consistent market.
    """

    def __init__(self, sandbox, start: datetime):
        self.sandbox, self.universe = sandbox, sandbox.universe(start.date())
        self.moments = [start + timedelta(seconds=67 * k) for k in range(SNAPSHOTS)]
        self.pool: list[dict] = [{} for _ in range(SNAPSHOTS)]
        self.current = 0

    def advance(self) -> None:
        self.current = (self.current + 1) % SNAPSHOTS

    def __call__(self, keys):
        pool, answer = self.pool[self.current], {}
        for key in keys:
            if key not in pool:
                instrument = self.universe.resolve(key)
                pool[key] = None if instrument is None else self.sandbox.quotes.full(instrument,
                                                                                     self.moments[self.current])
            if pool[key] is not None:
                answer[key] = pool[key]
        return answer

    def dump(self, exchange):
        return list(csv.DictReader(io.StringIO(self.universe.csv(exchange).decode("utf-8"))))


def resident_kib() -> float | None:
    """Current resident set size where the OS tells it cheaply (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            import os

            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024
    except (OSError, ValueError, AttributeError):
        return None


def kept_by_collection() -> float:
    """KiB allocated since tracing started and still alive, leaving out the simulator's quote pool (bench scaffolding:
    a replayed snapshot gains entries when a window first reaches a strike) — i.e. what collection itself kept."""
    scaffolding = [tracemalloc.Filter(False, "*/op_trading/sandbox/*", all_frames=True),
                   tracemalloc.Filter(False, __file__)]
    snapshot = tracemalloc.take_snapshot().filter_traces(scaffolding)
    return sum(stat.size for stat in snapshot.statistics("filename")) / 1024


def bench_memory(cycles: int, folder: Path, trace: bool = False) -> dict:
    """Cycles with checkpoints after a warm-up; `trace` adds tracemalloc (exact, but several times slower)."""
    from op_trading.market.calendar import to_ist
    from op_trading.sandbox import Sandbox

    sandbox = Sandbox(port=0, seed=42, start_at=START)  # its models only; no server needed
    start = to_ist(sandbox.clock.now())
    quotes = SnapshotQuotes(sandbox, start)
    moment = {"now": start}

    def clock():
        moment["now"] += timedelta(seconds=2)
        quotes.advance()
        return moment["now"]

    collector = _collector(quotes, quotes.dump, clock, folder)
    warm_up = min(3 * SNAPSHOTS, max(cycles // 2, 1))  # every snapshot quoted a few times: the pool is full
    checkpoints = sorted({*range(warm_up, cycles + 1, max((cycles - warm_up) // 5, 1)), cycles})
    trace = trace or resident_kib() is None
    samples, legs, cpu_ms = [], 0, array("d")  # raw doubles: keeping the figures keeps no float objects alive
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(1, cycles + 1):
        stats = collector.run_cycle().stats
        legs += stats.legs
        cpu_ms.append(stats.cpu_ms)
        if number == warm_up and trace:
            tracemalloc.start(TRACE_FRAMES)  # from here on, traced memory is exactly what the run kept
        if number in checkpoints:
            gc.collect()
            traced = kept_by_collection() if tracemalloc.is_tracing() else None
            samples.append((number, resident_kib(), traced, len(gc.get_objects())))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.stop()
    return {"cycles": cycles, "legs": legs, "samples": samples, "seconds": elapsed, "cpu": cpu,
            "cycle_cpu_ms": statistics.median(cpu_ms), "traced": trace}


def _ms(values) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values):7.2f}  p95 {p95:7.2f}  max {values[-1]:7.2f}"


def report_simulator(result: dict) -> list[str]:
    stats, first = result["stats"], result["first_cycle"]
    calls = [s.quote_calls for s in stats]
    return [
        f"One cycle against the simulator (HTTP, kiteconnect, default 5 indices, offsets -2..+2), {len(stats)} cycles",
        f"  first cycle: {first.quote_calls} quote + {first.instrument_calls} instrument calls, "
        f"wall {first.wall_ms:.0f} ms (imports, dumps, spots-first)",
        f"  quote calls per cycle     : {min(calls)}..{max(calls)} (server saw {result['server_quote_calls']} "
        f"for {len(stats)} cycles)",
        f"  instruments per cycle     : {stats[-1].instruments_requested} requested, "
        f"{stats[-1].instruments_missing} missing; legs {stats[-1].legs}, overviews {stats[-1].overviews}",
        f"  wall ms                   : {_ms([s.wall_ms for s in stats])}",
        f"  in Kite calls ms (network): {_ms([s.network_ms for s in stats])}",
        f"  our wall ms (excl. calls) : {_ms([s.processing_ms for s in stats])}",
        f"  our CPU ms (excl. calls)  : {_ms([s.cpu_ms for s in stats])}   (target <= 10 ms)",
    ] + report_snapshot(result["snapshot"])


def report_snapshot(result: dict) -> list[str]:
    snapshot = result["snapshot"]
    stats = snapshot.stats
    return [
        f"  chain snapshot (+-20)     : {stats.quote_calls} quote calls (server saw {result['server_quote_calls']}), "
        f"{snapshot.size} options in {len(snapshot.expiries)} expiries, {stats.instruments_requested} requested "
        f"+ {stats.instruments_reused} reused from the cycle, {stats.instruments_missing} missing",
        f"  snapshot wall ms          : {stats.wall_ms:.0f} (in Kite calls {stats.network_ms:.0f}, of which 1 req/s "
        f"pacing {result['paced_ms']:.0f}); our CPU ms (excl. calls) {stats.cpu_ms:.2f}",
    ]


def report_memory(result: dict) -> list[str]:
    def kib(value):
        return "n/a" if value is None else f"{value:,.0f}"

    lines = [f"Memory over {result['cycles']} simulated cycles ({result['legs']} legs; {result['seconds']:.1f} s wall, "
             f"{result['cpu']:.1f} s CPU; our CPU per cycle median {result['cycle_cpu_ms']:.2f} ms"
             f"{'; tracemalloc on' if result['traced'] else ''})",
             "   cycle   resident KiB   traced since warm-up KiB   GC-tracked objects"]
    lines += [f"  {n:>6}   {kib(rss):>12}   {kib(traced):>24}   {objects:>18,}"
              for n, rss, traced, objects in result["samples"]]
    first, last = result["samples"][0], result["samples"][-1]
    growth = [f"{last[3] - first[3]:+,} objects"]
    if first[1] is not None:
        growth.insert(0, f"resident {last[1] - first[1]:+,.0f} KiB")
    if last[2] is not None:
        growth.insert(0, f"traced {last[2] - (first[2] or 0):+,.1f} KiB")
    lines.append(f"  growth from cycle {first[0]} to {last[0]}: " + ", ".join(growth))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10, help="measured cycles against the simulator")
    parser.add_argument("--memory-cycles", type=int, default=10_000, help="simulated cycles for the memory run")
    parser.add_argument("--trace", action="store_true", help="also trace allocations (exact, several times slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for line in report_simulator(bench_simulator(args.cycles, Path(folder) / "sim")):
            print(line)
        print()
        for line in report_memory(bench_memory(args.memory_cycles, Path(folder) / "memory", args.trace)):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
