"""Market breadth across the five option indices and the volatility regime from India VIX and ATM IVs.

Breadth: an index advances when its last price is above the previous close (Kite's ``ohlc.close``; the collector's
``net_change``), declines when below, is unchanged when equal. India VIX is not counted. Label: "broad advance" /
"broad decline" when every index with a price moved the same way, else "advancing" / "declining" by majority, else
"mixed". The A/D ratio is advances / declines (None with no declines).

Volatility regime: India VIX against its own history of daily closes (percentile as in `chain.iv_percentile`:
the share of past closes strictly below today's value):
- below the 20th percentile "low", below the 60th "normal", below the 85th "elevated", else "high";
- with fewer than `MIN_HISTORY_DAYS` daily closes stored, the label comes from the VIX level instead, by the
  ranges Indian desks commonly quote (below 12 low, below 18 normal, below 25 elevated, else high), and the table
  says so ("by level").
Each index's ATM IV percentile (from stored chain metrics) is shown beside it, so a quiet VIX with one index's IV
at its highs stands out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from op_trading.analytics import common
from op_trading.analytics.chain import daily_closes, iv_percentile
from op_trading.analytics.common import finite, fmt_number, fmt_pct
from op_trading.market import calendar
from op_trading.market.indices import INDIA_VIX, OPTION_INDICES
from op_trading.outcome import Table

MIN_HISTORY_DAYS = 20
PERCENTILE_BANDS = ((20.0, "low"), (60.0, "normal"), (85.0, "elevated"))
VIX_LEVEL_BANDS = ((12.0, "low"), (18.0, "normal"), (25.0, "elevated"))
OVERVIEW_MEASUREMENT = "index_overview"


@dataclass(frozen=True)
class IndexMove:
    index: str
    last_price: float | None
    change: float | None  # against the previous close
    change_pct: float | None
    as_of: datetime
    source: str

    @property
    def direction(self) -> int:
        return 0 if not self.change else (1 if self.change > 0 else -1)


def index_move(record: Mapping[str, Any]) -> IndexMove | None:
    """An overview record (collector keys: symbol/index, last_price, net_change, close) as an IndexMove."""
    index = common.find_index(record.get("index") or record.get("symbol"))
    if index is None:
        return None
    last, close = finite(record.get("last_price")), finite(record.get("close"))
    change = finite(record.get("net_change"))
    if change is None and last is not None and close:
        change = last - close
    percent = finite(record.get("net_change_percent"))
    if percent is None and change is not None and close:
        percent = 100.0 * change / close
    return IndexMove(index.key, last, change, percent, common.record_time(record),
                     str(record.get("source") or "unknown"))


@dataclass(frozen=True)
class Breadth:
    moves: tuple[IndexMove, ...]
    advances: int
    declines: int
    unchanged: int

    @property
    def ad_ratio(self) -> float | None:
        return common.ratio(self.advances, self.declines)

    @property
    def label(self) -> str:
        moved = self.advances + self.declines + self.unchanged
        if moved and self.advances == moved:
            return "broad advance"
        if moved and self.declines == moved:
            return "broad decline"
        if self.advances != self.declines:
            return "advancing" if self.advances > self.declines else "declining"
        return "mixed"


def market_breadth(overviews: Iterable[Mapping[str, Any]]) -> Breadth:
    """Breadth of the option indices from their latest overview records (VIX and unknown symbols ignored)."""
    latest: dict[str, IndexMove] = {}
    for record in overviews:
        move = index_move(record)
        if move and move.index != INDIA_VIX.key and move.last_price is not None \
                and (move.index not in latest or move.as_of >= latest[move.index].as_of):
            latest[move.index] = move
    order = [index.key for index in OPTION_INDICES]
    moves = tuple(latest[key] for key in order if key in latest)
    return Breadth(moves, sum(m.direction > 0 for m in moves), sum(m.direction < 0 for m in moves),
                   sum(m.direction == 0 for m in moves))


def _band(value: float, bands: tuple[tuple[float, str], ...]) -> str:
    return next((label for limit, label in bands if value < limit), "high")


@dataclass(frozen=True)
class VolatilityRegime:
    vix: float | None
    vix_change_pct: float | None
    vix_percentile: float | None
    history_days: int
    label: str
    basis: str  # "percentile", "level" or "no data"
    iv_percentiles: Mapping[str, float | None] = field(default_factory=dict)
    as_of: datetime | None = None
    source: str = "unknown"


def volatility_regime(vix: IndexMove | None, vix_history: list[float],
                      iv_percentiles: Mapping[str, float | None] | None = None) -> VolatilityRegime:
    """The regime label from VIX (percentile when there is enough history, else level); `iv_percentiles` are the
    indices' ATM IV percentiles (`chain.ChainMetrics.iv_percentile` of their nearest expiry), shown alongside."""
    ivps = dict(iv_percentiles or {})
    level = None if vix is None else vix.last_price
    if level is None:
        return VolatilityRegime(None, None, None, len(vix_history), "unknown", "no data", ivps)
    percentile = iv_percentile(level, vix_history)
    if len(vix_history) >= MIN_HISTORY_DAYS and percentile is not None:
        label, basis = _band(percentile, PERCENTILE_BANDS), "percentile"
    else:
        label, basis = _band(level, VIX_LEVEL_BANDS), "level"
    return VolatilityRegime(level, vix.change_pct, percentile, len(vix_history), label, basis, ivps, vix.as_of,
                            vix.source)


