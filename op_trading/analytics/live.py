"""The analytics of one collection cycle, wired together for the running service and the live view.

`LiveAnalytics.on_cycle(legs, overviews, chain=None)` takes the records of one cycle (collector keys) and
- computes chain metrics per index and expiry bucket: from the latest full chain snapshot of that index and expiry
  when one was taken today (`chain`, see `op_trading.collectors.chain_snapshot`; kept between snapshots and used as
  of its own timestamp and spot, metrics computed once per snapshot, basis "chain"), else from the cycle's legs of
  that chain with the spot from the index's overview row (basis "legs");
- estimates cash flows since the previous cycle;
- reads the stored option snapshots for OI position changes, net positions and unusual activity;
- measures breadth and the volatility regime;
- raises alerts: IV spikes, large cash flows in the smallest enabled timeframe, volume spikes and OI changes.
`tick(now)` is for the scheduler between cycles (the pre-market capture). Everything is built from settings; each
part honours its own switch, so a part that is off simply contributes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from op_trading.analytics import breadth as br
from op_trading.analytics import common
from op_trading.analytics.alerts import Alert, AlertEngine, alerts_table
from op_trading.analytics.cashflow import CashFlowTracker, Flow
from op_trading.analytics.chain import ChainMetrics, chain_table
from op_trading.analytics.chain_history import ChainAnalyzer
from op_trading.analytics.positions import PositionMonitor
from op_trading.analytics.premarket import PremarketCapture
from op_trading.analytics.rollups import index_daily_points
from op_trading.outcome import Outcome, Table


@dataclass
class CycleAnalytics:
    as_of: datetime
    metrics: list[ChainMetrics] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    positions: dict[str, Any] = field(default_factory=dict)
    breadth: br.Breadth | None = None
    regime: br.VolatilityRegime | None = None
    alerts: list[Alert] = field(default_factory=list)


def chains_of(legs: list[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Legs grouped per (index, expiry bucket), in the order first seen."""
    chains: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for leg in legs:
        chains.setdefault((str(leg.get("index")), str(leg.get("bucket") or leg.get("expiry"))), []).append(leg)
    return chains


def spots_of(overviews: list[Mapping[str, Any]]) -> dict[str, float]:
    spots = {}
    for row in overviews:
        index, price = common.find_index(row.get("index") or row.get("symbol")), common.finite(row.get("last_price"))
        if index is not None and price is not None:
            spots[index.key] = price
    return spots


@dataclass(frozen=True)
class FullChain:
    """The latest full chain of one index and expiry: its options, the spot it was centred on, and its time."""

    as_of: datetime
    spot: float | None
    options: tuple[Mapping[str, Any], ...]


def full_chains(chain: Any) -> dict[tuple[str, str], FullChain]:
    """(index key, expiry) -> FullChain of a snapshot (`timestamp`, `expiries` with index/expiry/spot/options)."""
    as_of = common.as_ist(chain.timestamp)
    return {(str(expiry.index), str(expiry.expiry)): FullChain(as_of, expiry.spot, tuple(expiry.options))
            for expiry in chain.expiries if expiry.options}


class LiveAnalytics:
    def __init__(self, chain: ChainAnalyzer, flows: CashFlowTracker, positions: PositionMonitor, alerts: AlertEngine,
                 premarket: PremarketCapture, store: Any = None):
        self.chain, self.flows, self.positions, self.alerts = chain, flows, positions, alerts
        self.premarket, self.store = premarket, store
        self.vix = br.VixHistory(store)
        self.full_chains: dict[tuple[str, str], FullChain] = {}  # latest snapshot per (index key, expiry)
        self._chain_metrics: dict[tuple[str, str, str], tuple[datetime, ChainMetrics | None]] = {}

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "LiveAnalytics":
        return cls(ChainAnalyzer.from_settings(settings, store), CashFlowTracker.from_settings(settings, store),
                   PositionMonitor.from_settings(settings, store), AlertEngine.from_settings(settings, store),
                   PremarketCapture.from_settings(settings, store), store)

    def on_cycle(self, legs: list[Mapping[str, Any]], overviews: list[Mapping[str, Any]], chain: Any = None,
                 now: datetime | None = None) -> CycleAnalytics:
        records = list(legs) + list(overviews)
        if now is None and not records:
            raise ValueError("a cycle without records needs `now`")
        now = common.as_ist(now) if now else max(common.record_time(record) for record in records)
        result = CycleAnalytics(now)
        self._keep_chains(chain, now.date())
        spots = spots_of(overviews)
        for (label, bucket), options in chains_of(legs).items():
            index = common.find_index(label)  # legs carry the label ("NIFTY FIN SERVICE"); metrics use the key
            key = index.key if index else label
            metrics = self._metrics(key, bucket, str(options[0].get("expiry")), options, spots.get(key), now)
            if metrics is not None:
                result.metrics.append(metrics)
        result.flows = self.flows.update(legs)
        if self.positions.enabled:
            self.positions.observe(legs, now)
            result.positions = self.positions.live_report(now)  # per-contract state: no rescan of the window
        common.write_points(self.store, index_daily_points(overviews))  # the rollup VIX regime reads
        result.breadth = br.market_breadth(overviews)
        result.regime = self.vix.regime(list(overviews), result.metrics)
        result.alerts = self.alerts.submit(self._candidates(result))
        return result

    def _keep_chains(self, chain: Any, today: date) -> None:
        if chain is not None:
            self.full_chains.update(full_chains(chain))
        # Yesterday's chain never stands in for today's; their metrics go with them (memory stays flat).
        self.full_chains = {key: full for key, full in self.full_chains.items() if full.as_of.date() == today}
        self._chain_metrics = {key: cached for key, cached in self._chain_metrics.items()
                               if cached[0].date() == today}

    def _metrics(self, key: str, bucket: str, expiry: str, legs: list[Mapping[str, Any]], spot: float | None,
                 now: datetime) -> ChainMetrics | None:
        """Chain metrics from the latest full chain of this expiry (once per snapshot), else from the legs."""
        full = self.full_chains.get((key, expiry))
        if full is None:
            return self.chain.analyze(legs, spot, index=key, expiry=expiry, bucket=bucket, as_of=now)
        cached = self._chain_metrics.get((key, bucket, expiry))
        if cached is None or cached[0] != full.as_of:
            metrics = self.chain.analyze(list(full.options), full.spot, index=key, expiry=expiry, bucket=bucket,
                                         as_of=full.as_of, basis="chain")
            cached = self._chain_metrics[(key, bucket, expiry)] = (full.as_of, metrics)
        return cached[1]

    def _candidates(self, result: CycleAnalytics) -> list[Alert]:
        rules = self.alerts.rules
        candidates = rules.iv_spike(result.metrics) + rules.unusual(result.positions.get("unusual", []))
        if self.flows.enabled and self.flows.timeframes:
            candidates += rules.cash_flow(self.flows.summary(result.as_of, self.flows.timeframes[0]))
        return candidates

    def tick(self, now: datetime) -> Outcome | None:
        """Between cycles: the pre-market capture when it is due (and the overnight gap after the open)."""
        return self.premarket.tick(now)

    def tables(self, result: CycleAnalytics, timeframe: str | None = None) -> list[Table]:
        tables = [chain_table(result.metrics)] if result.metrics else []
        tables += self.flows.tables(result.as_of, timeframe)
        tables += self.positions.tables(result.positions)
        if result.breadth is not None and result.regime is not None:
            tables.append(br.breadth_table(result.breadth, result.regime))
        tables.append(alerts_table(self.alerts.recent, "Recent alerts"))
        return tables
