"""Analytics against a long stored history: the first pass after a restart and each following cycle's analytics.

    measure(data_dir, end, cycles) -> (restart_seconds, per_cycle_ms_list)

opens the embedded store of `data_dir` (DATA_DIR), builds the service's analytics afresh (a restart: nothing in
memory) and runs `cycles` collection cycles of the default universe from the simulator, starting 30 minutes after
the open of the first session after `end`. Each cycle's records are written to the store first (as collection
does); only the analytics are timed: `restart_seconds` is the first pass (seeding included), the list holds the
following passes in ms. helper "store"'s bench_history.py imports it; `build_history` makes a history quickly by
running the simulator, the collector and the same analytics over chosen cycles of each day.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

from op_trading.market.calendar import market_open_at, next_session_open, trading_days

DAY_START, DAY_END = (9, 15), (15, 30)


class SimFeed:
    """The simulator, the official kiteconnect client and the collector, driven slot by slot (speed 0)."""

    def __init__(self, start: datetime, state_dir: Path, indices: str | None = None) -> None:
        from kiteconnect import KiteConnect

        from op_trading.collectors.baselines import DayBaselines
        from op_trading.collectors.cycle import Collector
        from op_trading.collectors.iv import AnalyticsIv
        from op_trading.collectors.market_data import MarketData
        from op_trading.market.indices import OPTION_INDICES, selected
        from op_trading.market.instruments import InstrumentCache
        from op_trading.sandbox.server import Sandbox

        self.sandbox = Sandbox(port=0, seed=42, speed=0.0, rate_limits=False, start_at=start).start()
        kite = KiteConnect(api_key=self.sandbox.api_key, access_token=self.sandbox.issue_access_token(),
                           root=self.sandbox.url)
        universe = selected(indices) if indices else OPTION_INDICES
        self.collector = Collector(kite.quote, MarketData(kite.instruments, InstrumentCache(None), universe),
                                   DayBaselines(state_dir, "mock"), AnalyticsIv(), source="mock",
                                   clock=self.sandbox.clock.now)

    def cycle(self, moment: datetime):
        self.sandbox.clock.set(moment, speed=0)
        return self.collector.run_cycle()

    def stop(self) -> None:
        self.sandbox.stop()


def analytics_settings(data_dir: Path):
    from op_trading.config.settings import load_settings

    return load_settings("development", {"DATA_DIR": str(data_dir), "DATA_SOURCE_MODE": "mock",
                                         "STORAGE_SINKS": "embedded", "CHAIN_SNAPSHOT_SECONDS": "0"})


def day_slots(day: date, cycles_per_day: int) -> list[datetime]:
    """`cycles_per_day` 30-second slots spread over the session (750 = every slot)."""
    first = market_open_at(day)
    total = ((DAY_END[0] - DAY_START[0]) * 3600 + (DAY_END[1] - DAY_START[1]) * 60) // 30
    step = max(1, total // max(1, cycles_per_day))
    return [first + timedelta(seconds=30 * slot) for slot in range(0, total, step)][:cycles_per_day]


def _write_cycle(store, result) -> None:
    from op_trading.storage.schema import points_from_records

    points, _ = points_from_records(result.legs + result.overviews)
    store.write(points)


def build_history(data_dir: Path, days: int, cycles_per_day: int, last_day: date,
                  progress=lambda text: None) -> datetime:
    """`days` trading days ending on `last_day` collected and analysed into DATA_DIR's store; returns the last
    stored cycle's time (pass it to `measure` as `end`)."""
    from op_trading.analytics.live import LiveAnalytics
    from op_trading.storage import open_store

    settings = analytics_settings(data_dir)
    calendar_days = trading_days(last_day - timedelta(days=days * 2 + 10), last_day)[-days:]
    feed = SimFeed(market_open_at(calendar_days[0]), data_dir / "state" / "baselines")
    store = open_store(settings)
    live = LiveAnalytics.from_settings(settings, store)
    moment = None
    try:
        for number, day in enumerate(calendar_days, 1):
            for moment in day_slots(day, cycles_per_day):
                result = feed.cycle(moment)
                _write_cycle(store, result)
                live.on_cycle(result.legs, result.overviews)
            progress(f"day {number}/{len(calendar_days)} ({day})")
        store.flush()
    finally:
        store.close()
        feed.stop()
    return moment


def measure(data_dir: Path, end: datetime, cycles: int) -> tuple[float, list[float]]:
    """(first analytics pass after a restart in s, the following passes in ms) over `cycles` cycles after `end`."""
    from op_trading.analytics.live import LiveAnalytics
    from op_trading.storage import open_store

    settings = analytics_settings(Path(data_dir))
    start = next_session_open(end) + timedelta(minutes=30)
    feed = SimFeed(start, Path(data_dir) / "state" / "baselines-measure")
    store = open_store(settings)
    restart, per_cycle = 0.0, []
    try:
        live = LiveAnalytics.from_settings(settings, store)
        for number in range(cycles):
            result = feed.cycle(start + timedelta(seconds=30 * number))
            _write_cycle(store, result)
            began = time.perf_counter()
            live.on_cycle(result.legs, result.overviews)
            elapsed = time.perf_counter() - began
            if number == 0:
                restart = elapsed
            else:
                per_cycle.append(elapsed * 1000)
    finally:
        store.close()
        feed.stop()
    return restart, per_cycle

