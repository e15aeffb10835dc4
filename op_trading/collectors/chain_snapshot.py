"""Full option chain snapshots: every listed strike within ±CHAIN_STRIKE_WINDOW of the ATM, both sides, per expiry.

The cycle's ATM ±2 legs are too narrow for PCR and max pain. Every CHAIN_SNAPSHOT_SECONDS (0 = off; the first at
the first cycle), right after a cycle, the snapshotter quotes the chain window of each DISTINCT expiry of the cycle's
universe: this_week and this_month are often one contract, quoted once and labelled with every bucket that uses it
(`bucket` = the nearest, `buckets` = all). The ATM is the listed strike nearest to the cycle's fresh spot (its
overview row). Quotes the cycle already holds (its legs and over-fetch margin) are taken from the cycle, the rest is
asked for in as few calls as QUOTE_BATCH_SIZE allows, through the collector's quote function (the shared Kite rate
limiter and retries). Option records use the collector's leg keys (`leg_record`), the same day-open OI baselines and
the same vectorised IV solve. Due times follow the cycles' timestamps (the feed's clock, floored to :00/:30), so a
300 s interval with 30 s cycles snapshots every tenth cycle. The collection session stores each snapshot
(op_trading.storage.chains: compact daily chunks in the embedded store), so the latest and any past chain can be
served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

from op_trading.collectors.baselines import DayBaselines
from op_trading.collectors.cycle import CycleQuotes, CycleResult, QuoteFunction, quoted_option, solve_ivs
from op_trading.collectors.iv import IvInput, IvSolver
from op_trading.collectors.records import LegContext, number
from op_trading.collectors.universe import ExpiryChain, Universe
from op_trading.market.calendar import now_ist, to_ist
from op_trading.market.expiries import days_to_expiry

log = logging.getLogger(__name__)


@dataclass
class SnapshotStats:
    """What one snapshot cost; kept apart from the cycle's own `CycleStats` (its target is one quote call)."""

    quote_calls: int = 0
    instruments_requested: int = 0  # asked for by the snapshot's own calls
    instruments_reused: int = 0  # already quoted by the cycle
    instruments_missing: int = 0  # asked for but absent from the answer
    options: int = 0
    wall_ms: float = 0.0
    cpu_ms: float = 0.0  # Kite calls excluded
    network_ms: float = 0.0


@dataclass(frozen=True)
class ExpirySnapshot:
    """The chain window of one index and expiry."""

    index: str  # index key (NIFTY, FINNIFTY, ...)
    label: str  # the legs' index label
    expiry: date
    buckets: tuple[str, ...]  # every bucket of the cycle's universe that is this expiry, nearest first
    spot: float
    atm_strike: float
    options: tuple[dict, ...]


@dataclass
class ChainSnapshot:
    timestamp: str  # the cycle's timestamp
    source: str
    expiries: list[ExpirySnapshot]
    stats: SnapshotStats
    warnings: list[str] = field(default_factory=list)

    @property
    def options(self) -> list[dict]:
        return [option for expiry in self.expiries for option in expiry.options]

    @property
    def size(self) -> int:
        return sum(len(expiry.options) for expiry in self.expiries)

    @property
    def spots(self) -> dict[str, float]:
        return {expiry.index: expiry.spot for expiry in self.expiries}

    def chain_for(self, index_key: str, bucket: str) -> ExpirySnapshot | None:
        return next((expiry for expiry in self.expiries if expiry.index == index_key and bucket in expiry.buckets),
                    None)

    def summary(self) -> str:
        stats = self.stats
        return (f"chain={self.size} options/{len(self.expiries)} expiries in {stats.quote_calls} quote call(s) "
                f"{stats.wall_ms:.0f}ms")


@dataclass(frozen=True)
class _Window:
    chain: ExpiryChain  # the first bucket's chain; the others of the same expiry list the same contracts
    buckets: tuple[str, ...]
    spot: float
    centre: int
    positions: range

    def keys(self) -> list[str]:
        return [contract.quote_key for pos in self.positions
                for contract in (self.chain.pairs[pos].call, self.chain.pairs[pos].put)]


def distinct_expiries(universe: Universe) -> list[tuple[ExpiryChain, tuple[str, ...]]]:
    """One chain per (index, expiry) with the buckets that share it, in universe order."""
    groups: dict[tuple[str, date], list[ExpiryChain]] = {}
    for chain in universe.chains:
        groups.setdefault((chain.index.key, chain.expiry), []).append(chain)
    return [(chains[0], tuple(chain.bucket for chain in chains)) for chains in groups.values()]


def overview_spots(overviews: list[Mapping[str, Any]]) -> dict[str, float]:
    """Index key -> the cycle's fresh spot, from its overview rows."""
    spots = {}
    for row in overviews:
        price = number(row.get("last_price"))
        if row.get("index") and price is not None:
            spots[str(row["index"])] = price
    return spots


