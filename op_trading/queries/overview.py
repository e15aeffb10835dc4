"""The overview of the five option indices: spot and change, the nearest expiry's straddle against its
weekday-and-time average, whole-chain PCR and max pain, ATM IV with its change and percentile, alerts today.

Labels say which PCR is which: `pcr_oi_chain` is put OI / call OI over the whole snapshot window (CHAIN_STRIKE_WINDOW
strikes each side of the ATM), `pcr_oi_atm_legs` the same ratio over the cycle's ATM ± STRIKE_OFFSETS legs only.
Chain metrics carry their own time (`chain_as_of`, the snapshot's) and basis ("chain" or "legs").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from op_trading.analytics.chain import MEASUREMENT as CHAIN_METRICS
from op_trading.analytics.common import finite
from op_trading.market.indices import selected
from op_trading.queries.base import NO_DATA, Queries, vix_index

BUCKETS = ("this_week", "next_week", "this_month", "next_month")
METRIC_FIELDS = ["spot", "atm_strike", "pcr_oi", "pcr_volume", "max_pain", "atm_iv", "iv_day_change", "iv_skew",
                 "iv_percentile", "iv_rank", "total_premium", "premium_weekday_avg", "basis"]


@dataclass(frozen=True)
class IndexState:
    index: str
    label: str
    source: str
    as_of: datetime | None
    spot: float | None = None
    change: float | None = None  # against the previous close
    change_pct: float | None = None
    day_low: float | None = None
    day_high: float | None = None
    atm_strike: float | None = None
    bucket: str | None = None  # the nearest expiry bucket
    expiry: str | None = None
    straddle: float | None = None  # ATM call + put premium
    straddle_weekday_avg: float | None = None  # same weekday, same time of day, earlier weeks
    straddle_vs_avg_pct: float | None = None
    pcr_oi_chain: float | None = None
    pcr_volume_chain: float | None = None
    pcr_oi_atm_legs: float | None = None
    max_pain: float | None = None
    atm_iv: float | None = None  # decimal (0.15 = 15 vol points)
    iv_day_change: float | None = None
    iv_percentile: float | None = None
    iv_rank: float | None = None
    iv_skew: float | None = None
    chain_basis: str | None = None  # "chain" (full snapshot) or "legs" (ATM ± offsets)
    chain_as_of: datetime | None = None


@dataclass(frozen=True)
class Overview:
    source: str
    as_of: datetime | None
    market_open: bool
    market_note: str
    indices: list[IndexState] = field(default_factory=list)
    vix: float | None = None
    vix_change_pct: float | None = None
    alerts_today: int = 0


def nearest_bucket(row: dict[str, Any]) -> str | None:
    return next((bucket for bucket in BUCKETS if f"{bucket}_atm_iv" in row or f"pcr_{bucket}" in row
                 or f"{bucket.upper()}_TP" in row), None)


def latest_metrics(q: Queries, index_key: str, bucket: str, source: str, as_of: datetime) -> dict | None:
    """The newest chain_metrics row of an index and bucket within the last snapshot interval (bounded read)."""
    lookback = timedelta(seconds=max(2 * q.settings["CHAIN_SNAPSHOT_SECONDS"], 900))
    rows = q.rows(CHAIN_METRICS, as_of - lookback, as_of, {"index": index_key, "bucket": bucket, "source": source},
                  METRIC_FIELDS)
    return rows[-1] if rows else None


def index_state(q: Queries, index, source: str) -> IndexState:
    row = q.latest_overview(index, source)
    if row is None:
        return IndexState(index.key, index.label, source, None)
    bucket = nearest_bucket(row)
    metrics = latest_metrics(q, index.key, bucket, source, row["time"]) if bucket else None
    metrics = metrics or {}
    straddle = finite(metrics.get("total_premium")) if metrics else finite(row.get(f"{(bucket or '').upper()}_TP"))
    average = finite(metrics.get("premium_weekday_avg"))
    return IndexState(
        index.key, index.label, source, row["time"], finite(row.get("last_price")), finite(row.get("net_change")),
        finite(row.get("net_change_percent")), finite(row.get("low")), finite(row.get("high")),
        finite(row.get("atm_strike")), bucket, None, straddle, average,
        None if straddle is None or not average else 100.0 * (straddle - average) / average,
        finite(metrics.get("pcr_oi")), finite(metrics.get("pcr_volume")), finite(row.get(f"pcr_{bucket}")),
        finite(metrics.get("max_pain")),
        finite(metrics.get("atm_iv")) if metrics else finite(row.get(f"{bucket}_atm_iv")),
        finite(metrics.get("iv_day_change")) if metrics else finite(row.get(f"{bucket}_iv_day_change")),
        finite(metrics.get("iv_percentile")), finite(metrics.get("iv_rank")), finite(metrics.get("iv_skew")),
        metrics.get("basis"), metrics.get("time"))


def overview(q: Queries) -> Overview:
    source, as_of = q.newest()
    market_open, note = q.market_state(source, as_of)
    if as_of is None:
        return Overview(source if source else NO_DATA, None, market_open, note + "; nothing collected yet")
    states = [index_state(q, index, source) for index in selected(q.settings["INDICES"])]
    vix = q.latest_overview(vix_index(), source)
    alerts_today = len(q.rows("alerts", datetime.combine(as_of.date(), datetime.min.time(), as_of.tzinfo), as_of,
                              {"source": source}, ["message"]))
    return Overview(source, as_of, market_open, note, states, finite((vix or {}).get("last_price")),
                    finite((vix or {}).get("net_change_percent")), alerts_today)


def session_day(overview_result: Overview) -> date | None:
    return overview_result.as_of.date() if overview_result.as_of else None
