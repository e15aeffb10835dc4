"""Storage benchmarks: sink throughput and memory over a long simulated run.

    python tests/performance/bench_storage.py [--rows 100000] [--cycles 10000] [--repeats 5] [--json out.json]

Figures (median of the repeats, min..max in brackets):
- records -> points (schema) and points -> line protocol, per second;
- embedded store rows/s (fresh inserts, 1,000 per write) — target >= 80k;
- InfluxDB line protocol points/s through InfluxSink (influxdb-client SYNCHRONOUS, 5,000-line batches, line building
  included) into VictoriaMetrics — target >= 40k — next to the peer way (influxdb-client `Point` objects, same
  batches), with the ratio; every run is verified by reading the sample count back;
- CSV daily split rows/s;
- memory (RSS) over N simulated cycles through embedded + CSV + InfluxDB sinks, sampled every 10%.
The line-protocol server is OP_TEST_LINE_PROTOCOL_URL or a private victoria-metrics (skipped when absent).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from op_trading.storage.embedded import EmbeddedStore  # noqa: E402
from op_trading.storage.files import CsvSplitSink  # noqa: E402
from op_trading.storage.influx import InfluxSink  # noqa: E402
from op_trading.storage.point import Point  # noqa: E402
from op_trading.storage.schema import points_from_records  # noqa: E402
from tests.fixtures_storage import (VictoriaMetrics, cycle_records, cycle_time,  # noqa: E402
                                    victoria_metrics_binary)
from tests.support import free_port  # noqa: E402

INDICES = ("NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")


def leg_points(count: int) -> list:
    """`count` leg points from full 5-index cycles (200 legs per cycle), distinct times per cycle."""
    points, number = [], 0
    while len(points) < count:
        cycle, _ = points_from_records(cycle_records(cycle_time(number), indices=INDICES))
        points += [point for point in cycle if point.measurement == "atm_option_quote"]
        number += 1
    return points[:count]


def measure(run: Callable[[], tuple[int, float]], repeats: int) -> dict:
    """Median/min/max items per second over `repeats` runs; `run` returns (items done, seconds spent on them)."""
    rates = []
    for _ in range(repeats):
        gc.collect()
        done, seconds = run()
        rates.append(done / seconds)
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates), "repeats": repeats}


def timed(work: Callable[[], int]) -> Callable[[], tuple[int, float]]:
    def run() -> tuple[int, float]:
        started = time.perf_counter()
        done = work()
        return done, time.perf_counter() - started

    return run


def bench_schema(rows: int, repeats: int) -> dict:
    records = []
    number = 0
    while len(records) < rows:
        records += cycle_records(cycle_time(number), indices=INDICES)
        number += 1
    records = records[:rows]
    points = leg_points(rows)
    return {"records_to_points_per_s": measure(timed(lambda: len(points_from_records(records)[0])), repeats),
            "line_protocol_per_s": measure(timed(lambda: len([p.to_line_protocol() for p in points])), repeats)}


def bench_sink(open_sink: Callable[[str], object], rows: int, repeats: int, batch: int = 1000) -> dict:
    """Points/s written through a fresh sink in a temporary folder, `batch` points per write."""
    points = leg_points(rows)

    def run() -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as folder:
            sink = open_sink(folder)
            started = time.perf_counter()
            written = sum(sink.write(points[start:start + batch]).written for start in range(0, len(points), batch))
            seconds = time.perf_counter() - started
            sink.close()
        assert written == len(points)
        return len(points), seconds

    return measure(run, repeats)


def bench_influx(server: VictoriaMetrics, rows: int, repeats: int, batch: int = 5000) -> dict:
    """Our InfluxSink vs influxdb-client `Point` objects, same batches and server; counts read back each run.

    Each run's points carry their own `run` tag, so the count cannot include another run's samples (deleting
    series between runs is not reliably immediate on VictoriaMetrics)."""
    base = leg_points(rows)
    fields = sum(len(point.fields) for point in base)

    def labelled() -> tuple[str, list]:
        label = uuid.uuid4().hex[:12]
        return label, [Point(p.measurement, {**p.tags, "run": label}, p.fields, p.time) for p in base]

    def ours() -> tuple[int, float]:
        label, points = labelled()
        with tempfile.TemporaryDirectory() as folder:
            sink = InfluxSink(server.url, "token", "op-trading", "options-data", batch_size=batch, spool_dir=folder)
            started = time.perf_counter()
            result = sink.write(points)
            seconds = time.perf_counter() - started
            sink.close()
        assert result.written == len(points), result
        assert stored_samples(server, label) == fields  # verified, not assumed
        return len(points), seconds

    def peer() -> tuple[int, float]:
        from influxdb_client import InfluxDBClient, WritePrecision
        from influxdb_client import Point as ClientPoint
        from influxdb_client.client.write_api import SYNCHRONOUS

        label, points = labelled()
        client = InfluxDBClient(url=server.url, token="token", org="op-trading")
        api = client.write_api(write_options=SYNCHRONOUS)
        started = time.perf_counter()
        for start in range(0, len(points), batch):
            built = []
            for point in points[start:start + batch]:
                item = ClientPoint(point.measurement).time(point.time_ns, WritePrecision.NS)
                for key, value in point.tags.items():
                    item = item.tag(key, value)
                for key, value in point.fields.items():
                    item = item.field(key, value)
                built.append(item)
            api.write(bucket="options-data", record=built, write_precision=WritePrecision.NS)
        seconds = time.perf_counter() - started
        client.close()
        assert stored_samples(server, label) == fields
        return len(points), seconds

    mine, theirs = measure(ours, repeats), measure(peer, repeats)
    return {"influx_line_protocol_points_per_s": mine, "influx_client_point_objects_per_s": theirs,
            "line_protocol_vs_point_objects": mine["median"] / theirs["median"]}


def stored_samples(server: VictoriaMetrics, label: str) -> int:
    return server.sample_count(f'{{__name__=~"atm_option_quote_.*",run="{label}"}}')


def rss_mb() -> float | None:
    """Resident memory of this process (Linux /proc; None elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_memory(server: VictoriaMetrics | None, cycles: int) -> dict:
    """RSS while `cycles` one-index cycles (41 points) go through the sinks; the ATM drifts over 9 strikes."""
    with tempfile.TemporaryDirectory() as folder:
        sinks = [EmbeddedStore(Path(folder) / "data"), CsvSplitSink(Path(folder) / "csv")]
        if server is not None:
            sinks.append(InfluxSink(server.url, "token", "op-trading", "options-data",
                                    spool_dir=Path(folder) / "spool"))
        samples, step = [], max(1, cycles // 10)
        for number in range(cycles):
            records = cycle_records(cycle_time(number), seed=number)
            atm = 24000 + 50 * ((number // 120) % 9 - 4)
            for record in records:
                record["atm_strike"] = atm
            points, _ = points_from_records(records)
            for sink in sinks:
                result = sink.write(points)
                assert result.ok, result
            if (number + 1) % step == 0:
                gc.collect()
                samples.append((number + 1, rss_mb()))
        for sink in sinks:
            sink.close()
    known = [mb for _, mb in samples if mb is not None]
    settled = known[len(known) // 5:] or known  # after the first fifth: caches and SQLite pages have warmed up
    return {"memory_cycles": cycles, "points_per_cycle": len(points), "rss_mb_samples": samples,
            "rss_growth_after_warmup_mb": (settled[-1] - settled[0]) if settled else None}


def line_protocol_server() -> tuple[VictoriaMetrics | None, Callable[[], None]]:
    import os

    external = os.environ.get("OP_TEST_LINE_PROTOCOL_URL")
    if external:
        return VictoriaMetrics(None, None, None, url=external.rstrip("/")), lambda: None
    binary = victoria_metrics_binary()
    if binary is None:
        return None, lambda: None
    folder = Path(tempfile.mkdtemp(prefix="bench-vm-"))
    server = VictoriaMetrics(binary, folder / "data", free_port())
    server.start()

    def stop() -> None:
        import shutil

        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    return server, stop


def run(rows: int, cycles: int, repeats: int) -> dict:
    figures = {"rows": rows}
    server, stop = line_protocol_server()
    try:
        figures.update(bench_memory(server, cycles))  # first, so the RSS figures are not inflated by the others
        figures.update(bench_schema(rows, repeats))
        figures["embedded_rows_per_s"] = bench_sink(EmbeddedStore, rows, repeats)
        figures["csv_leg_points_per_s"] = bench_sink(CsvSplitSink, rows, repeats)
        if server is None:
            figures["influx"] = "skipped: no victoria-metrics binary and no OP_TEST_LINE_PROTOCOL_URL"
        else:
            figures.update(bench_influx(server, rows, repeats))
    finally:
        stop()
    return figures


def report(figures: dict) -> str:
    lines = [f"Storage benchmark ({figures['rows']:,} leg points per run)"]
    for key, value in figures.items():
        if isinstance(value, dict):
            lines.append(f"  {key:40s} {value['median']:>12,.0f}  ({value['min']:,.0f}..{value['max']:,.0f}, "
                         f"n={value['repeats']})")
        elif key == "line_protocol_vs_point_objects":
            lines.append(f"  {key:40s} {value:>12.2f}x")
        elif key == "rss_mb_samples":
            lines.append("  rss MB by cycle: " + ", ".join(
                f"{n}:{mb:.1f}" if mb is not None else f"{n}:n/a" for n, mb in value))
        elif key not in ("rows",):
            lines.append(f"  {key:40s} {value if not isinstance(value, float) else round(value, 2)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures = run(args.rows, args.cycles, args.repeats)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
