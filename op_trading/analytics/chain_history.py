"""Chain metrics over time: the analyzer that reads the history a cycle needs from the store and writes its results.

Each `analyze` writes two points per chain: the cycle's `chain_metrics` row, and the day's `chain_metrics_daily` row
stamped 15:30 IST of that day and rewritten every cycle (stores overwrite the same series and time), so once the
session ends it holds the closing values. History is always of the same index, expiry bucket and data source (mock
history never colours live percentiles). What each metric reads, kept small so a year of 30-second cycles is never
scanned in a cycle:
- IV percentile and rank: `chain_metrics_daily` ATM IVs of the last `iv_history_days` days before today (one query
  per chain per day, then cached);
- day-open ATM IV: the first ATM IV computed today (kept in memory and in today's `chain_metrics_daily` row as
  `iv_open`; after a restart read back from that one row, or from today's raw rows when the row predates the field);
- weekday premium average: the mean of the same-weekday 5-minute slot means of the `chain_premium_5m` rollup
  (op_trading/analytics/rollups.py), read once per chain and day; the running slot is kept in memory.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from dataclasses import replace

from op_trading.analytics import common
from op_trading.analytics.rollups import PremiumSlots
from op_trading.analytics.chain import (MEASUREMENT, ChainMetrics, StrikeChange, chain_points, compute_chain_metrics,
                                        daily_closes, strike_changes)
from op_trading.market.calendar import market_close_at
from op_trading.market.calendar import IST

DAILY_MEASUREMENT = "chain_metrics_daily"
DAILY_FIELDS = ("spot", "atm_strike", "pcr_oi", "pcr_volume", "max_pain", "atm_iv", "iv_skew", "total_premium")


def daily_point(metrics: ChainMetrics):
    tags = {"index": metrics.index, "bucket": metrics.bucket or metrics.expiry, "expiry": metrics.expiry,
            "source": metrics.source}
    fields = {name: getattr(metrics, name) for name in DAILY_FIELDS + ("iv_open",)}
    return common.make_point(DAILY_MEASUREMENT, tags, fields, market_close_at(metrics.as_of.date()))


class ChainAnalyzer:
    def __init__(self, price_threshold_pct: float, oi_threshold_pct: float, *, enabled: bool = True, store=None,
                 iv_history_days: int = 365, premium_weeks: int = 8, premium_tolerance_minutes: float = 5):
        self.price_threshold_pct, self.oi_threshold_pct = price_threshold_pct, oi_threshold_pct
        self.enabled, self.store = enabled, store
        self.iv_history_days, self.premium_weeks = iv_history_days, premium_weeks
        self.premium_tolerance = timedelta(minutes=premium_tolerance_minutes)
        self._iv_open: dict[tuple, float | None] = {}  # (series tags, day) -> the day's first ATM IV
        self._iv_history: dict[tuple, tuple[date, list[float]]] = {}  # series tags -> (day, daily closes before it)
        self.premium = PremiumSlots(store, premium_weeks, MEASUREMENT)

    @classmethod
    def from_settings(cls, settings, store=None) -> "ChainAnalyzer":
        return cls(settings["BUILDUP_PRICE_THRESHOLD_PERCENT"], settings["BUILDUP_OI_THRESHOLD_PERCENT"],
                   enabled=settings["LIVE_ANALYTICS_ENABLED"], store=store)

    def analyze(self, options: list[Mapping[str, Any]], spot: float | None, *, index: str, expiry: str,
                bucket: str | None = None, as_of: datetime | None = None, source: str | None = None,
                basis: str = "legs") -> ChainMetrics | None:
        """Metrics for one chain snapshot, stored; None when live analytics are off (LIVE_ANALYTICS_ENABLED).
        `basis` says which records they are: the cycle's "legs" or a full "chain" snapshot."""
        if not self.enabled or not options:
            return None
        as_of = common.as_ist(as_of) if as_of else max(common.record_time(option) for option in options)
        source = source or common.source_of(options, "unknown")
        tags = {"index": index, "bucket": bucket or expiry, "source": source}
        metrics = compute_chain_metrics(
            options, spot, index=index, expiry=expiry, bucket=bucket, as_of=as_of, source=source,
            iv_open=self._day_open_iv(tags, as_of), iv_history=self._daily_ivs(tags, as_of.date()), basis=basis)
        average, days = self.premium.weekday_average(tags, as_of)
        metrics = replace(metrics, premium_weekday_avg=average, premium_weekday_days=days)
        key = (tuple(sorted(tags.items())), as_of.date())
        if self._iv_open.get(key) is None and metrics.atm_iv is not None:
            self._iv_open[key] = metrics.atm_iv
        rollup = self.premium.observe(tags, as_of, metrics.total_premium)
        common.write_points(self.store, chain_points(metrics) + [daily_point(metrics)] + rollup)
        return metrics

    def buildup(self, options: list[Mapping[str, Any]]) -> list[StrikeChange]:
        return strike_changes(options, self.price_threshold_pct, self.oi_threshold_pct)

    def _day_open_iv(self, tags: dict[str, str], as_of: datetime) -> float | None:
        key = (tuple(sorted(tags.items())), as_of.date())
        if key not in self._iv_open:  # first look today (or after a restart): today's stored rows, once
            self._iv_open = {old: iv for old, iv in self._iv_open.items() if old[1] == as_of.date()}  # stay small
            self._iv_open[key] = self._stored_iv_open(tags, as_of)
        return self._iv_open[key]

    def _stored_iv_open(self, tags: dict[str, str], as_of: datetime) -> float | None:
        """Today's `iv_open` from the day's rollup row; today's raw rows only when that row has none."""
        close = market_close_at(as_of.date())
        daily = common.query(self.store, DAILY_MEASUREMENT, start=close, end=close, tags=tags, fields=["iv_open"])
        found = next((common.finite(row.get("iv_open")) for row in daily if row.get("iv_open") is not None), None)
        if found is not None or not daily:  # no row today: nothing computed today yet
            return found
        midnight = datetime.combine(as_of.date(), datetime.min.time(), IST)
        rows = common.query(self.store, MEASUREMENT, start=midnight, end=as_of - timedelta(microseconds=1),
                            tags=tags, fields=["atm_iv"])
        return next((common.finite(row["atm_iv"]) for row in rows), None)

    def _daily_ivs(self, tags: dict[str, str], day: date) -> list[float]:
        series = tuple(sorted(tags.items()))
        cached = self._iv_history.get(series)
        if cached is None or cached[0] != day:
            rows = common.query(self.store, DAILY_MEASUREMENT, start=market_close_at(day) - timedelta(
                days=self.iv_history_days), end=market_close_at(day), tags=tags, fields=["atm_iv"])
            cached = self._iv_history[series] = (day, daily_closes(rows, "atm_iv", before=day))
        return cached[1]
