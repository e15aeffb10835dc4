"""File sinks in the original market_app layouts (upstream §D.5): daily split CSVs and JSON snapshots.

CSV: `csv_data/{INDEX}/{bucket}/{offset}/{YYYY-MM-DD}.csv`, one row per (timestamp, index, bucket, offset) with the
CALL and PUT side by side. Offset folders `atm_p1m1`/`atm_p2m2` pair +k CALL with -k PUT (generalised to any k, since
offsets are no longer clamped at ±2). The date is the IST date of the record, not the machine's local date.
Append-safe: whole rows per write call, the header once, a torn last line (crash mid-write) cut back on the next
open, and a row whose timestamp is already in the file is not written again, so replays never duplicate.

JSON: `raw_snapshots/overview/{SYMBOL}_{stamp}.json` and
`raw_snapshots/options/{bucket}/{IDX}_{CALL|PUT}_{bucket}_{expiry}_{stamp}.json`, written atomically. The stamp is
the record's own (floored) IST time rather than the wall clock, so a replay rewrites the same file; an option file
holds all offsets of that side as a list (the original wrote one leg per file and offsets overwrote each other).
As in the original, every key is written and an unknown value is `null` (points leave missing values out): the
overview's base keys always, and each bucket's eight keys for the buckets the index has.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections import OrderedDict, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from op_trading.errortext import error_line
from op_trading.fileio import atomic_write_json
from op_trading.storage.base import WriteResult
from op_trading.storage.point import IST, Point
from op_trading.storage.schema import (AGGREGATE_SUFFIXES, LEG_MEASUREMENT, LEG_STRIKE_FIELD, OVERVIEW_FLOAT_FIELDS,
                                       OVERVIEW_INT_FIELDS, OVERVIEW_MEASUREMENT, leg_record)

log = logging.getLogger(__name__)

CSV_SPLIT_HEADER = ("timestamp", "index", "expiry_code", "strike_offset", "call_strike", "put_strike",
                    "call_last_price", "put_last_price", "call_iv", "put_iv", "call_volume", "put_volume",
                    "call_oi", "put_oi", "tp_sum", "group")
_REMEMBERED_FILES = 1024  # files whose newest timestamp is kept in memory (a trading day touches ~140)


class CsvSplitSink:
    name = "csv"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        # per file only the newest timestamp written: newer rows append without a look at the file, older ones
        # (a replay, a late row) are checked against the file itself, so memory stays flat over long runs
        self._newest: OrderedDict[Path, str] = OrderedDict()

    @classmethod
    def from_settings(cls, settings) -> "CsvSplitSink":
        return cls(settings.path("DATA_DIR") / "csv_data")

    def write(self, points: Sequence[Point]) -> WriteResult:
        legs = [point for point in points if point.measurement == LEG_MEASUREMENT]
        failed_legs: set[int] = set()
        reasons: list[str] = []
        with self._lock:
            for relative, rows in split_rows(legs).items():
                try:
                    self._append(self.root / relative, rows)
                except OSError as error:
                    reasons.append(f"{relative}: {error_line(error)}")
                    failed_legs.update(leg for row in rows for leg in row.legs)
        if reasons:
            log.error("CSV split write failed: %s", "; ".join(reasons[:3]))
        return WriteResult(self.name, written=len(legs) - len(failed_legs), failed=len(failed_legs),
                           skipped=len(points) - len(legs), reason="; ".join(reasons[:3]))

    def flush(self) -> WriteResult:
        return WriteResult(self.name)  # every write closes its files

    def close(self) -> None:
        self._newest.clear()

    def newest_time(self) -> datetime | None:
        """The newest row timestamp in any file (the files carry no source: mock and live alike), None if none.

        Reads one file per offset folder, the one of the latest date, so the cost does not grow with history."""
        newest = ""
        with self._lock:
            for folder in {path.parent for path in self.root.glob("*/*/*/*.csv")}:
                latest = max(folder.glob("*.csv"), key=lambda path: path.name)
                newest = max(newest, max(_read_timestamps(latest), default=""))
        return datetime.fromisoformat(newest) if newest else None

    def _append(self, path: Path, rows: list["SplitRow"]) -> None:
        # timestamps are IST ISO strings of one format, so string order is time order
        newest = self._newest_in(path)
        fresh = [row for row in rows if row.cells[0] > newest]
        older = [row for row in rows if row.cells[0] <= newest]
        if older:
            present = _read_timestamps(path)
            fresh += [row for row in older if row.cells[0] not in present]
        if not fresh:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if _is_empty(path):
            writer.writerow(CSV_SPLIT_HEADER)
        writer.writerows(row.cells for row in fresh)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())  # one write call: whole rows only
        self._newest[path] = max(newest, *(row.cells[0] for row in fresh))

    def _newest_in(self, path: Path) -> str:
        newest = self._newest.get(path)
        if newest is not None:
            self._newest.move_to_end(path)
            return newest
        newest = self._newest[path] = max(_read_timestamps(path), default="")  # first touch: repairs a torn tail
        if len(self._newest) > _REMEMBERED_FILES:
            self._newest.popitem(last=False)
        return newest


class SplitRow:
    __slots__ = ("cells", "legs")

    def __init__(self, cells: list[Any], legs: tuple[int, ...]) -> None:
        self.cells, self.legs = cells, legs


def split_rows(legs: Sequence[Point]) -> dict[Path, list[SplitRow]]:
    """Rows per relative file path, CALL and PUT merged per (timestamp, index, bucket, offset)."""
    groups: dict[tuple, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for number, point in enumerate(legs):
        tags = point.tags
        key = (point.time, tags.get("index", ""), tags.get("bucket", ""))
        groups[key][tags.get("strike_offset", "")][tags.get("option_type", "")] = number
    files: dict[Path, list[SplitRow]] = defaultdict(list)
    for (moment, index, bucket), offsets in groups.items():
        stamp = moment.astimezone(IST)
        for label, call, put, group in _pairs(offsets, bucket):
            path = Path(index) / bucket / label / f"{stamp.date().isoformat()}.csv"
            cells = _cells((stamp.isoformat(), index, bucket, label), legs, call, put, group)
            files[path].append(SplitRow(cells, tuple(n for n in (call, put) if n is not None)))
    return files


def _pairs(offsets: dict[str, dict[str, int]], bucket: str):
    """(folder label, call leg, put leg, group): each offset with its own CALL and PUT (group = bucket), then
    +k CALL with -k PUT in `atm_p{k}m{k}` (group = that label)."""
    for label, sides in offsets.items():
        if sides.get("CE") is not None or sides.get("PE") is not None:
            yield label, sides.get("CE"), sides.get("PE"), bucket
    for label, sides in offsets.items():
        steps = label[5:]
        if label.startswith("atm_p") and steps.isdigit():
            mirror = offsets.get(f"atm_m{steps}", {})
            if sides.get("CE") is not None and mirror.get("PE") is not None:
                pair = f"atm_p{steps}m{steps}"
                yield pair, sides["CE"], mirror["PE"], pair


def _cells(key: tuple[str, str, str, str], legs: Sequence[Point], call: int | None, put: int | None,
           group: str) -> list[Any]:
    call_fields = legs[call].fields if call is not None else {}
    put_fields = legs[put].fields if put is not None else {}

    def pair(name: str) -> list[Any]:
        return [_text(call_fields.get(name)), _text(put_fields.get(name))]

    tp_sum = float(call_fields.get("last_price") or 0) + float(put_fields.get("last_price") or 0)
    return [*key, *pair(LEG_STRIKE_FIELD), *pair("last_price"), *pair("iv"),
            *pair("volume"), *pair("oi"), _text(tp_sum), group]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


def _read_timestamps(path: Path) -> set[str]:
    """Timestamps already in a file, after cutting off a torn last line left by an interrupted write."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return set()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        log.warning("%s ended in a partial line; cut back to the last whole row", path)
        with open(path, "r+b") as handle:
            handle.truncate(keep)
        data = data[:keep]
    lines = data.decode("utf-8").splitlines()[1:]  # skip the header
    return {line.split(",", 1)[0] for line in lines if line}