def nearest_expiry_ivps(metrics: Iterable[Any]) -> dict[str, float | None]:
    """Each index's ATM IV percentile from the chain metrics of its nearest expiry."""
    nearest: dict[str, Any] = {}
    for m in metrics:
        if m.index not in nearest or m.expiry < nearest[m.index].expiry:
            nearest[m.index] = m
    return {index: m.iv_percentile for index, m in nearest.items()}


class VixHistory:
    """India VIX daily closes (same data source only), read once a day from the `index_daily` rollup (one small
    query); a store without that rollup yet (written before it existed) falls back to the last 10 minutes of each
    session of stored overview rows."""

    def __init__(self, store: Any, history_days: int = 365, measurement: str = OVERVIEW_MEASUREMENT):
        self.store, self.history_days, self.measurement = store, history_days, measurement
        self._cache: dict[tuple[date, str], list[float]] = {}

    def closes(self, before: date, source: str) -> list[float]:
        key = (before, source)
        if key not in self._cache:
            from op_trading.analytics.rollups import INDEX_DAILY_MEASUREMENT

            tags = {"index": INDIA_VIX.tradingsymbol, "source": source}
            first, last = before - timedelta(days=self.history_days), before - timedelta(days=1)
            rows = common.query(self.store, INDEX_DAILY_MEASUREMENT, start=calendar.market_close_at(first),
                                end=calendar.market_close_at(last), tags=tags, fields=["close"])
            closes = daily_closes(rows, "close")
            if not rows:  # a store from before the rollup: the raw closing windows, once, then the rollup rows
                from op_trading.analytics.rollups import index_daily_points

                raw = common.closing_rows(self.store, self.measurement, calendar.trading_days(first, last),
                                          tags=tags, fields=["last_price"])
                closes = daily_closes(raw, "last_price")
                common.write_points(self.store, _last_of_each_day(index_daily_points(raw)))
            self._cache = {key: closes}  # keep only today's entry
        return self._cache[key]

    def regime(self, overviews: list[Mapping[str, Any]], metrics: Iterable[Any] = ()) -> VolatilityRegime:
        vix = vix_move(overviews)
        history = self.closes(vix.as_of.date(), vix.source) if vix is not None else []
        return volatility_regime(vix, history, nearest_expiry_ivps(metrics))


def _last_of_each_day(points: list) -> list:
    """One point per series and time (the last given): a day's raw rows all map to its 15:30 row."""
    return list({(point.measurement, tuple(sorted(point.tags.items())), point.time): point
                 for point in points}.values())


def vix_move(overviews: Iterable[Mapping[str, Any]]) -> IndexMove | None:
    moves = [move for move in map(index_move, overviews) if move and move.index == INDIA_VIX.key]
    return max(moves, key=lambda move: move.as_of) if moves else None


def breadth_table(breadth: Breadth, regime: VolatilityRegime) -> Table:
    rows = [(m.index, fmt_number(m.last_price), fmt_pct(m.change_pct, 2, signed=True),
             fmt_pct(regime.iv_percentiles.get(m.index), 0)) for m in breadth.moves]
    rows.append((INDIA_VIX.label, fmt_number(regime.vix), fmt_pct(regime.vix_change_pct, 2, signed=True),
                 fmt_pct(regime.vix_percentile, 0)))
    basis = {"percentile": f"VIX percentile over {regime.history_days} days", "level": "by VIX level "
             f"(only {regime.history_days} days of history)", "no data": "no VIX quote"}[regime.basis]
    sources = sorted({m.source for m in breadth.moves} | ({regime.source} if regime.vix is not None else set()))
    latest = max([m.as_of for m in breadth.moves] + ([regime.as_of] if regime.as_of else []), default=None)
    caption = (f"Advances {breadth.advances} · declines {breadth.declines} · unchanged {breadth.unchanged} "
               f"({breadth.label}) · volatility {regime.label} ({basis}) · source: {', '.join(sources) or 'none'}"
               f" · as of {common.fmt_time(latest)}")
    return Table("Market breadth and volatility regime", ("Index", "Last", "Chg %", "IV / VIX percentile"),
                 tuple(rows), caption)