class ChainSnapshotter:
    """Takes a chain snapshot after a cycle when one is due; shares the collector's quote function and state."""

    def __init__(self, quote: QuoteFunction, baselines: DayBaselines, iv_solver: IvSolver, *, interval_seconds: int,
                 strike_window: int = 20, batch_size: int = 500, source: str = "live",
                 clock: Callable[[], datetime] = now_ist):
        if strike_window < 0 or batch_size < 1:
            raise ValueError("strike_window must be >= 0 and batch_size >= 1")
        self.quote, self.baselines, self.iv_solver = quote, baselines, iv_solver
        self.interval_seconds, self.strike_window, self.batch_size = interval_seconds, strike_window, batch_size
        self.source, self.clock = source, clock
        self.last_due: datetime | None = None  # timestamp of the cycle of the last snapshot attempted

    @classmethod
    def for_collector(cls, collector: Any, interval_seconds: int, strike_window: int) -> "ChainSnapshotter":
        """Quotes through the collector's quote function, with its baselines, IV solver, batch size, source, clock."""
        return cls(collector.quote, collector.baselines, collector.iv_solver, interval_seconds=interval_seconds,
                   strike_window=strike_window, batch_size=collector.batch_size, source=collector.source,
                   clock=collector.clock)

    @classmethod
    def from_settings(cls, settings, collector: Any) -> "ChainSnapshotter":
        return cls.for_collector(collector, settings["CHAIN_SNAPSHOT_SECONDS"], settings["CHAIN_STRIKE_WINDOW"])

    @property
    def enabled(self) -> bool:
        return self.interval_seconds > 0

    def due(self, timestamp: str | datetime) -> bool:
        """True when a snapshot is due for a cycle with this timestamp (always for the first; never when off)."""
        if not self.enabled:
            return False
        moment = to_ist(datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp)
        if self.last_due is None:
            return True
        elapsed = (moment - self.last_due).total_seconds()
        return elapsed >= self.interval_seconds or elapsed < 0  # a clock set back (a new simulated day) restarts

    def after_cycle(self, cycle: CycleResult) -> ChainSnapshot | None:
        """The snapshot when one is due, else None. Errors propagate to the caller, which must not fail the cycle
        for them; the attempt still counts, so a failing snapshot is retried one interval later, not every cycle."""
        if not self.due(cycle.timestamp):
            return None
        self.last_due = to_ist(datetime.fromisoformat(cycle.timestamp))
        return self.take(cycle)

    def take(self, cycle: CycleResult) -> ChainSnapshot:
        """Quote the chain windows of every distinct expiry of the cycle's universe and build the option records."""
        if cycle.universe is None:
            raise ValueError("the cycle carries no universe to snapshot")
        stats = SnapshotStats()
        quotes = CycleQuotes(self.quote, self.batch_size, stats)
        windows, warnings = self._windows(cycle.universe, overview_spots(cycle.overviews))
        wanted = list(dict.fromkeys(key for window in windows for key in window.keys()))
        reused = {key: cycle.quotes[key] for key in wanted if isinstance(cycle.quotes.get(key), Mapping)}
        stats.instruments_reused = len(reused)
        quotes.fetch(key for key in wanted if key not in reused)
        quotes.answers.update(reused)
        expiries = self._expiries(windows, quotes, cycle.timestamp, to_ist(self.clock()))
        self.baselines.save()
        stats.options = sum(len(expiry.options) for expiry in expiries)
        quotes.finish()
        snapshot = ChainSnapshot(cycle.timestamp, self.source, expiries, stats, warnings)
        log.debug("%s %s", cycle.timestamp, snapshot.summary())
        return snapshot

    def _windows(self, universe: Universe, spots: Mapping[str, float]) -> tuple[list[_Window], list[str]]:
        windows, warnings = [], []
        for chain, buckets in distinct_expiries(universe):
            spot = spots.get(chain.index.key)
            if spot is None:
                warnings.append(f"{chain.index.key} {chain.expiry}: no spot this cycle; left out of the chain "
                                "snapshot")
                continue
            centre = chain.atm_position(spot)
            positions = chain.window(centre, -self.strike_window, self.strike_window)
            windows.append(_Window(chain, buckets, spot, centre, positions))
        return windows, warnings

    def _expiries(self, windows: list[_Window], quotes: CycleQuotes, timestamp: str, now: datetime
                  ) -> list[ExpirySnapshot]:
        records: list[dict] = []
        inputs: list[IvInput] = []
        per_window: list[list[dict]] = []
        for window in windows:
            built = self._options(window, quotes, timestamp, now, inputs)
            records += built
            per_window.append(built)
        solve_ivs(records, inputs, self.iv_solver, now)  # every expiry in one vectorised solve
        return [ExpirySnapshot(window.chain.index.key, window.chain.index.label, window.chain.expiry, window.buckets,
                               window.spot, window.chain.strikes[window.centre], tuple(options))
                for window, options in zip(windows, per_window)]

    def _options(self, window: _Window, quotes: CycleQuotes, timestamp: str, now: datetime,
                 inputs: list[IvInput]) -> list[dict]:
        chain = window.chain
        atm_strike = int(round(chain.strikes[window.centre]))
        days = days_to_expiry(chain.expiry, now.date())
        options = []
        for pos in window.positions:
            pair = chain.pairs[pos]
            for side, contract in (("CE", pair.call), ("PE", pair.put)):
                quote = quotes.get(contract.quote_key)
                if quote is None:
                    continue
                ctx = LegContext(timestamp, chain.index, window.buckets[0], side, chain.expiry, atm_strike,
                                 pair.strike, pos - window.centre, days, contract.tradingsymbol,
                                 contract.instrument_token, self.source)
                record, iv_input = quoted_option(ctx, contract.quote_key, quote, window.spot, self.baselines)
                record["buckets"] = window.buckets
                options.append(record)
                inputs.append(iv_input)
        return options
