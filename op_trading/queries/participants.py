"""Participant positions (FII, DII, Pro, Client; index futures and options, net contracts) and FII/DII cash by day,
from the stored NSE files (`participant_positions`, `fii_dii_cash`), over the last N days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from op_trading.analytics import participants as pa
from op_trading.market import calendar
from op_trading.queries.base import Queries, QueryError

MAX_DAYS = 400


@dataclass(frozen=True)
class ParticipantDay:
    day: date
    category: str
    fut_net: int
    call_net: int
    put_net: int
    fut_long_pct: float | None
    fut_net_change: int | None
    call_net_change: int | None
    put_net_change: int | None
    sentiment: str


@dataclass(frozen=True)
class CashDay:
    day: date
    category: str  # FII / DII
    buy_crore: float
    sell_crore: float
    net_crore: float


@dataclass(frozen=True)
class Participants:
    source: str
    as_of: datetime | None
    days: int
    categories: list[str]
    positions: list[ParticipantDay] = field(default_factory=list)
    cash: list[CashDay] = field(default_factory=list)


def participants(q: Queries, days: int) -> Participants:
    if not 1 <= days <= MAX_DAYS:
        raise QueryError(f"days must be between 1 and {MAX_DAYS}")
    categories = list(pa.enabled_categories(q.settings))
    source, newest = q.newest()
    end = calendar.market_close_at((newest or q.clock()).date())
    start = end - timedelta(days=days + 7)  # one earlier file for the first day's change
    reports = [r for r in pa.reports_from_rows(q.rows(pa.MEASUREMENT, start, end, {"kind": "oi"}), "oi")
               if r.source == source]
    positions: list[ParticipantDay] = []
    first_day = end.date() - timedelta(days=days)
    for before, report in zip([None] + reports[:-1], reports):
        if report.day <= first_day:
            continue
        for p in pa.participant_positions(report, before, categories):
            positions.append(ParticipantDay(p.day, p.category, p.fut_net, p.call_net, p.put_net, p.fut_long_pct,
                                            p.fut_net_change, p.call_net_change, p.put_net_change, p.sentiment))
    cash = [CashDay(row.day, row.category, row.buy, row.sell, row.net)
            for report in pa.cash_from_rows(q.rows(pa.CASH_MEASUREMENT, start, end, {"source": source}))
            if report.day > first_day for row in sorted(report.rows.values(), key=lambda r: r.category)]
    as_of = max([calendar.market_close_at(p.day) for p in positions] + [calendar.market_close_at(c.day) for c in cash],
                default=None)
    return Participants(source, as_of, days, categories, positions, cash)
