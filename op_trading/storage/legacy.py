"""The embedded store's PREVIOUS layout (one SQLite row per point), kept to read and migrate old stores
(`op-trading migrate-store`) and for the history benchmark's side-by-side figures. New data never goes here.

Layout (InfluxDB's data model in tables): `series` holds each distinct (measurement, tag set) once, with an
inverted index `series_tags` for tag filters; each measurement has its own table with one column per field, a
unique key on (series_id, time_ns) and an index on time. The unique key makes writes idempotent the way InfluxDB
is: writing the same series and time again updates the fields given instead of adding a row, so a replay never
duplicates. (A rowid table plus a small unique index inserts ~2x faster than a WITHOUT ROWID table keyed on
(series, time), because rows from interleaved series then append instead of splitting pages mid-tree.)
Field columns are declared without a type, so SQLite keeps each value's own type (int stays int, float stays float).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from op_trading.storage.base import WriteResult
from op_trading.storage.embedded import connect, series_id_of
from op_trading.storage.point import IST, Point, ns_to_time, time_to_ns

log = logging.getLogger(__name__)

FILE_NAME = "op_trading.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS measurements (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS field_columns (
    measurement_id INTEGER NOT NULL, name TEXT NOT NULL, column_name TEXT NOT NULL,
    PRIMARY KEY (measurement_id, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, measurement_id INTEGER NOT NULL, tag_key TEXT NOT NULL,
    UNIQUE (measurement_id, tag_key));
CREATE TABLE IF NOT EXISTS series_tags (
    name TEXT NOT NULL, value TEXT NOT NULL, series_id INTEGER NOT NULL,
    PRIMARY KEY (name, value, series_id)) WITHOUT ROWID;
"""


