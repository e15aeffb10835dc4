"""History that scales: store size per trading day, insert rate and the dashboard's series queries at 1, 20 and N
trading days of history, the chunked embedded store side by side with the previous row-per-point layout.

    python tests/performance/bench_history.py [--days 120] [--legacy-days 20] [--cycles 60] [--no-alternatives]
                                              [--json out.json]

History is built by tests/performance/history.py (750 cycles a day of the default universe's legs and overviews, a
full chain snapshot every 300 s). The previous layout (op_trading/storage/legacy.py) is built through its write()
up to --legacy-days (it needs ~33 MiB and ~1 minute per day); its size per day does not depend on the days kept.
At one day it also measures the other candidates (tests/performance/layouts.py): SQLite typed-column rows
WITHOUT ROWID, and DuckDB when the `duckdb` package is installed (`pip install duckdb`; the product does not need it).
Queries (median of 5 runs, milliseconds):
- straddle:  NIFTY this-week straddle (index_overview THIS_WEEK_TP) over the last 20 trading days, today's curve
             against the same weekday's average at each time of day;
- pcr_day:   PCR (OI) and max pain at every chain snapshot of the last day (option_chain, nearest NIFTY expiry;
             computed by op_trading.analytics.chain, as the chain analyzer does);
- oi_change: OI change by strike over the last 60 minutes (latest snapshot against the one 60 minutes before;
             the product's query, op_trading.queries.chain.oi_change over the stored snapshots).
Restart and per-cycle analytics come from tests/performance/history_analytics.py when present (helper "analytics").
The last line is the summary: `history N days: restart S s, analytics median M ms max X ms, store B MiB/day,
slowest series query Q ms`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from op_trading.analytics import chain as chain_math  # noqa: E402
from op_trading.queries.chain import oi_change  # noqa: E402
from op_trading.queries.readers import StoreChains  # noqa: E402
from op_trading.storage.chains import ChainStore  # noqa: E402
from op_trading.storage.embedded import EmbeddedStore  # noqa: E402
from op_trading.storage.legacy import LegacyStore  # noqa: E402
from op_trading.storage.point import IST, time_to_ns  # noqa: E402
from tests.performance.history import (CYCLES_PER_DAY, HistoryBuilder, build, expiries, points_of,  # noqa: E402
                                       trading_days)

QUERIES = ("straddle", "pcr_day", "oi_change")
REPEATS = 5
MIB = 2 ** 20


# ------------------------------------------------------------------------------------------------------ queries
def _nearest_expiry(end: datetime) -> str:
    return expiries(end.date(), weekly=True)["this_week"].isoformat()


def q_straddle(store, end: datetime, chunked: bool) -> int:
    start = end - timedelta(days=29)  # 20 trading days and their weekends
    tags = {"index": "NIFTY 50"}
    if chunked:
        [data] = store.series("index_overview", "THIS_WEEK_TP", tags, start, end)
        times, values = data.times, data.values["THIS_WEEK_TP"]
    else:
        rows = store.query("index_overview", start, end, tags, ["THIS_WEEK_TP"])
        times = np.array([time_to_ns(row["time"]) for row in rows], np.int64)
        values = np.array([row["THIS_WEEK_TP"] for row in rows], np.float64)
    return len(_weekday_average(times, values, end))


def _weekday_average(times, values, end: datetime):
    """Today's straddle with the mean of the same weekday and time of day over the earlier days."""
    local = times + 19_800 * 10 ** 9
    days, slot = local // (86_400 * 10 ** 9), local % (86_400 * 10 ** 9)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    today = days == days.max()
    same = (weekday == weekday[today][0]) & ~today
    average = {}
    for key, value in zip(slot[same].tolist(), values[same].tolist()):
        average.setdefault(key, []).append(value)
    return [(value, statistics.fmean(average[key]) if key in average else None)
            for key, value in zip(slot[today].tolist(), values[today].tolist())]


def q_pcr_day(store, end: datetime, chunked: bool) -> int:
    start = end.replace(hour=9, minute=0)
    tags = {"index": "NIFTY", "expiration": _nearest_expiry(end)}
    snapshots: dict[int, list[dict]] = {}
    if chunked:
        for data in store.series("option_chain", "oi", tags, start, end + timedelta(seconds=1)):
            strike, side = float(data.tags["strike"]), data.tags["option_type"]
            for moment, oi in zip(data.times.tolist(), data.values["oi"].tolist()):
                snapshots.setdefault(moment, []).append({"strike": strike, "option_type": side, "oi": oi})
    else:
        for row in store.query("option_chain", start, end + timedelta(seconds=1), tags, ["oi"]):
            snapshots.setdefault(time_to_ns(row["time"]), []).append(
                {"strike": float(row["strike"]), "option_type": row["option_type"], "oi": row["oi"]})
    # the product's own PCR and max pain (op_trading.analytics.chain), as the chain analyzer computes them
    return len([(chain_math.pcr(options), chain_math.max_pain(options)) for options in snapshots.values()])


