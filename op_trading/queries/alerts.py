"""Alerts raised (measurement `alerts`, newest first) and the pre-market summary of the previous session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from op_trading.analytics.alerts import MEASUREMENT
from op_trading.analytics.common import finite
from op_trading.queries.base import Queries, QueryError

MAX_LIMIT = 500
MAX_HOURS = 24 * 14


@dataclass(frozen=True)
class AlertItem:
    time: datetime
    type: str
    subject: str
    severity: str
    message: str
    source: str


@dataclass(frozen=True)
class Alerts:
    source: str
    as_of: datetime | None
    items: list[AlertItem] = field(default_factory=list)


def alerts(q: Queries, limit: int, hours: int, after: datetime | None = None) -> Alerts:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 1 <= hours <= MAX_HOURS:
        raise QueryError(f"hours must be between 1 and {MAX_HOURS}")
    source, newest = q.newest()
    end = max(newest or q.clock(), q.clock()) + timedelta(days=1)  # end-of-day alerts are stamped 15:30
    start = (newest or q.clock()) - timedelta(hours=hours)
    if after is not None:
        start = max(start, after + timedelta(microseconds=1))
    rows = q.rows(MEASUREMENT, start, end, {"source": source}, ["message"])
    items = [AlertItem(row["time"], str(row.get("type", "")), str(row.get("subject", "")),
                       str(row.get("severity", "")), str(row.get("message", "")), str(row.get("source", "")))
             for row in reversed(rows)][:limit]
    return Alerts(source, items[0].time if items else newest, items)


@dataclass(frozen=True)
class GapRow:
    index: str
    previous_close: float
    open: float
    gap: float
    gap_pct: float


@dataclass(frozen=True)
class Premarket:
    source: str
    as_of: datetime | None
    day: date
    previous_session: date
    chain: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    cash: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[GapRow] = field(default_factory=list)
    gaps_final: bool = False


def premarket(q: Queries) -> Premarket:
    from op_trading.analytics import participants as pa
    from op_trading.analytics.premarket import CHAIN_FIELDS, previous_session_summary

    source, newest = q.newest()
    now = newest or q.clock()
    summary = previous_session_summary(q.store, now, pa.enabled_categories(q.settings))
    chain = [{"index": row.get("index"), "bucket": row.get("bucket"), **{name: finite(row.get(name))
                                                                         for name in CHAIN_FIELDS}}
             for row in summary.chain if row.get("source") in (None, source)]
    positions = [{"category": p.category, "fut_net": p.fut_net, "call_net": p.call_net, "put_net": p.put_net,
                  "fut_long_pct": p.fut_long_pct} for p in summary.positions if p.source == source]
    cash = [{"category": row.category, "net_crore": row.net} for row in
            (summary.cash.rows.values() if summary.cash and summary.cash.source == source else ())]
    gaps = [GapRow(g.index, g.previous_close, g.open, g.points, g.pct) for g in summary.gaps if g.source == source]
    return Premarket(source, summary.captured_at, summary.day, summary.previous_session, chain, positions, cash, gaps,
                     summary.gaps_final)


def check_positive(name: str, value: int, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise QueryError(f"{name} must be between 1 and {maximum}")
    return value
