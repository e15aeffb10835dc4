"""Across the indices: the advance/decline count of the five option indices, the volatility picture (ATM IV term
structure across the four expiry buckets, IV percentile and rank, skew, the VIX regime), and OI position changes.

"Breadth" here is what it is: how many of the five option indices are up or down against their previous close (not
an exchange-wide advance/decline of stocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from op_trading.analytics import breadth as br
from op_trading.analytics.chain import MEASUREMENT as CHAIN_METRICS
from op_trading.analytics.common import finite
from op_trading.market.indices import OPTION_INDICES, selected
from op_trading.queries.base import Queries, index_for, vix_index

BREADTH_NAME = "Index advance/decline (the 5 option indices vs their previous close)"
VOL_FIELDS = ["expiry", "atm_iv", "iv_day_change", "iv_skew", "iv_percentile", "iv_rank", "basis"]
BUCKETS = ("this_week", "next_week", "this_month", "next_month")


@dataclass(frozen=True)
class IndexMove:
    index: str
    last_price: float | None
    change: float | None
    change_pct: float | None
    direction: str  # "up" / "down" / "unchanged"


@dataclass(frozen=True)
class MarketBreadth:
    source: str
    as_of: datetime | None
    name: str
    advances: int
    declines: int
    unchanged: int
    ad_ratio: float | None
    label: str
    moves: list[IndexMove]
    vix: float | None
    vix_change_pct: float | None
    vix_percentile: float | None
    regime: str
    regime_basis: str


def _overviews(q: Queries, source: str) -> list[dict]:
    rows = []
    for index in selected(q.settings["INDICES"]) + (vix_index(),):
        row = q.latest_overview(index, source)
        if row is not None:
            rows.append(row)
    return rows


def _vix_history(q: Queries) -> br.VixHistory:
    history = getattr(q, "_vix_history", None)
    if history is None:  # one per Queries: it reads the year of VIX closes once a day, then answers from memory
        history = q._vix_history = br.VixHistory(q.store)
    return history


def market_breadth(q: Queries) -> MarketBreadth:
    source, as_of = q.newest()
    rows = _overviews(q, source)
    breadth = br.market_breadth(rows)
    regime = _vix_history(q).regime(rows) if rows else br.volatility_regime(None, [])
    moves = [IndexMove(m.index, m.last_price, m.change, m.change_pct,
                       {1: "up", -1: "down", 0: "unchanged"}[m.direction]) for m in breadth.moves]
    return MarketBreadth(source, as_of, BREADTH_NAME, breadth.advances, breadth.declines, breadth.unchanged,
                         breadth.ad_ratio, breadth.label, moves, regime.vix, regime.vix_change_pct,
                         regime.vix_percentile, regime.label, regime.basis)


@dataclass(frozen=True)
class BucketVolatility:
    bucket: str
    expiry: str | None
    as_of: datetime | None
    atm_iv: float | None  # decimal
    iv_day_change: float | None
    iv_skew: float | None  # put IV below ATM - call IV above, decimal
    iv_percentile: float | None
    iv_rank: float | None
    basis: str | None


@dataclass(frozen=True)
class IndexVolatility:
    index: str
    buckets: list[BucketVolatility]  # term structure, nearest expiry first


@dataclass(frozen=True)
class Volatility:
    source: str
    as_of: datetime | None
    regime: str
    regime_basis: str
    vix: float | None
    vix_percentile: float | None
    indices: list[IndexVolatility] = field(default_factory=list)


def _bucket_volatility(q: Queries, index_key: str, bucket: str, source: str, as_of: datetime) -> BucketVolatility:
    lookback = timedelta(seconds=max(2 * q.settings["CHAIN_SNAPSHOT_SECONDS"], 900))
    rows = q.rows(CHAIN_METRICS, as_of - lookback, as_of, {"index": index_key, "bucket": bucket, "source": source},
                  VOL_FIELDS)
    row: dict[str, Any] = rows[-1] if rows else {}
    return BucketVolatility(bucket, row.get("expiry"), row.get("time"), finite(row.get("atm_iv")),
                            finite(row.get("iv_day_change")), finite(row.get("iv_skew")),
                            finite(row.get("iv_percentile")), finite(row.get("iv_rank")), row.get("basis"))


def volatility(q: Queries, index: str | None) -> Volatility:
    source, as_of = q.newest()
    indices = (index_for(index),) if index else selected(q.settings["INDICES"])
    rows = _overviews(q, source)
    regime = _vix_history(q).regime(rows) if rows else br.volatility_regime(None, [])
    if as_of is None:
        return Volatility(source, None, regime.label, regime.basis, regime.vix, regime.vix_percentile)
    result = []
    for item in indices:
        buckets = [_bucket_volatility(q, item.key, bucket, source, as_of) for bucket in BUCKETS]
        result.append(IndexVolatility(item.key, [bucket for bucket in buckets if bucket.as_of is not None]))
    return Volatility(source, as_of, regime.label, regime.basis, regime.vix, regime.vix_percentile, result)


@dataclass(frozen=True)
class PositionChangeRow:
    instrument: str
    index: str
    expiry: str
    side: str
    oi_start: float | None
    oi_end: float | None
    oi_change: float | None
    oi_change_pct: float | None
    price_change_pct: float | None
    buildup: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class NetPositionRow:
    index: str
    expiry: str
    call_oi: float
    put_oi: float
    call_oi_change: float
    put_oi_change: float
    net_change: float  # put OI change - call OI change


@dataclass(frozen=True)
class UnusualRow:
    kind: str
    instrument: str
    index: str
    time: datetime
    value: float
    baseline: float | None
    ratio: float


@dataclass(frozen=True)
class PositionsMonitor:
    source: str
    as_of: datetime | None
    interval: str
    enabled: bool
    changes: list[PositionChangeRow] = field(default_factory=list)
    net: list[NetPositionRow] = field(default_factory=list)
    unusual: list[UnusualRow] = field(default_factory=list)
    pattern: dict[str, dict[str, int]] = field(default_factory=dict)


def positions(q: Queries) -> PositionsMonitor:
    from op_trading.analytics.positions import PositionMonitor

    source, as_of = q.newest()
    monitor = PositionMonitor.from_settings(q.settings, q.store)
    if as_of is None or not monitor.enabled:
        return PositionsMonitor(source, as_of, monitor.interval, monitor.enabled)
    now = as_of + timedelta(microseconds=1)
    monitor.observe([], now)  # reads the monitoring window of stored legs (bounded: a few intervals)
    recent = [row for row in monitor.recent() if row.get("source") in (None, source)]
    report = monitor.report(recent, as_of, monitor.closing_history(as_of))
    changes = sorted(report["changes"], key=lambda c: -abs(c.oi_change_pct or 0.0))
    return PositionsMonitor(
        source, as_of, monitor.interval, True,
        [PositionChangeRow(c.instrument, c.index, c.expiry, c.side, c.oi_start, c.oi_end, c.oi_change,
                           c.oi_change_pct, c.price_change_pct, c.buildup.value, c.start, c.end) for c in changes],
        [NetPositionRow(n.index, n.expiry, n.call_oi, n.put_oi, n.call_oi_change, n.put_oi_change, n.net_change)
         for n in report["net"]],
        [UnusualRow(u.kind, u.instrument, u.index, u.time, u.value, u.baseline, u.ratio) for u in report["unusual"]],
        {index: {str(getattr(kind, "value", kind)): count for kind, count in counter.items()}
         for index, counter in report["pattern"].items()})


OPTION_INDEX_KEYS = tuple(index.key for index in OPTION_INDICES)
