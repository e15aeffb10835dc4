"""The alternative layouts bench_history.py measures against the chosen one (benchmark only, never the product):

- TypedRows: SQLite, one table per measurement with typed columns (REAL / INTEGER / TEXT), one row per point,
  `WITHOUT ROWID` keyed on (series, time): the "better SQLite layout" of issue 12;
- DuckDb: the embedded columnar engine, one table per measurement with typed columns and a primary key on
  (series, time) for the store's upsert semantics (only when the `duckdb` package is installed).

Both get the same history (tests/performance/history.py) and answer the same straddle and PCR/max-pain queries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from op_trading.storage.point import time_to_ns
from op_trading.storage.schema import MEASUREMENTS

SQL_TYPES = {"float": "REAL", "integer": "INTEGER", "string": "TEXT", "boolean": "INTEGER"}
DUCK_TYPES = {"float": "DOUBLE", "integer": "BIGINT", "string": "VARCHAR", "boolean": "BOOLEAN"}


class _Layout:
    def __init__(self) -> None:
        self.series: dict[tuple, int] = {}
        self.tags: dict[int, dict] = {}
        self.made: set[str] = set()

    def series_id(self, measurement: str, tags: dict) -> int:
        key = (measurement, tuple(sorted(tags.items())))
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = len(self.series) + 1
            self.tags[found] = dict(tags)
        return found

    def matching(self, measurement: str, tags: dict) -> list[int]:
        return [series_id for (name, _), series_id in self.series.items()
                if name == measurement and all(self.tags[series_id].get(k) == v for k, v in tags.items())]

    @staticmethod
    def columns(measurement: str) -> dict[str, str]:
        return MEASUREMENTS[measurement].field_types()


class TypedRows(_Layout):
    name = "sqlite typed rows"

    def __init__(self, folder: Path) -> None:
        import sqlite3

        super().__init__()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "typed.sqlite3"
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def _table(self, measurement: str) -> list[str]:
        names = list(self.columns(measurement))
        if measurement not in self.made:
            typed = ", ".join(f'"{name}" {SQL_TYPES[kind]}' for name, kind in self.columns(measurement).items())
            self.conn.execute(f'CREATE TABLE IF NOT EXISTS "{measurement}" (series_id INTEGER NOT NULL, '
                              f"time_ns INTEGER NOT NULL, {typed}, PRIMARY KEY (series_id, time_ns)) WITHOUT ROWID")
            self.made.add(measurement)
        return names

    def _insert(self, measurement: str, rows: list[tuple]) -> None:
        names = self._table(measurement)
        marks = ", ".join("?" * (len(names) + 2))
        self.conn.executemany(f'INSERT OR REPLACE INTO "{measurement}" VALUES ({marks})', rows)

    def load(self, items) -> None:
        self.conn.execute("BEGIN")
        for measurement, tags, times, columns in items:
            names = self._table(measurement)
            series_id = self.series_id(measurement, tags)
            arrays = [np.asarray(columns[name]).tolist() if name in columns else [None] * len(times)
                      for name in names]
            self._insert(measurement, [(series_id, moment, *values)
                                       for moment, *values in zip(times.tolist(), *arrays)])
        self.conn.execute("COMMIT")

    def write(self, points) -> None:
        groups: dict[str, list[tuple]] = {}
        for point in points:
            names = self._table(point.measurement)
            groups.setdefault(point.measurement, []).append(
                (self.series_id(point.measurement, point.tags), time_to_ns(point.time),
                 *(point.fields.get(name) for name in names)))
        self.conn.execute("BEGIN")
        for measurement, rows in groups.items():
            self._insert(measurement, rows)
        self.conn.execute("COMMIT")

    def values(self, measurement: str, field: str, tags: dict, start_ns: int, end_ns: int):
        """(series_id, time_ns, value) of the matching series in [start, end)."""
        ids = self.matching(measurement, tags)
        marks = ", ".join("?" * len(ids))
        return self.conn.execute(f'SELECT series_id, time_ns, "{field}" FROM "{measurement}" WHERE series_id IN '
                                 f"({marks}) AND time_ns >= ? AND time_ns < ? ORDER BY time_ns",
                                 (*ids, start_ns, end_ns)).fetchall()

    def size(self) -> int:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def close(self) -> None:
        self.conn.close()


class DuckDb(_Layout):
    name = "duckdb"

    def __init__(self, folder: Path) -> None:
        import duckdb

        super().__init__()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "history.duckdb"
        self.conn = duckdb.connect(str(self.path))

    def _table(self, measurement: str) -> list[str]:
        names = list(self.columns(measurement))
        if measurement not in self.made:
            typed = ", ".join(f'"{name}" {DUCK_TYPES[kind]}' for name, kind in self.columns(measurement).items())
            self.conn.execute(f'CREATE TABLE IF NOT EXISTS "{measurement}" (series_id INTEGER, time_ns BIGINT, '
                              f"{typed}, PRIMARY KEY (series_id, time_ns))")
            self.made.add(measurement)
        return names

    def _append(self, measurement: str, frame: dict) -> None:
        self.conn.register("incoming", frame)
        self.conn.execute(f'INSERT OR REPLACE INTO "{measurement}" SELECT * FROM incoming')
        self.conn.unregister("incoming")

    def load(self, items) -> None:
        by_measurement: dict[str, list] = {}
        for item in items:
            by_measurement.setdefault(item[0], []).append(item)
        for measurement, group in by_measurement.items():
            names = self._table(measurement)
            frame = {"series_id": np.concatenate([np.full(len(times), self.series_id(measurement, tags), np.int32)
                                                  for _, tags, times, _ in group]),
                     "time_ns": np.concatenate([times for _, _, times, _ in group])}
            for name in names:
                parts = []
                for _, _, times, columns in group:
                    values = columns.get(name)
                    parts.append(np.asarray(values) if values is not None else np.full(len(times), np.nan))
                frame[name] = np.concatenate([part.astype(object) if part.dtype == object else part
                                              for part in parts]) if parts else np.array([])
            self._append(measurement, frame)

    def write(self, points) -> None:
        groups: dict[str, list] = {}
        for point in points:
            groups.setdefault(point.measurement, []).append(point)
        for measurement, group in groups.items():
            names = self._table(measurement)
            frame = {"series_id": np.array([self.series_id(measurement, p.tags) for p in group], np.int32),
                     "time_ns": np.array([time_to_ns(p.time) for p in group], np.int64)}
            for name in names:
                frame[name] = np.array([p.fields.get(name, np.nan) for p in group])
            self._append(measurement, frame)

    def values(self, measurement: str, field: str, tags: dict, start_ns: int, end_ns: int):
        ids = self.matching(measurement, tags)
        marks = ", ".join("?" * len(ids))
        return self.conn.execute(f'SELECT series_id, time_ns, "{field}" FROM "{measurement}" WHERE series_id IN '
                                 f"({marks}) AND time_ns >= ? AND time_ns < ? ORDER BY time_ns",
                                 [*ids, start_ns, end_ns]).fetchall()

    def size(self) -> int:
        self.conn.execute("CHECKPOINT")
        return self.path.stat().st_size

    def close(self) -> None:
        self.conn.close()


def available() -> list[type]:
    layouts: list[type] = [TypedRows]
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return layouts
    return layouts + [DuckDb]
