"""Pre-market capture: the previous session summed up before the open, and the overnight gap once it opens.

At PREMARKET_CAPTURE_TIME (default 08:00 IST) on a trading day, once a day (PREMARKET_CAPTURE_ENABLED), from the
store:
- the previous session's closing chain metrics: the `chain_metrics_daily` row per index and expiry bucket of the
  previous trading day, i.e. its last cycle (PCR, max pain, ATM IV, straddle premium);
- participant positions: the latest NSE participant OI file on or before that day, with its day-over-day change;
- FII/DII provisional cash activity of the latest day on or before it.
Once the market has opened (09:15 IST), the overnight gap per index = today's open − previous close, from the first
`index_overview` row of the day (its ``open`` and ``close`` fields, i.e. Kite's ohlc); before that it is "not open
yet". The summary is stored as `premarket_summary` points and returned as tables; nothing is invented when a part
is missing — the table says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from op_trading import outcome
from op_trading.analytics import common
from op_trading.analytics import participants as pa
from op_trading.analytics.chain_history import DAILY_MEASUREMENT
from op_trading.analytics.common import finite, fmt_number, fmt_pct, fmt_vol_points
from op_trading.market import calendar
from op_trading.outcome import Outcome, Table
from op_trading.market.calendar import IST

MEASUREMENT = "premarket_summary"
OVERVIEW_MEASUREMENT = "index_overview"
CHAIN_FIELDS = ("pcr_oi", "pcr_volume", "max_pain", "atm_iv", "iv_skew", "total_premium")


@dataclass(frozen=True)
class Gap:
    index: str
    previous_close: float
    open: float
    source: str

    @property
    def points(self) -> float:
        return self.open - self.previous_close

    @property
    def pct(self) -> float:
        return 100.0 * self.points / self.previous_close


@dataclass(frozen=True)
class PremarketSummary:
    day: date
    previous_session: date
    captured_at: datetime
    chain: tuple[Mapping[str, Any], ...] = ()
    positions: tuple[pa.ParticipantPosition, ...] = ()
    cash: pa.CashReport | None = None
    gaps: tuple[Gap, ...] = field(default_factory=tuple)
    gaps_final: bool = False  # True once taken after the open


def is_due(now: datetime, capture_time: str, last_capture: date | None) -> bool:
    now = common.as_ist(now)
    hour, minute = (int(part) for part in capture_time.split(":"))
    return calendar.is_trading_day(now) and now.time() >= time(hour, minute) and last_capture != now.date()


def _last_per_series(rows: list[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    last: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:  # oldest first: later rows replace earlier ones
        last[(str(row.get("index")), str(row.get("bucket")))] = row
    return tuple(last[key] for key in sorted(last))


def overnight_gaps(store: Any, day: date) -> tuple[Gap, ...]:
    """Open − previous close per index from the day's first overview row after the open."""
    rows = common.query(store, OVERVIEW_MEASUREMENT, start=calendar.market_open_at(day),
                        end=calendar.market_close_at(day))
    gaps: dict[str, Gap] = {}
    for row in rows:
        index = common.find_index(row.get("index") or row.get("symbol"))
        opened, closed = finite(row.get("open")), finite(row.get("close"))
        if index is not None and index.key not in gaps and opened and closed:
            gaps[index.key] = Gap(index.key, closed, opened, str(row.get("source") or "unknown"))
    return tuple(gaps.values())


def previous_session_summary(store: Any, now: datetime, categories: tuple[str, ...] = pa.CATEGORIES,
                             lookback_days: int = 10) -> PremarketSummary:
    now = common.as_ist(now)
    previous = calendar.previous_trading_day(now.date())
    close = common.session_close(previous)
    chain_rows = common.query(store, DAILY_MEASUREMENT, start=close, end=close)  # one closing row per chain
    since = close - timedelta(days=lookback_days)
    reports = pa.reports_from_rows(common.query(store, pa.MEASUREMENT, start=since, end=close), "oi")
    positions = ()
    if reports:
        before = reports[-2] if len(reports) > 1 and reports[-2].source == reports[-1].source else None
        positions = tuple(pa.participant_positions(reports[-1], before, categories))
    cash_reports = pa.cash_from_rows(common.query(store, pa.CASH_MEASUREMENT, start=since, end=close))
    opened = now >= calendar.market_open_at(now)
    return PremarketSummary(now.date(), previous, now, _last_per_series(chain_rows), positions,
                            cash_reports[-1] if cash_reports else None,
                            overnight_gaps(store, now.date()) if opened else (), opened)


