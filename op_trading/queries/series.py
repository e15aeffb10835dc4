"""Series for the charts: one session of chain metrics (intraday) and one row per day over N days (daily).

Intraday fields come from `chain_metrics` (one row per cycle, or per chain snapshot when full snapshots are on):
spot, total premium (the ATM straddle) and its weekday-and-time average, PCR by OI and volume over the chain, max
pain, ATM IV, IV change since the open, skew, IV percentile and rank. Daily fields come from `chain_metrics_daily`
(the day's closing values) and, for IV percentile/rank, from each session's last 10 minutes of `chain_metrics`.
Reads are bounded: one session, or N daily rows plus N small windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from op_trading.analytics import common
from op_trading.analytics.chain import MEASUREMENT as CHAIN_METRICS
from op_trading.analytics.chain_history import DAILY_FIELDS, DAILY_MEASUREMENT
from op_trading.analytics.common import finite
from op_trading.market import calendar
from op_trading.queries.base import Queries, QueryError
from op_trading.queries.overview import nearest_bucket

UNITS = {"spot": "points", "atm_strike": "strike", "pcr_oi": "ratio", "pcr_volume": "ratio", "max_pain": "strike",
         "atm_iv": "decimal vol", "iv_day_change": "decimal vol", "iv_skew": "decimal vol", "iv_percentile": "%",
         "iv_rank": "%", "total_premium": "₹ per unit", "premium_weekday_avg": "₹ per unit"}
INTRADAY_FIELDS = tuple(UNITS)
DAILY_SERIES_FIELDS = tuple(DAILY_FIELDS) + ("iv_percentile", "iv_rank")
MAX_DAYS = 400
BUCKETS = ("this_week", "next_week", "this_month", "next_month")


@dataclass(frozen=True)
class SeriesSet:
    index: str
    bucket: str | None
    source: str
    as_of: datetime | None
    start: datetime | None
    end: datetime | None
    times: list[datetime] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


def _fields(wanted: list[str] | None, allowed: tuple[str, ...]) -> list[str]:
    fields = list(wanted or allowed)
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise QueryError(f"unknown field(s) {', '.join(unknown)}; one of {', '.join(allowed)}")
    return fields


def _bucket(q: Queries, index, bucket: str | None, source: str) -> str | None:
    if bucket is not None:
        if bucket not in BUCKETS:
            raise QueryError(f"unknown bucket {bucket!r}; one of {', '.join(BUCKETS)}")
        return bucket
    row = q.latest_overview(index, source)
    return nearest_bucket(row) if row else None


def _series(rows: list[dict], fields: list[str]) -> tuple[list[datetime], dict[str, list[float | None]]]:
    rows = [row for row in rows if any(finite(row.get(name)) is not None for name in fields)]
    return [row["time"] for row in rows], {name: [finite(row.get(name)) for row in rows] for name in fields}


def intraday(q: Queries, index, bucket: str | None, fields: list[str] | None, day: date | None) -> SeriesSet:
    fields = _fields(fields, INTRADAY_FIELDS)
    source, newest = q.newest()
    bucket = _bucket(q, index, bucket, source)
    day = day or (newest.date() if newest else None)
    if day is None or bucket is None:
        return SeriesSet(index.key, bucket, source, None, None, None, units={name: UNITS[name] for name in fields})
    start = datetime.combine(day, time(0), calendar.IST)
    end = start + timedelta(days=1) - timedelta(microseconds=1)
    rows = q.rows(CHAIN_METRICS, start, end, {"index": index.key, "bucket": bucket, "source": source}, fields)
    times, values = _series(rows, fields)
    return SeriesSet(index.key, bucket, source, times[-1] if times else None, start, end, times, values,
                     {name: UNITS[name] for name in fields})


def daily(q: Queries, index, bucket: str | None, fields: list[str] | None, days: int) -> SeriesSet:
    if not 1 <= days <= MAX_DAYS:
        raise QueryError(f"days must be between 1 and {MAX_DAYS}")
    fields = _fields(fields, DAILY_SERIES_FIELDS)
    source, newest = q.newest()
    bucket = _bucket(q, index, bucket, source)
    if newest is None or bucket is None:
        return SeriesSet(index.key, bucket, source, None, None, None, units={name: UNITS[name] for name in fields})
    end = calendar.market_close_at(newest.date())
    start = end - timedelta(days=days)
    tags = {"index": index.key, "bucket": bucket, "source": source}
    stored = [name for name in fields if name in DAILY_FIELDS]
    rows = q.rows(DAILY_MEASUREMENT, start, end, tags, stored) if stored else []
    by_day = {row["time"].date(): row for row in rows}
    derived = [name for name in fields if name not in DAILY_FIELDS]
    if derived:
        sessions = calendar.trading_days(start.date(), end.date())
        closing = common.closing_rows(q.store, CHAIN_METRICS, sessions, tags=tags, fields=derived)
        for row in closing:  # the session's last value wins
            target = by_day.setdefault(row["time"].date(), {"time": calendar.market_close_at(row["time"].date())})
            target.update({name: row[name] for name in derived if name in row})
    ordered = [by_day[key] for key in sorted(by_day)]
    times, values = _series(ordered, fields)
    return SeriesSet(index.key, bucket, source, times[-1] if times else None, start, end, times, values,
                     {name: UNITS[name] for name in fields})
