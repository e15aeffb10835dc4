"""Estimated cash flows by timeframe (1m ... 1w): the last N buckets, per index, sector or overall.

The estimate itself (traded value by the tick rule) is `op_trading.analytics.cashflow`; this reads its stored flows
for the buckets asked and sums them with the same `aggregate`, so the terminal, the API and the dashboard agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from op_trading.analytics import cashflow as cf
from op_trading.analytics.common import CRORE
from op_trading.queries.base import Queries, QueryError

MAX_BUCKETS = 120


@dataclass(frozen=True)
class FlowRow:
    start: datetime
    group: str
    buying_crore: float
    selling_crore: float
    net_crore: float
    unclassified_crore: float
    pressure_pct: float | None  # net / (buying + selling), -100 .. +100


@dataclass(frozen=True)
class CashFlows:
    source: str
    as_of: datetime | None
    timeframe: str
    by: str
    timeframes: list[str]  # the toggles switched on (CASH_FLOW_TIMEFRAMES)
    panels: list[str]
    method: str = "estimate from traded value by the tick rule (see README: cash flows)"
    rows: list[FlowRow] = field(default_factory=list)


def cash_flows(q: Queries, timeframe: str, by: str = "index", buckets: int = 12,
               since: datetime | None = None) -> CashFlows:
    """The last `buckets` buckets up to the newest data; `since` reads less (a stream's poll asks only for the
    buckets that can have changed since it last looked), never more."""
    enabled = [tf for tf in cf.TIMEFRAMES if tf in set(q.settings["CASH_FLOW_TIMEFRAMES"])]
    if timeframe not in cf.TIMEFRAMES:
        raise QueryError(f"unknown timeframe {timeframe!r}; one of {', '.join(cf.TIMEFRAMES)}")
    if by not in cf.GROUPS:
        raise QueryError(f"unknown grouping {by!r}; one of {', '.join(cf.GROUPS)}")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise QueryError(f"buckets must be between 1 and {MAX_BUCKETS}")
    source, as_of = q.newest()
    result = CashFlows(source, as_of, timeframe, by, enabled, list(q.settings["CASH_FLOW_PANELS"]))
    if as_of is None:
        return result
    first = cf.bucket_start(as_of, timeframe)
    for _ in range(buckets - 1):
        first = cf.bucket_start(first - timedelta(microseconds=1), timeframe)
    if since is not None and since > first:
        first = cf.bucket_start(since, timeframe)
    sums = summed(q, timeframe, by, first, as_of, source)
    return CashFlows(source, as_of, timeframe, by, enabled, result.panels, result.method, [
        FlowRow(b.start, b.group, b.inflow / CRORE, b.outflow / CRORE, b.net / CRORE, b.unclassified / CRORE,
                b.pressure_pct) for b in sums])


def summed(q: Queries, timeframe: str, by: str, first: datetime, as_of: datetime, source: str) -> list:
    """Bucket sums from `first` to `as_of`: the tracker's rollup (`cash_flow_summary`, one row per bucket and group)
    where it has rows, raw flows only before its first row (older data, or a build without the rollup). A week of
    raw flows is hundreds of thousands of rows; the rollup is a few per bucket."""
    try:
        from op_trading.analytics.cashflow import SUMMARY_GROUPS, SUMMARY_MEASUREMENT
    except ImportError:  # a build whose tracker keeps no rollup
        return _raw(q, timeframe, by, first, as_of, source)
    if by not in SUMMARY_GROUPS:
        return _raw(q, timeframe, by, first, as_of, source)
    rows = q.rows(SUMMARY_MEASUREMENT, first, as_of + timedelta(microseconds=1), {"timeframe": timeframe, "by": by,
                                                                       "source": source})
    if not rows:
        return _raw(q, timeframe, by, first, as_of, source)
    rolled = [bucket for _, bucket in cf.buckets_from_summary(rows)]
    covered = min(bucket.start for bucket in rolled)
    older = _raw(q, timeframe, by, first, covered, source) if covered > first else []
    return sorted(older + rolled, key=lambda bucket: (bucket.start, bucket.group))


def _raw(q: Queries, timeframe: str, by: str, start: datetime, end: datetime, source: str) -> list:
    rows = q.rows(cf.MEASUREMENT, start, end, {"source": source}, ["inflow", "outflow", "unclassified"])
    return cf.aggregate(cf.flows_from_rows(rows), timeframe, by)