def q_oi_change(store, end: datetime, chunked: bool) -> int:
    expiry = _nearest_expiry(end)
    if chunked:  # the product's own query (op_trading.queries.chain.oi_change over the stored snapshots)
        chains = StoreChains(ChainStore(store))
        return len(oi_change(chains.latest("NIFTY", date.fromisoformat(expiry)), chains, 60).rows)
    rows = store.query("option_chain", end - timedelta(minutes=65), end + timedelta(seconds=1),
                       {"index": "NIFTY", "expiration": expiry}, ["oi"])
    last = max(row["time"] for row in rows)
    first = max(row["time"] for row in rows if row["time"] <= last - timedelta(minutes=60))
    now = {(float(r["strike"]), r["option_type"]): r["oi"] for r in rows if r["time"] == last}
    then = {(float(r["strike"]), r["option_type"]): r["oi"] for r in rows if r["time"] == first}
    return len({key: now[key] - then[key] for key in now if key in then})


QUERY_FUNCTIONS = {"straddle": q_straddle, "pcr_day": q_pcr_day, "oi_change": q_oi_change}


def time_queries(store, end: datetime, chunked: bool) -> dict[str, float]:
    result = {}
    for name, function in QUERY_FUNCTIONS.items():
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            assert function(store, end, chunked) > 0, name
            runs.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(runs)
    return result


# ------------------------------------------------------------------------------------------------------ measuring
def store_mib_per_day(store, days: int) -> float:
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(store.path)
    size = path.stat().st_size + sum(Path(f"{path}{suffix}").stat().st_size for suffix in ("-wal",)
                                     if Path(f"{path}{suffix}").exists())
    return size / MIB / days


def insert_rate(folder: Path, store_class, cycles: int = 120) -> float:
    """Points per second through write(), one cycle (legs + overviews) per call, as the collector writes; the
    series exist (created by a first cycle), as in every cycle of a running service but its first."""
    builder = HistoryBuilder(seed=3)
    day = trading_days(1)[0]
    items = [item for item in builder.day_items(day) if item[0] in ("atm_option_quote", "index_overview")]
    per_cycle: list[list] = [[] for _ in range(cycles)]
    for measurement, tags, times, columns in items:
        cut = (measurement, tags, times[:cycles], {name: np.asarray(v)[:cycles] for name, v in columns.items()})
        for number, point in enumerate(points_of(cut)):
            per_cycle[number].append(point)
    store = store_class(folder)
    _written(store.write(per_cycle[0]))  # the first cycle creates the series (once per contract, not per cycle)
    started = time.perf_counter()
    for points in per_cycle[1:]:
        _written(store.write(points))
    seconds = time.perf_counter() - started
    store.close()
    return sum(len(points) for points in per_cycle[1:]) / seconds


def _written(result) -> None:
    assert result is None or result.ok, result  # the candidate layouts raise instead of returning a WriteResult


def alternative_figures(root: Path, say=print) -> dict:
    """The other candidate layouts (tests/performance/layouts.py) at one day: size, insert rate, two queries."""
    from tests.performance.layouts import available

    found = {}
    for layout_class in available():
        layout = layout_class(root / layout_class.__name__)
        started = time.perf_counter()
        day = trading_days(1)[0]
        layout.load(list(HistoryBuilder().day_items(day)))
        say(f"built 1 day of history as {layout.name} ({time.perf_counter() - started:.0f} s)")
        end = datetime.combine(day, datetime.min.time().replace(hour=15, minute=30), IST)
        figures = {"mib_per_day": layout.size() / MIB,
                   "insert_rows_per_s": insert_rate(root / f"{layout_class.__name__}-insert", layout_class)}
        for name, function in (("straddle", _layout_straddle), ("pcr_day", _layout_pcr_day)):
            runs = []
            for _ in range(REPEATS):
                begun = time.perf_counter()
                assert function(layout, end) > 0
                runs.append((time.perf_counter() - begun) * 1000)
            figures[name] = statistics.median(runs)
        layout.close()
        found[layout.name] = figures
    return found


def _layout_straddle(layout, end: datetime) -> int:
    rows = layout.values("index_overview", "THIS_WEEK_TP", {"index": "NIFTY 50"},
                         time_to_ns(end - timedelta(days=29)), time_to_ns(end))
    times = np.array([row[1] for row in rows], np.int64)
    return len(_weekday_average(times, np.array([row[2] for row in rows], np.float64), end))


def _layout_pcr_day(layout, end: datetime) -> int:
    snapshots: dict[int, list[dict]] = {}
    for series_id, moment, oi in layout.values("option_chain", "oi", {"index": "NIFTY",
                                               "expiration": _nearest_expiry(end)},
                                               time_to_ns(end.replace(hour=9, minute=0)), time_to_ns(end) + 1):
        tags = layout.tags[series_id]
        snapshots.setdefault(moment, []).append({"strike": float(tags["strike"]),
                                                 "option_type": tags["option_type"], "oi": oi})
    return len([(chain_math.pcr(options), chain_math.max_pain(options)) for options in snapshots.values()])


