"""The default store: one SQLite file under DATA_DIR/store, no server, queryable for months of history.

Layout (measured against the one-row-per-point layout, typed-column rows and DuckDB: README "Embedded store"):
`series` holds each distinct (measurement, tag set) once, with an inverted index `series_tags` for tag filters.
Points of one series for one IST day are packed into one `chunks` row (compressed columns, see chunks.py): ~6x
smaller than a row per point, and a series query decodes only the days in range. Today's points go first to a small
`open_points` buffer (one row per point, fields marshalled), so a cycle's write is one cheap executemany; buffered
points of past days are sealed into chunks a few series at a time after each write (a bounded cost per cycle), or by
`compact()`. Reads overlay buffer rows on chunk rows, so a point is visible the moment its write commits.
Writes are idempotent the way InfluxDB's are: the same series and time again updates the fields given.
A store of the previous layout (tables m1, m2...) stays readable until `op-trading migrate-store` converts it.
"""

from __future__ import annotations

import json
import logging
import marshal
import sqlite3
import threading
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence

from op_trading.storage.base import WriteResult
from op_trading.storage.point import IST, Point, ns_to_time, time_to_ns

log = logging.getLogger(__name__)

FILE_NAME = "op_trading.sqlite3"
DAY_NS = 86_400 * 10 ** 9
IST_OFFSET_NS = 19_800 * 10 ** 9
SEAL_BUDGET_SECONDS = 0.02  # sealing after a write stops after this long; the rest waits for a later write
# ... and runs at most once per interval: a cycle makes ~20 writes (legs, then each analyzer's), and a budget per
# write would add up to ~0.4 s of sealing to every cycle until the previous day is sealed
SEAL_INTERVAL_SECONDS = 1.0
_MIN, _MAX = -(2 ** 63), 2 ** 63 - 1
MARSHAL_VERSION = 2  # without version 3's object references: 2.5x faster for a cycle's small dicts
_SCHEMA = """
CREATE TABLE IF NOT EXISTS measurements (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, measurement_id INTEGER NOT NULL, tag_key TEXT NOT NULL,
    UNIQUE (measurement_id, tag_key));
CREATE TABLE IF NOT EXISTS series_tags (
    name TEXT NOT NULL, value TEXT NOT NULL, series_id INTEGER NOT NULL,
    PRIMARY KEY (name, value, series_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    series_id INTEGER NOT NULL, day INTEGER NOT NULL, n INTEGER NOT NULL, first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL, every_s INTEGER NOT NULL DEFAULT 0, data BLOB NOT NULL, UNIQUE (series_id, day));
CREATE TABLE IF NOT EXISTS field_sets (id INTEGER PRIMARY KEY, names TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS open_points (
    series_id INTEGER NOT NULL, time_ns INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (series_id, time_ns));
"""


def day_of(time_ns: int) -> int:
    """IST calendar day number of a time (days since 1970-01-01 IST)."""
    return (time_ns + IST_OFFSET_NS) // DAY_NS


def day_start_ns(day: int) -> int:
    return day * DAY_NS - IST_OFFSET_NS


@dataclass
class SeriesData:
    """One series' points in a time range: times (int64 ns, ascending) and one float array per field (NaN = missing;
    strings become NaN: use query() for them)."""

    tags: dict[str, str]
    times: Any  # numpy int64
    values: dict[str, Any]  # field -> numpy float64

    def datetimes(self) -> list[datetime]:
        return [ns_to_time(int(value), IST) for value in self.times]

    def rows(self) -> list[dict[str, Any]]:
        import math

        rows = []
        for position, moment in enumerate(self.datetimes()):
            fields = {name: float(array[position]) for name, array in self.values.items()
                      if not math.isnan(array[position])}
            if fields:
                rows.append({"time": moment, **self.tags, **fields})
        return rows


def connect(data_dir: Path | str, file_name: str, schema: str) -> tuple[Path, sqlite3.Connection]:
    """The store file under DATA_DIR/store, opened as both layouts use it, with `schema` created if missing."""
    folder = Path(data_dir) / "store"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    # autocommit mode: write() opens its own BEGIN IMMEDIATE transactions (see there)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")  # readers (menus, other processes) never block the writer
    # WAL + NORMAL: a crashed program loses nothing committed; a power cut may lose the last commits, but the
    # file stays consistent. FULL would fsync every cycle for little gain here.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    return path, conn