class JsonSnapshotSink:
    name = "json"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @classmethod
    def from_settings(cls, settings) -> "JsonSnapshotSink":
        return cls(settings.path("DATA_DIR") / "raw_snapshots")

    def write(self, points: Sequence[Point]) -> WriteResult:
        files: dict[Path, Any] = {}
        taken = 0
        for point in points:
            if point.measurement == OVERVIEW_MEASUREMENT:
                files[self._overview_path(point)] = _overview_record(point)
            elif point.measurement == LEG_MEASUREMENT:
                files.setdefault(self._leg_path(point), []).append(leg_record(point))
            else:
                continue
            taken += 1
        try:
            for path, content in files.items():
                atomic_write_json(path, content)
        except OSError as error:
            log.error("JSON snapshot write failed: %s", error_line(error))
            return WriteResult(self.name, failed=taken, skipped=len(points) - taken, reason=error_line(error))
        return WriteResult(self.name, written=taken, skipped=len(points) - taken)

    def flush(self) -> WriteResult:
        return WriteResult(self.name)

    def close(self) -> None:
        return None

    def _overview_path(self, point: Point) -> Path:
        symbol = point.tags.get("index", "UNKNOWN").replace(" ", "_")
        return self.root / "overview" / f"{symbol}_{_stamp(point)}.json"

    def _leg_path(self, point: Point) -> Path:
        tags = point.tags
        side = {"CE": "CALL", "PE": "PUT"}.get(tags.get("option_type", ""), tags.get("option_type", ""))
        bucket = tags.get("bucket", "")
        name = f"{tags.get('index', '')}_{side}_{bucket}_{tags.get('expiration', '')}_{_stamp(point)}.json"
        return self.root / "options" / bucket / name


