"""Storage growth per trading day, measured on a simulated session: points, field values and line-protocol bytes per
measurement and bucket (what InfluxDB receives), with the product's default settings and all five indices.

    python tests/performance/bench_growth.py [--cycles 8] [--json out.json]

Measurements written every cycle are counted per cycle (median over the session's cycles after the first, which
only sets baselines) and scaled to a trading day of 750 cycles (09:15-15:30 IST every 30 s); the once-a-day ones
(participant files, FII/DII cash, pre-market summary, the daily chain row) are counted as the session writes them.
`chain_metrics_daily` is rewritten every cycle but stored once per series and day: both figures are shown.
InfluxDB compresses what it stores (typically a few bytes per field value), so the line-protocol bytes are an
upper bound of the disk it needs, and the field values the count it stores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from op_trading.storage.schema import MEASUREMENTS, bucket_of  # noqa: E402
from tests.fixtures_session import SESSION_DAY, RecordingStore, run_session  # noqa: E402


CYCLES_PER_DAY = 750  # 375 minutes of market, a cycle every 30 s
PER_CYCLE = ("atm_option_quote", "index_overview", "chain_metrics", "cash_flow", "alerts")
REWRITTEN_DAILY = "chain_metrics_daily"


def measure(cycles: int) -> dict:
    from datetime import timedelta

    from op_trading.storage.embedded import EmbeddedStore

    with tempfile.TemporaryDirectory() as folder:
        store = RecordingStore(EmbeddedStore(Path(folder) / "data"))
        session = run_session(Path(folder), store, cycles=cycles, step=timedelta(seconds=30), low_thresholds=False)
        store.close()
    by_name: dict[str, list] = defaultdict(list)
    for point in session.points:
        by_name[point.measurement].append(point)
    rows = {name: _row(name, points) for name, points in sorted(by_name.items())}
    totals = defaultdict(lambda: {"stored_points": 0, "stored_values": 0, "stored_bytes": 0, "sent_bytes": 0})
    for row in rows.values():
        for key in totals[row["bucket"]]:
            totals[row["bucket"]][key] += row[key]
    return {"cycles": cycles, "cycles_per_day": CYCLES_PER_DAY, "measurements": rows, "buckets": dict(totals),
            "undeclared": sorted(set(rows) - set(MEASUREMENTS))}


def _row(name: str, points: list) -> dict:
    values = statistics.mean(len(point.fields) for point in points)
    size = statistics.mean(len(point.to_line_protocol().encode("utf-8")) + 1 for point in points)  # + newline
    if name in PER_CYCLE or name == REWRITTEN_DAILY:
        per_cycle: dict = defaultdict(int)
        for point in points:
            if point.time.date() == SESSION_DAY:
                per_cycle[point.time] += 1
        counts = [per_cycle[moment] for moment in sorted(per_cycle)]
        sent = statistics.median(counts[1:] or counts) * CYCLES_PER_DAY  # the first cycle only sets baselines
        stored = sent if name != REWRITTEN_DAILY else len({_series(point) for point in points
                                                           if point.time.date() == SESSION_DAY})
    else:  # once a day: the distinct points of the fullest day (re-imports rewrite the same points)
        days: dict = defaultdict(set)
        for point in points:
            days[point.time.date()].add((_series(point), point.time))
        sent = stored = max(len(keys) for keys in days.values())
    return {"bucket": bucket_of(name), "sent_points": round(sent), "sent_bytes": round(sent * size),
            "stored_points": round(stored), "stored_values": round(stored * values),
            "stored_bytes": round(stored * size)}


def _series(point) -> tuple:
    return tuple(sorted(point.tags.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures = measure(args.cycles)
    print(f"Growth per trading day ({CYCLES_PER_DAY} cycles), measured over {args.cycles} simulated cycles")
    print(f"{'measurement':<24}{'bucket':<19}{'sent':>9}{'MB sent':>9}{'stored':>9}{'values':>11}{'MB':>8}")
    for name, row in figures["measurements"].items():
        print(f"{name:<24}{row['bucket']:<19}{row['sent_points']:>9,}{row['sent_bytes'] / 1e6:>9.2f}"
              f"{row['stored_points']:>9,}{row['stored_values']:>11,}{row['stored_bytes'] / 1e6:>8.2f}")
    for bucket, total in sorted(figures["buckets"].items()):
        print(f"bucket {bucket:<18} {total['stored_points']:>9,} points/day {total['stored_values']:>11,} values/day"
              f" {total['stored_bytes'] / 1e6:>7.2f} MB line protocol stored/day,"
              f" {total['sent_bytes'] / 1e6:.2f} MB sent")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
