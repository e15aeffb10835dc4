"""Migrate an embedded store of the previous layout (one SQLite row per point) to daily chunks, in place.

Series by series: a series' old rows become its day chunks and the series is marked done in `legacy_done`, in one
transaction, so an interrupted run (Ctrl-C, a kill, a power cut) resumes where it stopped and never converts a
series twice. Points written meanwhile by the new layout win over old rows of the same time. Until the last step
the old tables stay readable (the store reads unmigrated series from them); the last step drops them and VACUUMs the
file to give the space back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from op_trading.storage.embedded import EmbeddedStore, day_of, merge_columns
from op_trading.storage.legacy import LegacyTables

Progress = Callable[[int, int, int], None]  # series done, series in all, points moved


@dataclass
class MigrationResult:
    series: int = 0  # migrated by this run
    points: int = 0
    already_done: int = 0  # migrated by an earlier, interrupted run
    seconds: float = 0.0
    vacuumed: bool = False

    def summary(self) -> str:
        if not self.series and not self.already_done:
            return "The store already uses the chunked layout; nothing to migrate."
        resumed = f" ({self.already_done} series done by an earlier run)" if self.already_done else ""
        return (f"Migrated {self.points:,} points in {self.series:,} series to daily chunks in "
                f"{self.seconds:.1f} s{resumed}; old tables removed.")


def pending_series(store: EmbeddedStore) -> tuple[list[int], int]:
    """Series still in old tables, and how many were migrated already."""
    conn = store._conn
    if not LegacyTables(conn).present:
        return [], 0
    conn.execute("CREATE TABLE IF NOT EXISTS legacy_done (series_id INTEGER PRIMARY KEY)")
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    done = {series_id for (series_id,) in conn.execute("SELECT series_id FROM legacy_done")}
    rows = conn.execute("SELECT id, measurement_id FROM series ORDER BY id").fetchall()
    todo = [series_id for series_id, measurement_id in rows
            if f"m{measurement_id}" in tables and series_id not in done]
    return todo, len(done)


def migrate(store: EmbeddedStore, progress: Progress | None = None) -> MigrationResult:
    started = time.monotonic()
    todo, done_before = pending_series(store)
    result = MigrationResult(already_done=done_before)
    if not todo and not done_before:
        return result
    for number, series_id in enumerate(todo, 1):
        result.points += _migrate_series(store, series_id)
        result.series += 1
        if progress:
            progress(number, len(todo), result.points)
    _drop_old_tables(store)
    result.vacuumed = True
    result.seconds = time.monotonic() - started
    return result


def _migrate_series(store: EmbeddedStore, series_id: int) -> int:
    from op_trading.storage import chunks

    import numpy as np

    with store._lock:
        conn = store._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = LegacyTables(conn).rows(series_id, None, -(2 ** 63), 2 ** 63 - 1)
            by_day: dict[int, list] = {}
            for moment, values in rows:
                by_day.setdefault(day_of(moment), []).append((moment, values))
            for day, points in by_day.items():
                times = np.array([moment for moment, _ in points], np.int64)
                names = list(dict.fromkeys(name for _, values in points for name in values))
                columns = {name: chunks.column([values.get(name) for _, values in points]) for name in names}
                found = conn.execute("SELECT data, every_s FROM chunks WHERE series_id = ? AND day = ?",
                                     (series_id, day)).fetchone()
                every = 0
                if found is not None:  # written by the new layout meanwhile: those values win
                    every = found[1]
                    times, columns = merge_columns(times, columns, *chunks.decode(found[0]))
                store._put_chunk(series_id, day, times, columns, every)
            conn.execute("INSERT INTO legacy_done (series_id) VALUES (?)", (series_id,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(rows)


def _drop_old_tables(store: EmbeddedStore) -> None:
    with store._lock:
        conn = store._conn
        conn.execute("BEGIN IMMEDIATE")
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                                   "name GLOB 'm[0-9]*'")]
        for table in tables:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP TABLE IF EXISTS field_columns")
        conn.execute("DROP TABLE IF EXISTS legacy_done")
        conn.execute("COMMIT")
        conn.execute("VACUUM")  # gives the old tables' pages back to the file system
