"""The analytics of one collection cycle, wired together for the running service and the live view.

`LiveAnalytics.on_cycle(legs, overviews)` takes the records of one cycle (collector keys) and
- computes chain metrics per index and expiry bucket (the legs of that chain, spot from the index's overview row);
- estimates cash flows since the previous cycle;
- reads the stored option snapshots for OI position changes, net positions and unusual activity;
- measures breadth and the volatility regime;
- raises alerts: IV spikes, large cash flows in the smallest enabled timeframe, volume spikes and OI changes.
`tick(now)` is for the scheduler between cycles (the pre-market capture). Everything is built from settings; each
part honours its own switch, so a part that is off simply contributes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from op_trading.analytics import breadth as br
from op_trading.analytics import common
from op_trading.analytics.alerts import Alert, AlertEngine, alerts_table
from op_trading.analytics.cashflow import CashFlowTracker, Flow
from op_trading.analytics.chain import ChainMetrics, chain_table
from op_trading.analytics.chain_history import ChainAnalyzer
from op_trading.analytics.positions import PositionMonitor
from op_trading.analytics.premarket import PremarketCapture
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


class LiveAnalytics:
    def __init__(self, chain: ChainAnalyzer, flows: CashFlowTracker, positions: PositionMonitor, alerts: AlertEngine,
                 premarket: PremarketCapture, store: Any = None):
        self.chain, self.flows, self.positions, self.alerts = chain, flows, positions, alerts
        self.premarket, self.store = premarket, store
        self.vix = br.VixHistory(store)

    @classmethod
    def from_settings(cls, settings, store: Any = None) -> "LiveAnalytics":
        return cls(ChainAnalyzer.from_settings(settings, store), CashFlowTracker.from_settings(settings, store),
                   PositionMonitor.from_settings(settings, store), AlertEngine.from_settings(settings, store),
                   PremarketCapture.from_settings(settings, store), store)

    def on_cycle(self, legs: list[Mapping[str, Any]], overviews: list[Mapping[str, Any]],
                 now: datetime | None = None) -> CycleAnalytics:
        records = list(legs) + list(overviews)
        if now is None and not records:
            raise ValueError("a cycle without records needs `now`")
        now = common.as_ist(now) if now else max(common.record_time(record) for record in records)
        result = CycleAnalytics(now)
        spots = spots_of(overviews)
        for (label, bucket), options in chains_of(legs).items():
            index = common.find_index(label)  # legs carry the label ("NIFTY FIN SERVICE"); metrics use the key
            key = index.key if index else label
            metrics = self.chain.analyze(options, spots.get(key), index=key, expiry=str(options[0].get("expiry")),
                                         bucket=bucket, as_of=now)
            if metrics is not None:
                result.metrics.append(metrics)
        result.flows = self.flows.update(legs)
        if self.positions.enabled:
            self.positions.observe(legs, now)
            result.positions = self.positions.report(self.positions.recent(), now, self.positions.closing_history(now))
        result.breadth = br.market_breadth(overviews)
        result.regime = self.vix.regime(list(overviews), result.metrics)
        result.alerts = self.alerts.submit(self._candidates(result))
        return result

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
