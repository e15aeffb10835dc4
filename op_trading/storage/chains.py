"""Option chain snapshots kept in the store: the latest chain and the chain at or before any past moment.

Each snapshot (collectors.chain_snapshot.ChainSnapshot, every CHAIN_SNAPSHOT_SECONDS: every listed strike within
CHAIN_STRIKE_WINDOW, every expiry) becomes one `option_chain` point per strike and side (LTP, bid/ask, previous
close, IV, volume, OI, day-open OI) and one `option_chain_snapshot` point per index and expiry (spot, ATM, buckets):
see schema.py. In the embedded store a strike's day of snapshots is one compressed chunk, so a year of chains stays
small, and reading one snapshot decodes only that day's chunks of that expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from op_trading.storage.point import Point
from op_trading.storage.schema import OPTION_TYPE

CHAIN, SNAPSHOT = "option_chain", "option_chain_snapshot"
_FIELDS = {"last_price": "last_price", "bid": "bid", "ask": "ask", "ohlc.close": "close", "iv": "iv"}
_INT_FIELDS = {"volume": "volume", "oi": "oi", "oi_open": "oi_open"}


@dataclass(frozen=True)
class ChainOption:
    strike: float
    side: str  # CE / PE
    last_price: float | None
    bid: float | None
    ask: float | None
    close: float | None  # previous session's close
    volume: int | None
    oi: int | None
    oi_open: int | None
    iv: float | None


@dataclass(frozen=True)
class StoredSnapshot:
    index: str
    expiry: date
    buckets: tuple[str, ...]
    time: datetime
    source: str
    spot: float | None
    atm_strike: float | None
    label: str
    options: tuple[ChainOption, ...]


def strike_text(strike: float) -> str:
    """24000.0 -> "24000", 24012.5 -> "24012.5" (the tag value)."""
    return str(int(strike)) if float(strike).is_integer() else repr(float(strike))


def snapshot_points(snapshot: Any) -> list[Point]:
    """The points of one ChainSnapshot (time: the cycle's timestamp)."""
    moment = datetime.fromisoformat(snapshot.timestamp) if isinstance(snapshot.timestamp, str) else snapshot.timestamp
    points = []
    for part in snapshot.expiries:
        expiry = part.expiry.isoformat()
        source = str(snapshot.source)
        options = 0
        for option in part.options:
            side = OPTION_TYPE.get(str(option.get("side")), str(option.get("side")))
            if option.get("strike") is None or side not in ("CE", "PE"):
                continue
            fields = {name: float(option[key]) for key, name in _FIELDS.items() if _number(option.get(key))}
            fields.update({name: int(option[key]) for key, name in _INT_FIELDS.items() if _number(option.get(key))})
            if not fields:
                continue
            options += 1
            tags = {"index": str(part.index), "expiration": expiry, "strike": strike_text(float(option["strike"])),
                    "option_type": side, "source": source}
            points.append(Point(CHAIN, tags, fields, moment))
        summary = {"spot": float(part.spot), "atm_strike": float(part.atm_strike), "options": options,
                   "buckets": ",".join(part.buckets), "label": str(getattr(part, "label", part.index))}
        points.append(Point(SNAPSHOT, {"index": str(part.index), "expiration": expiry, "source": source},
                            summary, moment))
    return points


def _number(value: Any) -> bool:
    return value is not None and not isinstance(value, bool) and value == value


class ChainStore:
    """Writes and reads chain snapshots through an EmbeddedStore (query/latest_before/series_tags)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def write_snapshot(self, snapshot: Any):
        return self.store.write(snapshot_points(snapshot))

    def latest(self, index: str, expiry: date | None = None) -> StoredSnapshot | None:
        return self.chain(index, expiry, at=None)

    def chain(self, index: str, expiry: date | None, at: datetime | None = None,
              fields: list[str] | None = None) -> StoredSnapshot | None:
        """The snapshot of `index` and `expiry` (the nearest expiry of the newest snapshot when None) taken at or
        before `at` (the newest when None). `fields` (e.g. ["oi"]) reads only those of each option (the others are
        None): a day's chunk then decodes two columns, not nine."""
        tags = {"index": index}
        if expiry is not None:
            tags["expiration"] = expiry.isoformat()
        summary = self._summary(tags, at)
        if summary is None:
            return None
        return self._load(summary, fields)

    def expiries(self, index: str) -> list[date]:
        """The expiries of the index's newest snapshot, nearest first."""
        newest = self.store.latest(SNAPSHOT, {"index": index})
        if newest is None:
            return []
        rows = self.store.query(SNAPSHOT, start=newest["time"], end=newest["time"] + timedelta(microseconds=1),
                                tags={"index": index}, fields=["spot"])
        return sorted({date.fromisoformat(row["expiration"]) for row in rows})

    def times(self, index: str, expiry: date, start: datetime | None = None, end: datetime | None = None
              ) -> list[datetime]:
        """When snapshots of this expiry were taken (for charts over a day)."""
        rows = self.store.query(SNAPSHOT, start=start, end=end,
                                tags={"index": index, "expiration": expiry.isoformat()}, fields=["spot"])
        return sorted({row["time"] for row in rows})

    def _summary(self, tags: dict, at: datetime | None) -> dict | None:
        newest = self.store.latest_before(SNAPSHOT, tags, at)
        if newest is None or "expiration" in tags:
            return newest
        # no expiry asked for: the nearest expiry among those snapshotted at the newest time
        rows = self.store.query(SNAPSHOT, start=newest["time"], end=newest["time"] + timedelta(microseconds=1),
                                tags=tags)
        return min(rows, key=lambda row: row["expiration"]) if rows else newest

    def _load(self, summary: dict, fields: list[str] | None = None) -> StoredSnapshot:
        moment = summary["time"]
        rows = self.store.query(CHAIN, start=moment, end=moment + timedelta(microseconds=1),
                                tags={"index": summary["index"], "expiration": summary["expiration"],
                                      "source": summary.get("source", "")} if summary.get("source")
                                else {"index": summary["index"], "expiration": summary["expiration"]},
                                fields=fields)
        options = sorted((_option(row) for row in rows), key=lambda option: (option.strike, option.side))
        buckets = tuple(part for part in str(summary.get("buckets", "")).split(",") if part)
        return StoredSnapshot(summary["index"], date.fromisoformat(summary["expiration"]), buckets, moment,
                              summary.get("source", ""), summary.get("spot"), summary.get("atm_strike"),
                              summary.get("label", ""), tuple(options))


def _option(row: dict) -> ChainOption:
    return ChainOption(float(row["strike"]), row["option_type"], row.get("last_price"), row.get("bid"),
                       row.get("ask"), row.get("close"), row.get("volume"), row.get("oi"), row.get("oi_open"),
                       row.get("iv"))


def write_snapshot_to(sinks: Iterable[Any], snapshot: Any) -> list[str]:
    """Write a snapshot's points to every sink; the problems as one line each (a snapshot never fails a cycle)."""
    points = snapshot_points(snapshot)
    problems = []
    for sink in sinks:
        result = sink.write(points)
        if result.failed:
            problems.append(f"chain snapshot: {result.summary()}")
    return problems