def summary_points(summary: PremarketSummary, at: datetime) -> list:
    """Points at one instant per day (`at`, normally the day's capture time), so a repeated capture (a restart)
    rewrites the same points instead of adding new ones; the gap is stamped at the open."""
    points = []
    for row in summary.chain:
        points.append(common.make_point(MEASUREMENT, {"part": "chain", "index": row.get("index"),
                                                      "bucket": row.get("bucket"), "source": row.get("source")},
                                        {name: row.get(name) for name in CHAIN_FIELDS}, at))
    for p in summary.positions:
        points.append(common.make_point(MEASUREMENT, {"part": "participant", "category": p.category,
                                                      "source": p.source},
                                        {"fut_net": p.fut_net, "call_net": p.call_net, "put_net": p.put_net,
                                         "fut_long_pct": p.fut_long_pct}, at))
    for row in (summary.cash.rows.values() if summary.cash else ()):
        points.append(common.make_point(MEASUREMENT, {"part": "cash", "category": row.category,
                                                      "source": row.source}, {"net": row.net}, at))
    for gap in summary.gaps:
        points.append(common.make_point(MEASUREMENT, {"part": "gap", "index": gap.index, "source": gap.source},
                                        {"gap": gap.points, "gap_pct": gap.pct, "open": gap.open,
                                         "previous_close": gap.previous_close}, calendar.market_open_at(summary.day)))
    return points


def premarket_tables(summary: PremarketSummary) -> list[Table]:
    session = f"{summary.previous_session:%a %d-%b-%Y}"
    chain_rows = tuple((row.get("index"), row.get("bucket"), fmt_number(row.get("pcr_oi")),
                        fmt_number(row.get("max_pain"), 0), fmt_vol_points(row.get("atm_iv")),
                        fmt_number(row.get("total_premium")), row.get("source")) for row in summary.chain)
    tables = [Table(f"Previous session close ({session})",
                    ("Index", "Expiry", "PCR OI", "Max pain", "ATM IV", "CE+PE", "Source"), chain_rows,
                    "" if chain_rows else "No chain metrics stored for that session")]
    tables.append(pa.participant_table(list(summary.positions)))
    tables.append(pa.cash_table(summary.cash))
    gap_rows = tuple((g.index, fmt_number(g.previous_close), fmt_number(g.open), fmt_number(g.points, 2, True),
                      fmt_pct(g.pct, 2, signed=True), g.source) for g in summary.gaps)
    note = ("" if gap_rows else "No opening prices stored yet") if summary.gaps_final else \
        "Market not open yet; the gap is filled in after 09:15 IST"
    tables.append(Table("Overnight gap", ("Index", "Prev close", "Open", "Gap", "Gap %", "Source"), gap_rows, note))
    return tables


class PremarketCapture:
    def __init__(self, *, enabled: bool = True, capture_time: str = "08:00", store: Any = None,
                 categories: tuple[str, ...] = pa.CATEGORIES):
        self.enabled, self.capture_time, self.store, self.categories = enabled, capture_time, store, categories
        self.last: PremarketSummary | None = None

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "PremarketCapture":
        return cls(enabled=settings["PREMARKET_CAPTURE_ENABLED"], capture_time=settings["PREMARKET_CAPTURE_TIME"],
                   store=store, categories=pa.enabled_categories(settings))

    def _slot(self, now: datetime) -> datetime:
        hour, minute = (int(part) for part in self.capture_time.split(":"))
        return datetime.combine(common.as_ist(now).date(), time(hour, minute), IST)

    def capture(self, now: datetime) -> Outcome:
        """Take the summary now (whatever the time), store it and show it."""
        summary = previous_session_summary(self.store, now, self.categories)
        self.last = summary
        written = common.write_points(self.store, summary_points(summary, min(summary.captured_at, self._slot(now))))
        parts = [name for name, present in (("chain metrics", summary.chain), ("participants", summary.positions),
                                            ("FII/DII cash", summary.cash)) if not present]
        message = f"Pre-market summary for {summary.day:%d-%b-%Y} (previous session {summary.previous_session:%d-%b})"
        result = outcome.warn if parts else outcome.ok
        return result(message + (f"; missing: {', '.join(parts)}" if parts else ""),
                      tables=tuple(premarket_tables(summary)), data={"points_written": written})

    def tick(self, now: datetime) -> Outcome | None:
        """For the scheduler: capture when due; after the open, add the overnight gap once. None when idle."""
        if not self.enabled:
            return None
        now = common.as_ist(now)
        last_day = self.last.day if self.last else None
        if is_due(now, self.capture_time, last_day):
            return self.capture(now)
        if self.last and self.last.day == now.date() and not self.last.gaps_final \
                and now >= calendar.market_open_at(now):
            gaps = overnight_gaps(self.store, now.date())
            if gaps:
                self.last = replace(self.last, gaps=gaps, gaps_final=True, captured_at=now)
                common.write_points(self.store, summary_points(replace(self.last, chain=(), positions=(), cash=None),
                                                               self._slot(now)))
                return outcome.ok(f"Overnight gap for {now.date():%d-%b-%Y}", tables=tuple(
                    premarket_tables(self.last)))
        return None