def series_id_of(conn: sqlite3.Connection, cache: dict, measurement_id: int, tags) -> int:
    """The id of a measurement's series with these tags (created with its tag rows when new); both layouts share
    the `series` and `series_tags` tables."""
    items = tuple(sorted((str(name), str(value)) for name, value in tags.items()))
    found = cache.get((measurement_id, items))
    if found is None:
        tag_key = json.dumps(items, separators=(",", ":"))
        row = conn.execute("SELECT id FROM series WHERE measurement_id = ? AND tag_key = ?",
                           (measurement_id, tag_key)).fetchone()
        if row is None:
            found = conn.execute("INSERT INTO series (measurement_id, tag_key) VALUES (?, ?)",
                                 (measurement_id, tag_key)).lastrowid
            conn.executemany("INSERT INTO series_tags (name, value, series_id) VALUES (?, ?, ?)",
                             [(name, value, found) for name, value in items])
        else:
            found = row[0]
        cache[(measurement_id, items)] = found
    return found


class EmbeddedStore:
    """Sink and reader over SQLite (WAL). Thread-safe: one connection behind a lock."""

    name = "embedded"

    def __init__(self, data_dir: Path | str, file_name: str = FILE_NAME) -> None:
        self.path, self._conn = connect(data_dir, file_name, _SCHEMA)
        self._lock = threading.RLock()
        self._reset_caches()
        self._open_day: int | None = None  # the newest day written by this process: older buffered days seal
        self._to_seal: list[tuple[int, int]] | None = []  # (series, day) waiting; None = look again
        self._next_seal = 0.0  # monotonic time of the next sealing pass

    @classmethod
    def from_settings(cls, settings) -> "EmbeddedStore":
        return cls(settings.path("DATA_DIR"))

    # ----------------------------------------------------------------------------------------------- writing
    def write(self, points: Sequence[Point]) -> WriteResult:
        if not points:
            return WriteResult(self.name)
        with self._lock:
            try:
                # one transaction per call, all points or none; IMMEDIATE takes the write lock first, so what this
                # transaction reads (ids another writer may just have added) is current
                self._conn.execute("BEGIN IMMEDIATE")
                rows, empty, newest = self._buffer_rows(points)
                self._conn.executemany(
                    "INSERT INTO open_points (series_id, time_ns, data) VALUES (?, ?, ?) ON CONFLICT "
                    "(series_id, time_ns) DO UPDATE SET data = merge_fields(data, excluded.data)", rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._reset_caches()  # ids cached inside the rolled-back transaction are gone
                log.error("embedded store write failed: %s", error)
                return WriteResult(self.name, failed=len(points), reason=f"SQLite: {error}")
            self._note_day(newest)
            self._seal_some(SEAL_BUDGET_SECONDS)
        reason = f"{empty} point(s) without fields" if empty else ""
        return WriteResult(self.name, written=len(points) - empty, failed=empty, reason=reason)

    def write_columns(self, measurement: str, tags: dict[str, str], times: Sequence[int],
                      columns: dict[str, Sequence[Any]]) -> int:
        """Bulk load straight into chunks: `times` in ns, each column a list of values (None = missing), one per
        time. Merges with what is stored (the new values win). For migration and history builders."""
        from op_trading.storage import chunks

        import numpy as np

        order = np.argsort(np.asarray(times, np.int64), kind="stable")
        times_array = np.asarray(times, np.int64)[order]
        typed = {name: chunks.column([values[i] for i in order.tolist()]) for name, values in columns.items()}
        with self._bulk():
            self._merge_days(self._series_id(self._measurement_id(measurement), tags), times_array, typed)
        return len(times_array)

    def write_arrays(self, measurement: str, tags: dict[str, str], times, columns: dict[str, Any]) -> int:
        """Bulk load of numpy columns (int64 / float64 with NaN = missing / object) for one series, straight into
        chunks of the days they cover, merged with what is stored. The fast path of history builders."""
        return self.write_arrays_many([(measurement, tags, times, columns)])

    def write_arrays_many(self, items: Sequence[tuple[str, dict[str, str], Any, dict[str, Any]]]) -> int:
        """write_arrays for many series in one transaction."""
        import numpy as np

        total = 0
        with self._bulk():
            for measurement, tags, times, columns in items:
                times = np.asarray(times, np.int64)
                typed = {}
                for name, values in columns.items():
                    values = np.asarray(values)
                    present = ~np.isnan(values) if values.dtype == np.float64 else np.ones(len(values), bool)
                    typed[name] = (values, present)
                self._merge_days(self._series_id(self._measurement_id(measurement), tags), times, typed)
                total += len(times)
        return total

    @contextmanager
    def _bulk(self):
        """One IMMEDIATE transaction under the lock for a bulk load: all of it or, on any error, none (and the id
        caches, which may hold ids of the rolled-back transaction, are reset)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._reset_caches()
                raise

    def _merge_days(self, series_id: int, times, typed: dict) -> None:
        """Sorted times and their (values, present) columns merged into the chunks of the days they cover."""
        import numpy as np

        days = (times + IST_OFFSET_NS) // DAY_NS
        for day in np.unique(days).tolist():
            pick = days == day
            self._merge_chunk(series_id, day, times[pick],
                              {name: (values[pick], present[pick]) for name, (values, present) in typed.items()})

    def flush(self) -> WriteResult:
        return WriteResult(self.name)  # every write commits

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def compact(self, all_days: bool = False) -> int:
        """Seal buffered points into chunks: those of days before the newest written (all when `all_days`).
        Returns how many (series, day) chunks were written."""
        with self._lock:
            boundary = None if all_days else self._open_day
            pending = self._pending(boundary)
            for series_id, day in pending:
                self._seal(series_id, day)
            if not all_days:
                self._to_seal = []
        return len(pending)

    def _note_day(self, newest_ns: int | None) -> None:
        if newest_ns is None:
            return
        day = day_of(newest_ns)
        if self._open_day is None or day > self._open_day:
            self._open_day = day
            self._to_seal = None
            self._next_seal = 0.0  # a new day: start sealing the previous ones at once

    def _seal_some(self, budget: float) -> None:
        """Seal buffered past days until `budget` seconds are spent (keeps a cycle's write cost bounded)."""
        started = clock.monotonic()
        if self._to_seal == [] or self._open_day is None or started < self._next_seal:
            return
        self._next_seal = started + SEAL_INTERVAL_SECONDS
        try:
            if self._to_seal is None:
                self._to_seal = self._pending(self._open_day)
            while self._to_seal and clock.monotonic() - started < budget:
                series_id, day = self._to_seal.pop()
                self._seal(series_id, day)
        except sqlite3.Error as error:  # sealing can wait; the points are safe in the buffer
            log.warning("embedded store: sealing buffered points failed: %s", error)
            self._to_seal = None

    def _pending(self, before_day: int | None) -> list[tuple[int, int]]:
        limit = _MAX if before_day is None else day_start_ns(before_day)
        rows = self._conn.execute(
            "SELECT DISTINCT series_id, (time_ns + ?) / ? FROM open_points WHERE time_ns < ?",
            (IST_OFFSET_NS, DAY_NS, limit)).fetchall()
        return [(series_id, day) for series_id, day in rows]

    def _seal(self, series_id: int, day: int) -> None:
        """Move one series' buffered points of one day into its chunk (one transaction)."""
        from op_trading.storage import chunks

        import numpy as np

        self._conn.execute("BEGIN IMMEDIATE")
        try:
            bounds = (series_id, day_start_ns(day), day_start_ns(day + 1))
            rows = self._conn.execute("SELECT time_ns, data FROM open_points WHERE series_id = ? AND time_ns >= ? "
                                      "AND time_ns < ? ORDER BY time_ns", bounds).fetchall()
            if rows:
                times = np.array([row[0] for row in rows], np.int64)
                dicts = [self._fields_of(row[1]) for row in rows]
                names = list(dict.fromkeys(name for values in dicts for name in values))
                columns = {name: chunks.column([values.get(name) for values in dicts]) for name in names}
                self._merge_chunk(series_id, day, times, columns)
                self._conn.execute("DELETE FROM open_points WHERE series_id = ? AND time_ns >= ? AND time_ns < ?",
                                   bounds)
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _merge_chunk(self, series_id: int, day: int, times, columns: dict) -> None:
        """Write a chunk for (series, day), merged with the stored one (new values win per field)."""
        from op_trading.storage import chunks

        row = self._conn.execute("SELECT data, every_s FROM chunks WHERE series_id = ? AND day = ?",
                                 (series_id, day)).fetchone()
        every = 0
        if row is not None:
            every = row[1]
            old_times, old_columns = chunks.decode(row[0])
            times, columns = merge_columns(old_times, old_columns, times, columns)
        self._put_chunk(series_id, day, times, columns, every)

    def _put_chunk(self, series_id: int, day: int, times, columns: dict, every: int = 0) -> None:
        from op_trading.storage import chunks

        if len(times) == 0:
            self._conn.execute("DELETE FROM chunks WHERE series_id = ? AND day = ?", (series_id, day))
            return
        self._conn.execute(
            "INSERT INTO chunks (series_id, day, n, first_ns, last_ns, every_s, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (series_id, day) DO UPDATE SET n = excluded.n, first_ns = excluded.first_ns, "
            "last_ns = excluded.last_ns, every_s = excluded.every_s, data = excluded.data",
            (series_id, day, len(times), int(times[0]), int(times[-1]), every, chunks.encode(times, columns)))

    def _buffer_rows(self, points: Iterable[Point]) -> tuple[list[tuple], int, int | None]:
        # the hot path of every cycle: no per-field Python work unless a value is None (NaN values are stored and
        # read back as missing, as SQLite's NULL did before)
        rows, empty, newest = [], 0, None
        dumps, series_ids, stamps, field_sets = marshal.dumps, self._point_series, {}, self._field_set_ids
        for point in points:
            fields = point.fields
            values = fields.values()
            if not all(values) and None in values:  # all(): a truth test per value, cheaper than `in` on floats
                fields = {key: value for key, value in fields.items() if value is not None}
            if not fields:
                empty += 1
                continue
            key = (point.measurement, tuple(point.tags.items()))
            series_id = series_ids.get(key)
            if series_id is None:
                series_id = series_ids[key] = self._series_id(self._measurement_id(point.measurement), point.tags)
            moment = stamps.get(point.time)
            if moment is None:  # the points of a cycle share their time
                moment = stamps[point.time] = time_to_ns(point.time)
            if newest is None or moment > newest:
                newest = moment
            names = tuple(fields)
            set_id = field_sets.get(names)
            if set_id is None:
                set_id = self._field_set_id(names)
            try:  # (field set, values): a cycle's rows are half the bytes of dicts, so its commit is cheaper
                blob = dumps((set_id, tuple(fields.values())), MARSHAL_VERSION)
            except ValueError:  # numpy scalars and other number types: as plain Python values
                blob = dumps((set_id, tuple(_plain_fields(fields).values())), MARSHAL_VERSION)
            rows.append((series_id, moment, blob))
        return rows, empty, newest

    def _field_set_id(self, names: tuple[str, ...]) -> int:
        text = json.dumps(names)
        row = self._conn.execute("SELECT id FROM field_sets WHERE names = ?", (text,)).fetchone()
        found = row[0] if row else self._conn.execute("INSERT INTO field_sets (names) VALUES (?)", (text,)).lastrowid
        self._field_set_ids[names] = found
        self._field_set_names[found] = names
        return found

    def _fields_of(self, blob: bytes) -> dict:
        """A buffered row's fields: (field set, values), or a dict (rows merged by a rewrite)."""
        stored = marshal.loads(blob)
        if type(stored) is dict:
            return stored
        names = self._field_set_names.get(stored[0])
        if names is None:  # written by another process
            text = self._conn.execute("SELECT names FROM field_sets WHERE id = ?", (stored[0],)).fetchone()[0]
            names = self._field_set_names[stored[0]] = tuple(json.loads(text))
        return dict(zip(names, stored[1]))

    def _merge_blobs(self, old: bytes, new: bytes) -> bytes:
        merged = self._fields_of(old)
        merged.update(self._fields_of(new))
        return marshal.dumps(merged, MARSHAL_VERSION)

    def _measurement_id(self, measurement: str) -> int:
        found = self._measurement_ids.get(measurement)
        if found is None:
            row = self._conn.execute("SELECT id FROM measurements WHERE name = ?", (measurement,)).fetchone()
            if row is None:
                found = self._conn.execute("INSERT INTO measurements (name) VALUES (?)", (measurement,)).lastrowid
            else:
                found = row[0]
            self._measurement_ids[measurement] = found
        return found

    def _series_id(self, measurement_id: int, tags) -> int:
        return series_id_of(self._conn, self._series_ids, measurement_id, tags)

    def _reset_caches(self) -> None:
        # bounded by the number of distinct series, which the market bounds (indices x expiries x strikes)
        self._measurement_ids: dict[str, int] = {}
        self._series_ids: dict[tuple, int] = {}
        self._point_series: dict[tuple, int] = {}  # (measurement, tags as given) -> id: no sorting per point
        self._selections: dict[tuple, tuple[int, Any]] = {}
        self._field_set_ids: dict[tuple[str, ...], int] = {}
        self._field_set_names: dict[int, tuple[str, ...]] = {}
        self._conn.create_function("merge_fields", 2, self._merge_blobs, deterministic=True)

    # ----------------------------------------------------------------------------------------------- reading
    def query(self, measurement: str, start: datetime | None = None, end: datetime | None = None,
              tags: dict[str, str] | None = None, fields: list[str] | None = None) -> list[dict[str, Any]]:
        """Rows with start <= time < end, oldest first: {"time": IST datetime, **tags, **fields (non-null)}.

        A field that has the name of a tag wins in the row (atm_option_quote: `strike` is the leg's strike;
        the ATM strike, which is also the `strike` tag, is the field `atm_strike_val`)."""
        found = []
        for tags_of, times, columns in self._read(measurement, tags, fields, _ns(start, _MIN), _ns(end, _MAX)):
            lists = {name: (values.tolist(), present.tolist()) for name, (values, present) in columns.items()}
            for position, moment in enumerate(times.tolist()):
                values = {name: items[position] for name, (items, present) in lists.items() if present[position]}
                if values:
                    found.append((moment, tags_of, values))
        found.sort(key=lambda item: item[0])  # stable: series order within a time
        return [{"time": ns_to_time(moment, IST), **tags_of, **values} for moment, tags_of, values in found]

    def series(self, measurement: str, fields: str | list[str], tags: dict[str, str] | None = None,
               start: datetime | None = None, end: datetime | None = None, every: int | timedelta | None = None,
               how: str = "last") -> list[SeriesData]:
        """Per matching series, numeric fields as arrays, optionally downsampled to `every` (seconds or timedelta;
        buckets aligned to the IST clock, stamped with their start) by `how` (last/first/mean/min/max/sum/count)."""
        import numpy as np

        names = [fields] if isinstance(fields, str) else list(fields)
        seconds = every.total_seconds() if isinstance(every, timedelta) else every
        result = []
        for tags_of, times, columns in self._read(measurement, tags, names, _ns(start, _MIN), _ns(end, _MAX)):
            values = {name: _floats(columns[name]) if name in columns else np.full(len(times), np.nan)
                      for name in names}
            if seconds:
                times, values = _downsample(times, values, int(seconds * 10 ** 9), how)
            result.append(SeriesData(tags_of, times, values))
        return result

    def latest(self, measurement: str, tags: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The newest row among the series matching `tags` (None when there is none)."""
        return self.latest_before(measurement, tags, None)

    def latest_before(self, measurement: str, tags: dict[str, str] | None, moment: datetime | None
                      ) -> dict[str, Any] | None:
        """The newest row at or before `moment` (any time when None) among the series matching `tags`."""
        limit = _ns(moment, _MAX - 1) + 1
        with self._lock:
            selection = self._selection(measurement, tags)
            if selection is None:
                return None
            newest = None
            for series_id, tag_key in selection.items():
                found = self._newest_of(series_id, limit)
                if found is not None and (newest is None or found[0] > newest[0]):
                    newest = (found[0], tag_key, found[1])
        return None if newest is None else {"time": ns_to_time(newest[0], IST), **_tags(newest[1]), **newest[2]}

    def series_tags(self, measurement: str, tag: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT t.value FROM series_tags t JOIN series s ON s.id = t.series_id "
                "JOIN measurements m ON m.id = s.measurement_id WHERE m.name = ? AND t.name = ? ORDER BY t.value",
                (measurement, tag)).fetchall()
        return [value for (value,) in rows]

    def count(self, measurement: str) -> int:
        with self._lock:
            selection = self._selection(measurement, None)
            if selection is None:
                return 0
            ids = json.dumps(list(selection))
            stored = self._conn.execute("SELECT coalesce(sum(n), 0) FROM chunks WHERE series_id IN "
                                        "(SELECT value FROM json_each(?))", (ids,)).fetchone()[0]
            buffered = self._conn.execute(
                "SELECT o.series_id, o.time_ns, c.data IS NOT NULL FROM open_points o LEFT JOIN chunks c ON "
                "c.series_id = o.series_id AND c.day = (o.time_ns + ?) / ? WHERE o.series_id IN "
                "(SELECT value FROM json_each(?))", (IST_OFFSET_NS, DAY_NS, ids)).fetchall()
            extra = sum(1 for _, _, overlaps in buffered if not overlaps)
            extra += self._not_in_chunks([(series_id, moment) for series_id, moment, overlaps in buffered if overlaps])
            extra += self._legacy().count(list(selection))
        return stored + extra

    def measurements(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT name FROM measurements m WHERE EXISTS (SELECT 1 FROM series s "
                                      "WHERE s.measurement_id = m.id) ORDER BY name")
            return [name for (name,) in rows]

    def stats(self) -> dict[str, int]:
        """Chunks, buffered points and file size (bytes): for the benchmark and the migrate command."""
        with self._lock:
            chunks_count = self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            buffered = self._conn.execute("SELECT count(*) FROM open_points").fetchone()[0]
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return {"chunks": chunks_count, "buffered": buffered, "bytes": pages * size}

    # ------------------------------------------------------------------------------------------- read helpers
    def _selection(self, measurement: str, tags: dict[str, str] | None) -> dict[int, str] | None:
        """The series of `measurement` matching `tags`, id -> tag key (JSON, parsed by `_tags` only for the series a
        read returns: after months a measurement has tens of thousands). Cached until a series is added (any
        process): series only grow, so the newest series id tells whether the answer can have changed."""
        newest = self._conn.execute("SELECT max(id) FROM series").fetchone()[0]
        key = (measurement, tuple(sorted((name, str(value)) for name, value in (tags or {}).items())))
        cached = self._selections.get(key)
        if cached is not None and cached[0] == newest:
            return cached[1]
        found = self._select_series(measurement, key[1])
        if len(self._selections) > 512:  # bounded: dashboards ask a few dozen distinct selections
            self._selections.clear()
        self._selections[key] = (newest, found)
        return found

    def _select_series(self, measurement: str, tags: tuple[tuple[str, str], ...]) -> dict[int, str] | None:
        row = self._conn.execute("SELECT id FROM measurements WHERE name = ?", (measurement,)).fetchone()
        if row is None:
            return None
        if not tags:
            rows = self._conn.execute("SELECT id, tag_key FROM series WHERE measurement_id = ? ORDER BY id", (row[0],))
        else:
            # drive from the most selective tag (an expiry, a strike), check the others by primary key: the cost
            # follows the answer, not the number of series history has accumulated
            counts = [self._conn.execute("SELECT count(*) FROM series_tags WHERE name = ? AND value = ?",
                                         pair).fetchone()[0] for pair in tags]
            order = sorted(range(len(tags)), key=counts.__getitem__)
            sql = ("SELECT s.id, s.tag_key FROM series_tags t JOIN series s ON s.id = t.series_id "
                   "WHERE t.name = ? AND t.value = ? AND s.measurement_id = ?")
            parameters: list[Any] = [*tags[order[0]], row[0]]
            for position in order[1:]:
                sql += (" AND EXISTS (SELECT 1 FROM series_tags o WHERE o.name = ? AND o.value = ? "
                        "AND o.series_id = s.id)")
                parameters += list(tags[position])
            rows = self._conn.execute(sql + " ORDER BY s.id", parameters)
        found = dict(rows)
        return found or None

    def _read(self, measurement: str, tags, names, start_ns: int, end_ns: int):
        """Per matching series (ordered by id): (tags, times, columns) of the points in [start, end). Chunks and
        buffered rows of all the series come in one query each (a chain is ~100 series)."""
        with self._lock:
            selection = self._selection(measurement, tags)
            if selection is None:
                return []
            ids = json.dumps(list(selection))
            first_day = day_of(max(start_ns, _MIN + IST_OFFSET_NS))
            last_day = day_of(min(end_ns, _MAX - IST_OFFSET_NS))
            blobs: dict[int, list[bytes]] = {}
            for series_id, blob in self._conn.execute(
                    "SELECT series_id, data FROM chunks WHERE series_id IN (SELECT value FROM json_each(?)) AND "
                    "day >= ? AND day <= ? AND last_ns >= ? AND first_ns < ? ORDER BY series_id, day",
                    (ids, first_day, last_day, start_ns, end_ns)):
                blobs.setdefault(series_id, []).append(blob)
            buffered: dict[int, list[tuple[int, bytes]]] = {}
            for series_id, moment, blob in self._conn.execute(
                    "SELECT series_id, time_ns, data FROM open_points WHERE series_id IN (SELECT value FROM "
                    "json_each(?)) AND time_ns >= ? AND time_ns < ? ORDER BY series_id, time_ns",
                    (ids, start_ns, end_ns)):
                buffered.setdefault(series_id, []).append((moment, blob))
            legacy = self._legacy()
            # only the series with points in the window (a measurement's selection holds every contract history
            # ever had: tens of thousands of series after months), unless unmigrated legacy rows may hold some
            ids = selection if legacy.present else sorted(blobs.keys() | buffered.keys())
            out = []
            for series_id in ids:
                times, columns = self._series_points(series_id, names, start_ns, end_ns, legacy,
                                                     blobs.get(series_id, ()), buffered.get(series_id, ()))
                if len(times):
                    out.append((_tags(selection[series_id]), times, columns))
        return out

    def _series_points(self, series_id: int, names, start_ns: int, end_ns: int, legacy, blobs, buffered):
        from op_trading.storage import chunks

        import numpy as np

        parts = []
        old = legacy.rows(series_id, names, start_ns, end_ns) if legacy.present else None
        if old:
            parts.append(_buffer_part(old))
        for blob in blobs:
            times, columns = chunks.decode(blob, names)
            parts.append(_clip(times, columns, start_ns, end_ns))
        if buffered:
            wanted = None if names is None else set(names)
            parts.append(_buffer_part([(moment, {key: value for key, value in self._fields_of(blob).items()
                                                 if wanted is None or key in wanted}) for moment, blob in buffered]))
        if not parts:
            return np.empty(0, np.int64), {}
        times, columns = parts[0]
        for more_times, more_columns in parts[1:]:
            times, columns = merge_columns(times, columns, more_times, more_columns)
        return times, columns

    def _newest_of(self, series_id: int, limit: int) -> tuple[int, dict] | None:
        """(time, fields) of the series' newest point before `limit` ns."""
        from op_trading.storage import chunks

        import numpy as np

        best = None
        row = self._conn.execute("SELECT time_ns, data FROM open_points WHERE series_id = ? AND time_ns < ? "
                                 "ORDER BY time_ns DESC LIMIT 1", (series_id, limit)).fetchone()
        if row is not None:
            best = (row[0], self._fields_of(row[1]))
        chunk = self._conn.execute("SELECT data FROM chunks WHERE series_id = ? AND first_ns < ? "
                                   "ORDER BY day DESC LIMIT 1", (series_id, limit)).fetchone()
        if chunk is not None:
            times, columns = chunks.decode(chunk[0])
            position = int(np.searchsorted(times, limit)) - 1
            if position >= 0 and (best is None or times[position] > best[0]):
                best = (int(times[position]), {name: values[position].item() if hasattr(values[position], "item")
                                               else values[position] for name, (values, present) in columns.items()
                                               if present[position]})
        legacy = self._legacy().newest(series_id, limit)
        if legacy is not None and (best is None or legacy[0] > best[0]):
            best = legacy
        return best

    def _not_in_chunks(self, pairs: list[tuple[int, int]]) -> int:
        from op_trading.storage import chunks

        missing = 0
        for series_id, moment in pairs:  # rare: points rewritten after their day was sealed
            blob = self._conn.execute("SELECT data FROM chunks WHERE series_id = ? AND day = ?",
                                      (series_id, day_of(moment))).fetchone()[0]
            missing += int(moment not in set(chunks.decode(blob, [])[0].tolist()))
        return missing

    def _legacy(self):
        from op_trading.storage.legacy import LegacyTables

        return LegacyTables(self._conn)


# ----------------------------------------------------------------------------------------------------- helpers
def _tags(tag_key: str) -> dict[str, str]:
    return dict(json.loads(tag_key))


def _ns(moment: datetime | None, default: int) -> int:
    return default if moment is None else time_to_ns(moment)


def _plain_fields(fields) -> dict:
    plain = {}
    for key, value in fields.items():
        kind = type(value)
        if kind is not float and kind is not int and kind is not str and kind is not bool:
            value = value.item() if hasattr(value, "item") else value  # numpy scalars
        plain[str(key)] = value
    return plain


def _buffer_part(rows: list[tuple[int, dict]]):
    from op_trading.storage import chunks

    import numpy as np

    times = np.array([moment for moment, _ in rows], np.int64)
    names = list(dict.fromkeys(name for _, values in rows for name in values))
    return times, {name: chunks.column([values.get(name) for _, values in rows]) for name in names}


def _clip(times, columns: dict, start_ns: int, end_ns: int):
    if len(times) and times[0] >= start_ns and times[-1] < end_ns:
        return times, columns
    keep = (times >= start_ns) & (times < end_ns)
    return times[keep], {name: (values[keep], present[keep]) for name, (values, present) in columns.items()}


def merge_columns(times_a, columns_a: dict, times_b, columns_b: dict):
    """Union of two sets of points by time; where both have a field at a time, b's value wins."""
    import numpy as np

    if len(times_a) == 0:
        return times_b, columns_b
    if len(times_b) == 0:
        return times_a, columns_a
    if times_a[-1] < times_b[0]:  # the usual case: b follows a
        times = np.concatenate([times_a, times_b])
        names = list(dict.fromkeys([*columns_a, *columns_b]))
        return times, {name: _concat(columns_a.get(name), len(times_a), columns_b.get(name), len(times_b))
                       for name in names}
    times = np.union1d(times_a, times_b)
    where_a, where_b = np.searchsorted(times, times_a), np.searchsorted(times, times_b)
    columns = {}
    for name in dict.fromkeys([*columns_a, *columns_b]):
        values, present = _empty_like(columns_a.get(name), columns_b.get(name), len(times))
        for where, source in ((where_a, columns_a.get(name)), (where_b, columns_b.get(name))):
            if source is not None:
                chosen = where[source[1]]
                values[chosen] = source[0][source[1]]
                present[chosen] = True
        columns[name] = (values, present)
    return times, columns


def _empty_like(a, b, count: int):
    import numpy as np

    dtypes = {column[0].dtype for column in (a, b) if column is not None}
    dtype = dtypes.pop() if len(dtypes) == 1 else object
    values = np.zeros(count, dtype) if dtype != object else np.empty(count, object)
    return values, np.zeros(count, bool)


def _concat(a, count_a: int, b, count_b: int):
    import numpy as np

    a = a if a is not None else _absent(b, count_a)
    b = b if b is not None else _absent(a, count_b)
    values = (np.concatenate([a[0], b[0]]) if a[0].dtype == b[0].dtype
              else np.concatenate([a[0].astype(object), b[0].astype(object)]))
    return values, np.concatenate([a[1], b[1]])


def _absent(like, count: int):
    import numpy as np

    dtype = like[0].dtype
    values = np.zeros(count, dtype) if dtype != object else np.empty(count, object)
    return values, np.zeros(count, bool)


def _floats(column):
    import numpy as np

    values, present = column
    if values.dtype == object:
        values = np.array([value if isinstance(value, (int, float)) and not isinstance(value, bool) else np.nan
                           for value in values.tolist()], np.float64)
    out = values.astype(np.float64)
    out[~present] = np.nan
    return out


_REDUCERS = {"mean": "nanmean", "min": "nanmin", "max": "nanmax", "sum": "nansum"}


def _downsample(times, values: dict, step_ns: int, how: str):
    import numpy as np

    if how not in ("last", "first", "count", *_REDUCERS):
        raise ValueError(f"how={how!r}: use last, first, mean, min, max, sum or count")
    buckets = (times + IST_OFFSET_NS) // step_ns
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    bucket_times = buckets[starts] * step_ns - IST_OFFSET_NS
    out = {}
    for name, array in values.items():
        if how in ("last", "first"):
            out[name] = _pick_valid(array, starts, how)
        elif how == "count":
            out[name] = np.add.reduceat((~np.isnan(array)).astype(np.float64), starts)
        else:
            with np.errstate(all="ignore"):
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    reducer = getattr(np, _REDUCERS[how])
                    out[name] = np.array([reducer(part) for part in np.split(array, starts[1:])])
    return bucket_times, out


def _pick_valid(array, starts, how: str):
    """The last (first) non-missing value of each bucket."""
    import numpy as np

    index = np.arange(len(array))
    valid = ~np.isnan(array)
    if how == "last":
        marker = np.where(valid, index, -1)
        ends = np.r_[starts[1:], len(array)] - 1
        best = np.maximum.accumulate(marker)[ends]
        ok = best >= starts
    else:
        marker = np.where(valid, index, len(array))
        best = np.minimum.accumulate(marker[::-1])[::-1][starts]
        ends = np.r_[starts[1:], len(array)]
        ok = best < ends
    return np.where(ok, array[np.clip(best, 0, len(array) - 1)], np.nan)
