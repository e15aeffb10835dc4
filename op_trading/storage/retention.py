"""Optional retention of raw data in the embedded store: production keeps everything by default.

With EMBEDDED_RAW_RETENTION_DAYS = N > 0, the raw measurements (option legs every cycle, full chain snapshots) of
days older than N days are downsampled to the last point of every EMBEDDED_RAW_DOWNSAMPLE_MINUTES (or deleted when
that is 0). Everything else stays: index overviews, chain metrics and their daily rows, analytics rollups,
participants, alerts. It runs off the collection thread (the service's schedule calls `retention(settings, now)`
daily; `start_background` runs it in its own thread) and works one chunk per short transaction, so a collection write
never waits longer than one chunk's rewrite.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from op_trading.storage.embedded import EmbeddedStore, day_of
from op_trading.storage.point import time_to_ns

log = logging.getLogger(__name__)
RAW_MEASUREMENTS = ("atm_option_quote", "option_chain", "option_chain_snapshot")


@dataclass
class RetentionResult:
    chunks: int = 0  # chunks rewritten or deleted
    points_before: int = 0
    points_after: int = 0

    def summary(self) -> str:
        return (f"retention: {self.chunks} day chunk(s) of raw data thinned, {self.points_before:,} -> "
                f"{self.points_after:,} points")


def retention(settings, now: datetime) -> RetentionResult:
    """Apply the configured retention to DATA_DIR's store (nothing when EMBEDDED_RAW_RETENTION_DAYS is 0)."""
    days = int(settings["EMBEDDED_RAW_RETENTION_DAYS"])
    if days <= 0:
        return RetentionResult()
    store = EmbeddedStore.from_settings(settings)
    try:
        result = apply_retention(store, days, int(settings["EMBEDDED_RAW_DOWNSAMPLE_MINUTES"]), now)
    finally:
        store.close()
    log.info("%s", result.summary())
    return result


def start_background(settings, now: datetime | None = None) -> threading.Thread:
    """Run `retention` in a daemon thread (errors are logged, never raised into the caller); `now` defaults to the
    wall clock in IST."""

    def run() -> None:
        from op_trading.market.calendar import now_ist

        try:
            retention(settings, now or now_ist())
        except Exception:  # retention can wait for tomorrow; collection must not notice
            log.exception("embedded store retention failed")

    thread = threading.Thread(target=run, name="op-retention", daemon=True)
    thread.start()
    return thread


def apply_retention(store: EmbeddedStore, keep_days: int, every_minutes: int, now: datetime,
                    measurements=RAW_MEASUREMENTS) -> RetentionResult:
    """Thin raw chunks of days before today - keep_days: last point per `every_minutes` (0 = delete the day)."""
    store.compact()  # buffered past days first, so they are thinned too
    cutoff = day_of(time_to_ns(now)) - keep_days
    every = every_minutes * 60
    result = RetentionResult()
    for series_id, day in _targets(store, measurements, cutoff, every):
        before, after = _thin(store, series_id, day, every)
        result.chunks += 1
        result.points_before += before
        result.points_after += after
    return result


def _targets(store: EmbeddedStore, measurements, cutoff: int, every: int) -> list[tuple[int, int]]:
    marks = ",".join("?" * len(measurements))
    with store._lock:
        rows = store._conn.execute(
            f"SELECT c.series_id, c.day FROM chunks c JOIN series s ON s.id = c.series_id JOIN measurements m ON "
            f"m.id = s.measurement_id WHERE m.name IN ({marks}) AND c.day < ? "
            "AND (? = 0 OR c.every_s = 0 OR c.every_s < ?)",
            (*measurements, cutoff, every, every)).fetchall()
    return [(series_id, day) for series_id, day in rows]


def _thin(store: EmbeddedStore, series_id: int, day: int, every: int) -> tuple[int, int]:
    from op_trading.storage import chunks

    import numpy as np

    from op_trading.storage.embedded import IST_OFFSET_NS

    with store._lock:
        conn = store._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT data FROM chunks WHERE series_id = ? AND day = ?", (series_id, day)).fetchone()
            if row is None:
                conn.execute("COMMIT")
                return 0, 0
            times, columns = chunks.decode(row[0])
            if every == 0:
                keep = np.zeros(len(times), bool)
            else:
                buckets = (times + IST_OFFSET_NS) // (every * 10 ** 9)
                keep = np.r_[buckets[1:] != buckets[:-1], True]  # the last point of each bucket
            store._put_chunk(series_id, day, times[keep],
                             {name: (values[keep], present[keep]) for name, (values, present) in columns.items()},
                             every)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(times), int(keep.sum())
