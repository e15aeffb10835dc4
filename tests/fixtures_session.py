"""A short simulated trading session that makes every analytic write: the simulator through the official kiteconnect
client, the collector, the live analytics, the participant import (files the simulator writes in NSE's format), the
next morning's pre-market capture and the overnight gap. Used by the schema, growth and InfluxDB end-to-end tests.

`RecordingStore` wraps a real store and keeps every point handed to it, so a test can check each point against the
declared schema and count what reached each sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from op_trading.market.calendar import IST

SESSION_DAY, NEXT_DAY = date(2026, 7, 27), date(2026, 7, 28)  # Monday, Tuesday
# thresholds low enough that a few cycles raise every kind of alert the data allows
ALERTY = {"POSITION_MONITOR_INTERVAL": "30m", "IV_SPIKE_ALERT_POINTS": "0.1", "OI_CHANGE_ALERT_PERCENT": "0.5",
          "CASH_FLOW_ALERT_THRESHOLD_CRORES": "0.01", "PRO_CLIENT_DIVERGENCE_CONTRACTS": "1",
          "FII_ALERT_THRESHOLD_CRORES": "1", "DII_ALERT_THRESHOLD_CRORES": "1", "VOLUME_SPIKE_MULTIPLIER": "1.1"}


class RecordingStore:
    """A store that keeps a copy of every point written through it (and passes them on to `inner`, if any)."""

    def __init__(self, inner: Any = None):
        self.inner, self.points = inner, []

    def write(self, points):
        points = list(points)
        self.points.extend(points)
        if self.inner is not None:
            return self.inner.write(points)
        from op_trading.storage.base import WriteResult

        return WriteResult("recording", written=len(points))

    def __getattr__(self, name):  # query, latest, flush, close: the inner store's
        return getattr(self.inner, name)


@dataclass
class Session:
    points: list = field(default_factory=list)  # every point, in write order
    cycles: int = 0
    days: tuple[date, ...] = ()


def at(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), IST)


def run_session(tmp_path: Path, store, cycles: int = 4, step: timedelta = timedelta(minutes=30),
                indices: tuple[str, ...] | None = None, settings_overrides: dict | None = None,
                write_records=None, low_thresholds: bool = True) -> Session:
    """Run the session, writing everything to `store`; `write_records(points)` (default: `store.write`) receives
    the collector's leg and overview points, so a caller can send them through other sinks too. With
    `low_thresholds` off the alert thresholds are the product's defaults (what a trading day really produces)."""
    from kiteconnect import KiteConnect

    from op_trading.analytics.live import LiveAnalytics
    from op_trading.analytics.participant_import import ParticipantImporter
    from op_trading.collectors.baselines import DayBaselines
    from op_trading.collectors.cycle import Collector
    from op_trading.collectors.iv import AnalyticsIv
    from op_trading.collectors.market_data import MarketData
    from op_trading.config.settings import load_settings
    from op_trading.market.indices import OPTION_INDICES, selected
    from op_trading.market.instruments import InstrumentCache
    from op_trading.sandbox import participants as sim
    from op_trading.sandbox.server import Sandbox
    from op_trading.storage.schema import points_from_records

    folder = tmp_path / "participants"
    config = load_settings("development", {**(ALERTY if low_thresholds else {}), "PARTICIPANT_DATA_DIR": str(folder),
                                           **(settings_overrides or {})})
    write_records = write_records or store.write
    universe = selected(indices) if indices else OPTION_INDICES
    sandbox = Sandbox(port=0, seed=42, speed=0.0, rate_limits=False, start_at=f"{SESSION_DAY} 09:15:00").start()
    session = Session(days=(SESSION_DAY, NEXT_DAY))
    try:
        kite = KiteConnect(api_key=sandbox.api_key, access_token=sandbox.issue_access_token(), root=sandbox.url)
        collector = Collector(kite.quote, MarketData(kite.instruments, InstrumentCache(None), universe),
                              DayBaselines(tmp_path / "state", "mock"), AnalyticsIv(), source="mock",
                              clock=sandbox.clock.now)
        live = LiveAnalytics.from_settings(config, store)

        def cycle(moment: datetime):
            sandbox.clock.set(moment, speed=0)
            result = collector.run_cycle()
            points, problems = points_from_records(result.legs + result.overviews)
            assert problems == [], problems
            write_records(points)
            session.cycles += 1
            return result

        sim.write_history(folder, SESSION_DAY - timedelta(days=1), 3)
        ParticipantImporter.from_settings(config, store=store).run(SESSION_DAY, alerts=live.alerts)
        moment = at(SESSION_DAY, 9, 20)
        for _ in range(cycles):
            result = cycle(moment)
            live.on_cycle(result.legs, result.overviews)
            moment += step
        sim.write_day(folder, SESSION_DAY)  # NSE publishes the day's files after the close
        ParticipantImporter.from_settings(config, store=store).run(NEXT_DAY, alerts=live.alerts)
        live.tick(at(NEXT_DAY, 8, 0))  # the pre-market capture
        cycle(at(NEXT_DAY, 9, 15, 30))
        live.tick(at(NEXT_DAY, 9, 16))  # the overnight gap, once the market is open
    finally:
        sandbox.stop()
    session.points = list(getattr(store, "points", []))
    return session