class LegacyStore:
    """The previous layout's sink and reader (tests and benchmark build old stores with it)."""

    name = "embedded-legacy"

    def __init__(self, data_dir: Path | str, file_name: str = FILE_NAME) -> None:
        self.path, self._conn = connect(data_dir, file_name, _SCHEMA)
        self._lock = threading.Lock()
        self._reset_caches()

    @classmethod
    def from_settings(cls, settings) -> "LegacyStore":
        return cls(settings.path("DATA_DIR"))

    # ----------------------------------------------------------------------------------------------- writing
    def write(self, points: Sequence[Point]) -> WriteResult:
        if not points:
            return WriteResult(self.name)
        with self._lock:
            try:
                # one transaction per call, all points or none; IMMEDIATE takes the write lock first, so what this
                # transaction reads (ids, columns another writer may just have added) is current
                self._conn.execute("BEGIN IMMEDIATE")
                groups, empty = self._group_rows(points)
                for (measurement_id, names), rows in groups.items():
                    self._conn.executemany(self._upsert_sql(measurement_id, names), rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._reset_caches()  # ids cached inside the rolled-back transaction are gone
                log.error("embedded store write failed: %s", error)
                return WriteResult(self.name, failed=len(points), reason=f"SQLite: {error}")
        reason = f"{empty} point(s) without fields" if empty else ""
        return WriteResult(self.name, written=len(points) - empty, failed=empty, reason=reason)

    def flush(self) -> WriteResult:
        return WriteResult(self.name)  # every write commits

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _group_rows(self, points: Iterable[Point]) -> tuple[dict[tuple[int, tuple[str, ...]], list[tuple]], int]:
        """Rows grouped by (measurement, field names), one executemany each; and how many points had no fields."""
        groups: dict[tuple[int, tuple[str, ...]], list[tuple]] = {}
        empty = 0
        for point in points:
            fields = point.fields
            values = tuple(fields.values())
            if None in values:  # None means "missing" (SQLite itself stores NaN as NULL, i.e. missing too)
                fields = {key: value for key, value in fields.items() if value is not None}
                values = tuple(fields.values())
            if not fields:
                empty += 1
                continue
            measurement_id = self._measurement_id(point.measurement)
            series_id = self._series_id(measurement_id, point.tags)
            key = (measurement_id, tuple(fields))
            rows = groups.get(key)
            if rows is None:
                rows = groups[key] = []
            rows.append((series_id, time_to_ns(point.time), *values))
        return groups, empty

    def _upsert_sql(self, measurement_id: int, names: tuple[str, ...]) -> str:
        sql = self._sql_cache.get((measurement_id, names))
        if sql is None:
            columns = [self._column(measurement_id, name) for name in names]
            table = _table(measurement_id)
            updates = ", ".join(f"{column} = excluded.{column}" for column in columns)
            sql = (f"INSERT INTO {table} (series_id, time_ns, {', '.join(columns)}) "
                   f"VALUES (?, ?{', ?' * len(columns)}) ON CONFLICT (series_id, time_ns) DO UPDATE SET {updates}")
            self._sql_cache[(measurement_id, names)] = sql
        return sql

    def _measurement_id(self, measurement: str) -> int:
        found = self._measurement_ids.get(measurement)
        if found is None:
            row = self._conn.execute("SELECT id FROM measurements WHERE name = ?", (measurement,)).fetchone()
            if row is None:
                found = self._conn.execute("INSERT INTO measurements (name) VALUES (?)", (measurement,)).lastrowid
                table = _table(found)
                self._conn.execute(f"CREATE TABLE {table} (series_id INTEGER NOT NULL, time_ns INTEGER NOT NULL, "
                                   "UNIQUE (series_id, time_ns))")
                self._conn.execute(f"CREATE INDEX {table}_time ON {table} (time_ns)")
            else:
                found = row[0]
            self._measurement_ids[measurement] = found
        return found

    def _series_id(self, measurement_id: int, tags) -> int:
        return series_id_of(self._conn, self._series_ids, measurement_id, tags)

    def _column(self, measurement_id: int, name: str) -> str:
        columns = self._columns(measurement_id)
        column = columns.get(name)
        if column is None:
            columns.update(self._stored_columns(measurement_id))  # another writer may have added it meanwhile
            column = columns.get(name)
        if column is None:
            # generated names: field names may differ only in case, which SQLite identifiers do not distinguish
            column = f"c{len(columns) + 1}"
            self._conn.execute(f"ALTER TABLE {_table(measurement_id)} ADD COLUMN {column}")
            self._conn.execute("INSERT INTO field_columns (measurement_id, name, column_name) VALUES (?, ?, ?)",
                               (measurement_id, name, column))
            columns[name] = column
        return column

    def _columns(self, measurement_id: int) -> dict[str, str]:
        columns = self._column_names.get(measurement_id)
        if columns is None:
            columns = self._column_names[measurement_id] = self._stored_columns(measurement_id)
        return columns

    def _reset_caches(self) -> None:
        # bounded by the number of distinct series, which the market bounds (indices x expiries x strikes)
        self._measurement_ids: dict[str, int] = {}
        self._series_ids: dict[tuple, int] = {}
        self._column_names: dict[int, dict[str, str]] = {}
        self._sql_cache: dict[tuple, str] = {}

    # ----------------------------------------------------------------------------------------------- reading
    def query(self, measurement: str, start: datetime | None = None, end: datetime | None = None,
              tags: dict[str, str] | None = None, fields: list[str] | None = None) -> list[dict[str, Any]]:
        """Rows with start <= time < end, oldest first: {"time": IST datetime, **tags, **fields (non-null)}.

        A field that has the name of a tag wins in the row (atm_option_quote: `strike` is the leg's strike;
        the ATM strike, which is also the `strike` tag, is the field `atm_strike_val`)."""
        with self._lock:
            selection = self._select(measurement, tags, fields)
            if selection is None:
                return []
            table, series, names, columns = selection
            sql = (f"SELECT series_id, time_ns, {', '.join(columns)} FROM {table} "
                   "WHERE series_id IN (SELECT value FROM json_each(?)) AND time_ns >= ? AND time_ns < ? "
                   "ORDER BY time_ns, series_id")
            bounds = (time_to_ns(start) if start else -(2 ** 63), time_to_ns(end) if end else 2 ** 63 - 1)
            rows = self._conn.execute(sql, (json.dumps(list(series)), *bounds)).fetchall()
        return [row for row in (_row(series, names, raw) for raw in rows) if row is not None]

    def latest(self, measurement: str, tags: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The newest row among the series matching `tags` (None when there is none)."""
        with self._lock:
            selection = self._select(measurement, tags, None)
            if selection is None:
                return None
            table, series, names, columns = selection
            newest = None
            for series_id in series:  # per series the primary key finds the newest row without a scan
                raw = self._conn.execute(
                    f"SELECT series_id, time_ns, {', '.join(columns)} FROM {table} WHERE series_id = ? "
                    "ORDER BY time_ns DESC LIMIT 1", (series_id,)).fetchone()
                if raw is not None and (newest is None or raw[1] > newest[1]):
                    newest = raw
        return None if newest is None else _row(series, names, newest)

    def count(self, measurement: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT id FROM measurements WHERE name = ?", (measurement,)).fetchone()
            if row is None:
                return 0
            return self._conn.execute(f"SELECT count(*) FROM {_table(row[0])}").fetchone()[0]

    def measurements(self) -> list[str]:
        with self._lock:
            return [name for (name,) in self._conn.execute("SELECT name FROM measurements ORDER BY name")]

    def _select(self, measurement: str, tags: dict[str, str] | None, fields: list[str] | None):
        row = self._conn.execute("SELECT id FROM measurements WHERE name = ?", (measurement,)).fetchone()
        if row is None:
            return None
        measurement_id = row[0]
        series = self._matching_series(measurement_id, tags or {})
        available = self._stored_columns(measurement_id)
        names = [name for name in (fields or available) if name in available]
        if not series or not names:
            return None
        return _table(measurement_id), series, names, [available[name] for name in names]

    def _matching_series(self, measurement_id: int, tags: dict[str, str]) -> dict[int, dict[str, str]]:
        sql = "SELECT id, tag_key FROM series WHERE measurement_id = ?"
        parameters: list[Any] = [measurement_id]
        for name, value in tags.items():
            sql += " AND id IN (SELECT series_id FROM series_tags WHERE name = ? AND value = ?)"
            parameters += [name, str(value)]
        return {series_id: dict(json.loads(tag_key)) for series_id, tag_key in self._conn.execute(sql, parameters)}

    def _stored_columns(self, measurement_id: int) -> dict[str, str]:
        # read from the file, not the write cache: another process may have added fields
        rows = self._conn.execute("SELECT name, column_name FROM field_columns WHERE measurement_id = ? "
                                  "ORDER BY CAST(substr(column_name, 2) AS INTEGER)", (measurement_id,))
        return dict(rows.fetchall())


def _table(measurement_id: int) -> str:
    return f"m{int(measurement_id)}"


def _row(series: dict[int, dict[str, str]], names: list[str], raw: tuple) -> dict[str, Any] | None:
    values = {name: value for name, value in zip(names, raw[2:]) if value is not None}
    if not values:
        return None
    return {"time": ns_to_time(raw[1], IST), **series[raw[0]], **values}


class LegacyTables:
    """Read access to previous-layout tables inside a current store file, for series not migrated yet."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.present = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_columns'").fetchone() is not None
        self._cache: dict[int, tuple[str, dict[str, str]] | None] = {}

    def _table_of(self, series_id: int) -> tuple[str, dict[str, str]] | None:
        """The old table and field columns of a series still to migrate (None: none, or migrated)."""
        if series_id not in self._cache:
            self._cache[series_id] = None
            row = self.conn.execute("SELECT measurement_id FROM series WHERE id = ?", (series_id,)).fetchone()
            done = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'legacy_done'").fetchone()
            migrated = done and self.conn.execute("SELECT 1 FROM legacy_done WHERE series_id = ?",
                                                  (series_id,)).fetchone()
            table = _table(row[0]) if row else None
            exists = table and self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            if exists and not migrated:
                columns = dict(self.conn.execute(
                    "SELECT name, column_name FROM field_columns WHERE measurement_id = ?", (row[0],)).fetchall())
                self._cache[series_id] = (table, columns)
        return self._cache[series_id]

    def rows(self, series_id: int, names, start_ns: int, end_ns: int, newest_first: bool = False,
             limit: int | None = None) -> list[tuple[int, dict]]:
        if not self.present:
            return []
        found = self._table_of(series_id)
        if found is None:
            return []
        table, columns = found
        chosen = [name for name in (names or columns) if name in columns]
        if not chosen:
            return []
        sql = (f"SELECT time_ns, {', '.join(columns[name] for name in chosen)} FROM {table} WHERE series_id = ? "
               f"AND time_ns >= ? AND time_ns < ? ORDER BY time_ns {'DESC' if newest_first else ''}"
               + (f" LIMIT {int(limit)}" if limit else ""))
        out = []
        for raw in self.conn.execute(sql, (series_id, start_ns, end_ns)):
            values = {name: value for name, value in zip(chosen, raw[1:]) if value is not None}
            if values:
                out.append((raw[0], values))
        return out

    def newest(self, series_id: int, limit_ns: int) -> tuple[int, dict] | None:
        found = self.rows(series_id, None, -(2 ** 63), limit_ns, newest_first=True, limit=1)
        return found[0] if found else None

    def count(self, series_ids: list[int]) -> int:
        if not self.present:
            return 0
        total = 0
        for series_id in series_ids:
            found = self._table_of(series_id)
            if found is not None:
                total += self.conn.execute(f"SELECT count(*) FROM {found[0]} WHERE series_id = ?",
                                           (series_id,)).fetchone()[0]
        return total