def analytics_figures(data_dir: Path, end: datetime, cycles: int = 60) -> tuple[float | None, list[float]]:
    try:
        from tests.performance.history_analytics import measure
    except ImportError:
        return None, []
    restart, per_cycle = measure(data_dir, end, cycles)
    return restart, list(per_cycle)


def run(days: int, legacy_days: int, say=print, alternatives: bool = True, cycles: int = 60) -> dict:
    checkpoints = sorted({point for point in (1, 20, days) if point <= days})
    legacy_points = [point for point in checkpoints if point <= legacy_days]
    figures: dict = {"days": days, "cycles_per_day": CYCLES_PER_DAY, "chunked": {}, "legacy": {}}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        figures["insert_rows_per_s"] = {"chunked": insert_rate(root / "insert-new", EmbeddedStore),
                                        "legacy": insert_rate(root / "insert-old", LegacyStore)}
        store, builder, built, end = EmbeddedStore(root / "new"), HistoryBuilder(), 0, None
        for point in checkpoints:
            started = time.perf_counter()
            end = build(store, point, start_day=built, builder=builder)
            say(f"built {point} day(s) of history in the chunked store ({time.perf_counter() - started:.0f} s)")
            built = point
            figures["chunked"][point] = {"mib_per_day": store_mib_per_day(store, point),
                                         **time_queries(store, end, chunked=True)}
        figures["restart_s"], figures["analytics_ms"] = analytics_figures(root / "new", end, cycles)
        store.close()
        figures["alternatives"] = alternative_figures(root, say) if alternatives else {}
        old, builder, built = LegacyStore(root / "old"), HistoryBuilder(), 0
        for point in legacy_points:
            started = time.perf_counter()
            last = build(old, point, start_day=built, legacy=True, builder=builder)
            say(f"built {point} day(s) of history in the previous layout ({time.perf_counter() - started:.0f} s)")
            built = point
            figures["legacy"][point] = {"mib_per_day": store_mib_per_day(old, point),
                                        **time_queries(old, last, chunked=False)}
        old.close()
    return figures


def report(figures: dict, say=print) -> None:
    rates = figures["insert_rows_per_s"]
    say(f"insert rate through write() (one cycle per call): chunked {rates['chunked']:,.0f} rows/s, previous layout "
        f"{rates['legacy']:,.0f} rows/s (x{rates['chunked'] / rates['legacy']:.2f})")
    say(f"{'days':>5} {'layout':<18} {'MiB/day':>8} " + " ".join(f"{name + ' ms':>13}" for name in QUERIES))
    for point, row in sorted(figures["chunked"].items()):
        say(f"{point:>5} {'chunked':<18} {row['mib_per_day']:>8.1f} "
            + " ".join(f"{row[name]:>13.1f}" for name in QUERIES))
        old = figures["legacy"].get(point)
        if old:
            say(f"{point:>5} {'previous':<18} {old['mib_per_day']:>8.1f} "
                + " ".join(f"{old[name]:>13.1f}" for name in QUERIES))
            say(f"{point:>5} {'ratio':<18} {old['mib_per_day'] / row['mib_per_day']:>7.1f}x "
                + " ".join(f"{old[name] / row[name]:>12.1f}x" for name in QUERIES))
    for name, row in figures.get("alternatives", {}).items():
        say(f"{1:>5} {name:<18} {row['mib_per_day']:>8.1f} {row['straddle']:>13.1f} {row['pcr_day']:>13.1f} "
            f"{'-':>13}   insert {row['insert_rows_per_s']:,.0f} rows/s (one cycle per write)")
    say(summary_line(figures))


def summary_line(figures: dict) -> str:
    days = figures["days"]
    largest = figures["chunked"][max(figures["chunked"])]
    slowest = max(largest[name] for name in QUERIES)
    restart = "n/a" if figures.get("restart_s") is None else f"{figures['restart_s']:.1f}"
    cycles = figures.get("analytics_ms") or []
    median = f"{statistics.median(cycles):.0f}" if cycles else "n/a"
    worst = f"{max(cycles):.0f}" if cycles else "n/a"
    return (f"history {days} days: restart {restart} s, analytics median {median} ms max {worst} ms, "
            f"store {largest['mib_per_day']:.1f} MiB/day, slowest series query {slowest:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=120, help="largest history to build (trading days)")
    parser.add_argument("--legacy-days", type=int, default=20, help="largest history built in the previous layout")
    parser.add_argument("--cycles", type=int, default=60,
                        help="cycles after the restart whose analytics are timed (the first is the restart)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-alternatives", action="store_true",
                        help="skip the other candidate layouts (typed SQLite rows, DuckDB when installed)")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    if args.cycles < 2:
        parser.error("--cycles must be at least 2 (the restart and one cycle after it)")
    figures = run(args.days, min(args.legacy_days, args.days), alternatives=not args.no_alternatives,
                  cycles=args.cycles)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
