"""One simulated trading day of stored data, built once and replayed onto as many earlier trading days as a
benchmark needs (a long history without simulating every day).

    build_day(folder, cycles, step) -> points   one session over the simulator (official kiteconnect client, the
                                                product's collector, live analytics, participant import, alerts),
                                                every point the storage API received that is stamped on the day
    save_day(points, path) / load_day(path)     the day as gzipped JSON lines (the benchmark's own cache; generated
                                                data, never committed)
    fill_history(store, points, offsets)        writes the day through `store.write` again on each earlier trading
                                                day `offsets` (0 = the day itself, 1 = the trading day before, ...)

Only times move when a day is replayed (tags such as expiries stay), which is enough for timing queries: every
query reads a bounded window, so what matters is how many rows lie outside it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable, Sequence

from op_trading.storage.point import Point


def build_day(folder: Path, cycles: int = 75, step: timedelta = timedelta(minutes=5)) -> list[Point]:
    """A session of `cycles` collection cycles `step` apart from 09:20 IST over the simulator, with the product's
    default alert thresholds; returns the points stamped on the session day, in write order."""
    from op_trading.storage.embedded import EmbeddedStore
    from tests.fixtures_session import SESSION_DAY, RecordingStore, run_session

    folder.mkdir(parents=True, exist_ok=True)
    inner = EmbeddedStore(folder / "build-store")  # live analytics read back what they wrote (averages, baselines)
    try:
        session = run_session(folder, RecordingStore(inner), cycles=cycles, step=step, low_thresholds=False)
    finally:
        inner.close()
    return [point for point in session.points if point.time.date() == SESSION_DAY]


def session_day(points: Sequence[Point]) -> date:
    return max(point.time for point in points).date()


def save_day(points: Iterable[Point], path: Path) -> Path:
    """Gzipped JSON lines, written to a temporary name and renamed (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as out:
        for point in points:
            out.write(json.dumps([point.measurement, dict(point.tags), dict(point.fields),
                                  point.time.isoformat()]) + "\n")
    partial.replace(path)
    return path


def load_day(path: Path) -> list[Point]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [Point(measurement, tags, fields, datetime.fromisoformat(moment))
                for measurement, tags, fields, moment in map(json.loads, lines)]


def trading_days_back(day: date, count: int) -> list[date]:
    """`day` and the `count - 1` trading days before it, newest first (NSE holiday calendar)."""
    from op_trading.market.calendar import previous_trading_day

    days = [day]
    while len(days) < count:
        days.append(previous_trading_day(days[-1]))
    return days


def fill_history(store, points: Sequence[Point], offsets: Iterable[int], batch: int = 20_000) -> int:
    """Writes the day again on each trading day `offsets` back from it; returns the points written."""
    offsets = sorted(offsets)
    if not offsets:
        return 0
    day = session_day(points)
    days = trading_days_back(day, offsets[-1] + 1)
    written = 0
    for offset in offsets:
        shift = timedelta(days=(day - days[offset]).days)
        moved = [replace(point, time=point.time - shift) for point in points]
        for start in range(0, len(moved), batch):
            store.write(moved[start:start + batch])
        written += len(moved)
    store.flush()
    return written


def cached_day(folder: Path, cycles: int = 75, step: timedelta = timedelta(minutes=5)) -> list[Point]:
    """The day from `folder/day-<cycles>x<step>.jsonl.gz` when built before, else built and saved there."""
    path = folder / f"day-{cycles}x{int(step.total_seconds())}s.jsonl.gz"
    if path.is_file():
        return load_day(path)
    points = build_day(folder / "build", cycles, step)
    save_day(points, path)
    return points