def _stamp(point: Point) -> str:
    return point.time.astimezone(IST).strftime("%Y%m%d_%H%M%S")


def _overview_record(point: Point) -> dict[str, Any]:
    """The overview in the original key order, unknown values as null; buckets the index lacks stay absent."""
    fields = point.fields
    record: dict[str, Any] = {"timestamp": point.time.astimezone(IST).isoformat(), "symbol": point.tags.get("index")}
    for key in OVERVIEW_INT_FIELDS + OVERVIEW_FLOAT_FIELDS:
        record[key] = fields.get(key)
    for bucket in dict.fromkeys(filter(None, map(_bucket_of, fields))):
        for key in _bucket_keys(bucket):
            record[key] = fields.get(key)
    for key, value in fields.items():  # anything newer than the original layout
        record.setdefault(key, value)
    record["source"] = point.tags.get("source")
    return record


_UPPER_SUFFIXES = AGGREGATE_SUFFIXES[:3]  # _TP, _OI_CALL, _OI_PUT follow the upper-case bucket name


def _bucket_keys(bucket: str) -> list[str]:
    """A bucket's overview keys in the original order: THIS_WEEK_TP, _OI_CALL, _OI_PUT, pcr_this_week, ..."""
    upper = [f"{bucket.upper()}{suffix}" for suffix in _UPPER_SUFFIXES]
    lower = [f"{bucket}{suffix}" for suffix in AGGREGATE_SUFFIXES[3:]]
    return upper + [f"pcr_{bucket}"] + lower + [f"{bucket}_days_to_expiry"]


def _bucket_of(key: str) -> str | None:
    if key.startswith("pcr_"):
        return key[4:]
    for suffix in AGGREGATE_SUFFIXES + ("_days_to_expiry",):
        if key.endswith(suffix) and key != suffix:
            return key[: -len(suffix)].lower()
    return None
