"""Analytics the service runs after every collection cycle (LIVE_ANALYTICS_ENABLED), and what it shows.

The analyzer is built lazily in the collection thread: the embedded store's connection belongs to the thread
that opened it. Each call returns lines worth showing (alerts raised this cycle); the latest result's tables
are kept for the live view.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class CycleAnalyzer:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.live: Any = None
        self.store: Any = None
        self.last: Any = None
        self.premarket_note: str = ""

    def __call__(self, report) -> list[str]:
        cycle = getattr(report, "cycle", None)
        if cycle is None:
            return []
        if self.live is None:
            from op_trading.analytics.live import LiveAnalytics
            from op_trading.storage import open_store

            self.store = open_store(self.settings)
            self.live = LiveAnalytics.from_settings(self.settings, self.store)
        self.last = self.live.on_cycle(cycle.legs, cycle.overviews, getattr(report, "chain", None))
        lines = [f"ALERT [{getattr(alert.severity, 'value', alert.severity)}] {alert.message}"
                 for alert in self.last.alerts]
        tick = self.live.tick(self.last.as_of)
        if tick is not None:
            self.premarket_note = tick.message
            lines.append(f"pre-market: {tick.message}")
        return lines

    def tables(self, timeframe: str | None = None) -> list:
        if self.live is None or self.last is None:
            return []
        return self.live.tables(self.last, timeframe)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def cycle_analyzers(settings) -> list:
    return [CycleAnalyzer(settings)] if settings["LIVE_ANALYTICS_ENABLED"] else []
