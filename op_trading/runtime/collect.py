"""Run collection: live Kite or the in-process simulator, cycles into the configured sinks, one result at the end.

`run_collection(settings, cycles=None, stop_event=None, on_cycle=callback)` is what the menus, the `collect`
command and the long-running service call. It never prints: each cycle (or failed cycle) is handed to `on_cycle`
as a `CycleReport`, and the run ends with an `Outcome`.

* DATA_SOURCE_MODE=live: the stored Kite token (AuthRequired when there is none). DATA_SOURCE_MODE=mock: a
  simulator started in this process on a free port; every record says source=mock and the outcome says so.
* MOCK_FALLBACK_ENABLED (development only): when the live session cannot be opened, collect from the simulator
  instead, labelled mock everywhere and warned about. Refused in production mode. A token rejected in the middle
  of a run is never papered over with mock data: the run stops and says to log in again.
* `cycles=None` runs until `stop_event` is set, following market hours and holidays; a given number of cycles
  (the one-off `collect` command) runs at once whatever the hour, unless `market_hours=True` is passed. Failed
  cycles count towards that number, and such a run stops (exit 1, with the last error) after MAX_FAILURES_IN_A_ROW
  failed cycles in a row.
* Restarts continue, they never collect a stored time again (the embedded store would overwrite it while the CSV
  files keep the first values, and a different ATM would add a second set of legs): the simulator's clock starts at
  the slot after the newest stored mock data (or at the next session's open when that slot is past the close), and
  a cycle whose slot is already stored waits for the next boundary.
* Full option chain snapshots (CHAIN_SNAPSHOT_SECONDS, CHAIN_STRIKE_WINDOW): taken after a cycle's records are
  written, attached to its report as `report.chain` for the analytics, never stored raw. Their quote calls are
  counted apart from the cycle's (whose target is one call); a failed snapshot is a warning, never a failed cycle.
"""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from op_trading.errortext import error_line
from op_trading.market.calendar import to_ist
from op_trading.outcome import Check, ExitCode, Outcome, Status, Table, failed, ok, warn

log = logging.getLogger(__name__)

ANALYTICS_DRAIN_SECONDS = 120  # at the end of a run, how long the last analytics pass may take
MOCK_LABEL = "MOCK DATA (local simulator, not market data)"


@dataclass
class Feed:
    """Where quotes come from for this run."""

    source: str  # "live" / "mock"
    kite: Any
    clock: Any  # LoopClock
    checks: list[Check] = field(default_factory=list)
    persistent_cache: bool = True  # live dumps are cached on disk per day; simulator dumps stay in memory


@dataclass
class CycleReport:
    number: int
    source: str
    cycle: Any = None  # CycleResult, None when the cycle failed
    writes: list = field(default_factory=list)  # WriteResult per sink
    problems: list[str] = field(default_factory=list)  # records that could not become points
    error: str = ""
    chain: Any = None  # ChainSnapshot taken after this cycle, when one was due and it worked
    warnings: list[str] = field(default_factory=list)  # e.g. a chain snapshot that failed; the cycle still counts

    @property
    def ok(self) -> bool:
        return not self.error and not self.problems and all(write.ok for write in self.writes)

    def line(self) -> str:
        """One line for a console or log: time, counts, calls, timings, sinks."""
        if self.cycle is None:
            return f"cycle {self.number} failed: {self.error}"
        stats = self.cycle.stats
        sinks = "; ".join(write.summary() for write in self.writes) or "no sinks"
        chain = f" {self.chain.summary()}" if self.chain is not None else ""
        warnings = "".join(f" | {warning}" for warning in self.warnings)
        return (f"{self.cycle.timestamp} [{self.source}] legs={stats.legs} ov={stats.overviews} "
                f"quote_calls={stats.quote_calls} wall={stats.wall_ms:.0f}ms cpu={stats.cpu_ms:.1f}ms "
                f"net={stats.network_ms:.0f}ms{chain} | {sinks}{warnings}")


@dataclass
class Totals:
    cycles: int = 0
    failed_cycles: int = 0
    legs: int = 0
    overviews: int = 0
    quote_calls: int = 0
    api_calls: int = 0
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    max_wall_ms: float = 0.0
    sink_failures: int = 0
    snapshots: int = 0
    snapshot_options: int = 0
    snapshot_quote_calls: int = 0  # never part of quote_calls: the cycle's own budget is one call
    warnings: set = field(default_factory=set)

    def add(self, report: CycleReport) -> None:
        if report.cycle is None:
            self.failed_cycles += 1
            return
        stats = report.cycle.stats
        self.cycles += 1
        self.legs += stats.legs
        self.overviews += stats.overviews
        self.quote_calls += stats.quote_calls
        self.api_calls += stats.api_calls
        self.wall_ms += stats.wall_ms
        self.cpu_ms += stats.cpu_ms
        self.max_wall_ms = max(self.max_wall_ms, stats.wall_ms)
        self.sink_failures += sum(write.failed for write in report.writes) + len(report.problems)
        if report.chain is not None:
            self.snapshots += 1
            self.snapshot_options += report.chain.size
            self.snapshot_quote_calls += report.chain.stats.quote_calls
        if len(self.warnings) < 50:  # the same few warnings repeat every cycle; keep memory flat
            self.warnings.update(report.cycle.warnings + report.warnings)


class CollectionSession:
    """Runs a collector cycle, writes the records to every sink, takes a chain snapshot when one is due (through
    `snapshotter.after_cycle(result)`), reports, and keeps totals."""

    def __init__(self, collector: Any, sinks: list, source: str, on_cycle: Callable[[CycleReport], None] | None,
                 snapshotter: Any = None):
        self.collector, self.sinks, self.source, self.on_cycle = collector, sinks, source, on_cycle
        self.snapshotter = snapshotter
        self.totals = Totals()
        self._number = 0

    def run_cycle(self) -> CycleReport:
        from op_trading.storage.schema import points_from_records

        result = self.collector.run_cycle()
        points, problems = points_from_records(result.records)
        writes = [sink.write(points) for sink in self.sinks]
        chain, warnings = self._snapshot(result)
        return self._report(CycleReport(self._number + 1, self.source, result, writes, problems, chain=chain,
                                        warnings=warnings))

    def _snapshot(self, result: Any) -> tuple[Any, list[str]]:
        """The chain snapshot due after this cycle (None when not due) and its warnings; a failure is a warning
        because the cycle's records are already written (a lost session shows at the next cycle's own call)."""
        if self.snapshotter is None:
            return None, []
        try:
            chain = self.snapshotter.after_cycle(result)
        except Exception as error:
            log.warning("chain snapshot failed: %s", error_line(error))
            return None, [f"chain snapshot failed: {error_line(error)}"]
        if chain is None:
            return None, []
        from op_trading.storage.chains import write_snapshot_to

        # kept in the store (option_chain, option_chain_snapshot) so any past chain can be served
        return chain, list(chain.warnings) + write_snapshot_to(self.sinks, chain)

    def failed(self, error: BaseException) -> None:
        self._report(CycleReport(self._number + 1, self.source, error=error_line(error)))

    def _report(self, report: CycleReport) -> CycleReport:
        self._number += 1
        self.totals.add(report)
        if self.on_cycle:
            self.on_cycle(report)
        return report


def run_collection(settings, cycles: int | None = None, stop_event: threading.Event | None = None,
                   on_cycle: Callable[[CycleReport], None] | None = None,
                   market_hours: bool | None = None, feed: Feed | None = None,
                   leave_when_closed: bool = False, analytics: bool | None = None) -> Outcome:
    """Collect `cycles` cycles (None: until `stop_event`), write them to the sinks, return what happened.

    The service passes its own `feed` (its clock, its client) and `leave_when_closed=True`: the run then ends when
    the market closes (data["reason"] == "closed") and the service waits for the next session itself.
    `analytics` (default LIVE_ANALYTICS_ENABLED) runs the per-cycle analytics on their own worker, as the service
    does, so the `collect` command exercises the whole pipeline; the service passes False (it has its own worker)."""
    from op_trading.collectors.loop import MAX_FAILURES_IN_A_ROW, run_loop
    from op_trading.storage import StorageConfigError, open_sinks

    with ExitStack() as stack:
        try:
            sinks = open_sinks(settings)
        except StorageConfigError as error:
            return failed(str(error), exit_code=ExitCode.USAGE)
        for sink in sinks:
            stack.callback(sink.close)
        interval = settings["COLLECTION_INTERVAL_SECONDS"]
        stored: dict[str, datetime | None] = {}

        def stored_time(source: str) -> datetime | None:
            if source not in stored:
                stored[source] = last_stored_time(sinks, source)
            return stored[source]

        feed = feed or _open_feed(settings, stack, stored_time)
        if isinstance(feed, Outcome):
            return feed
        collector = build_collector(settings, feed)
        on_cycle = _with_analytics(settings, stack, on_cycle, analytics)
        session = CollectionSession(collector, sinks, feed.source, on_cycle, build_snapshotter(settings, collector))
        result = run_loop(session.run_cycle, interval=interval, clock=feed.clock,
                          cycles=cycles, stop_event=stop_event, on_error=session.failed,
                          market_hours=cycles is None if market_hours is None else market_hours,
                          max_failures_in_a_row=None if cycles is None else MAX_FAILURES_IN_A_ROW,
                          not_before=slot_after_stored(stored_time(feed.source), feed.clock.now(), interval),
                          leave_when_closed=leave_when_closed)
        for sink in sinks:
            sink.flush()
        return _outcome(result, session.totals, feed)


def _with_analytics(settings, stack: ExitStack, on_cycle: Callable[[CycleReport], None] | None,
                    analytics: bool | None) -> Callable[[CycleReport], None] | None:
    """`on_cycle` that also hands each cycle to an analytics worker (started here, drained and stopped at the end)."""
    if not (settings["LIVE_ANALYTICS_ENABLED"] if analytics is None else analytics):
        return on_cycle
    from op_trading.runtime.analysis import AnalyticsWorker

    worker = AnalyticsWorker(settings).start()

    def finish() -> None:
        worker.wait_idle(ANALYTICS_DRAIN_SECONDS)  # the last cycle's pass completes before the sinks close
        worker.stop()

    stack.callback(finish)

    def both(report: CycleReport) -> None:
        worker.submit(report)
        if on_cycle is not None:
            on_cycle(report)

    return both


def last_stored_time(sinks: list, source: str) -> datetime | None:
    """The newest cycle time the sinks hold: readers (the embedded store) for `source`, the CSV files (which carry
    no source) whatever their source. None when nothing is stored. Readers are asked for the overviews: every cycle
    writes them, and they are a handful of series (the legs are thousands after a few months)."""
    from op_trading.storage.schema import OVERVIEW_MEASUREMENT

    times = []
    for sink in sinks:
        if hasattr(sink, "latest"):
            row = sink.latest(OVERVIEW_MEASUREMENT, {"source": source})
            times += [to_ist(row["time"])] if row else []
        elif hasattr(sink, "newest_time"):
            newest = sink.newest_time()
            times += [to_ist(newest)] if newest else []
    return max(times, default=None)


def slot_after_stored(stored: datetime | None, now: datetime, interval: int) -> datetime | None:
    """The boundary the first cycle must wait for when the current slot is already stored (a quick restart)."""
    if stored is None:
        return None
    following = stored + timedelta(seconds=interval)
    return following if stored <= to_ist(now) < following else None


def mock_start(stored: datetime | None, interval: int) -> datetime | None:
    """Where the simulator's clock starts: the slot after the newest stored mock data when that is not older than
    the simulator's own session (the one it would start in: now in market hours, else the latest); past the close,
    the next session's open. None keeps the simulator's default.

    The session, not the moment: stored times are floored to their slot and a quick restart happens seconds later,
    so in market hours the newest stored slot is often a little before "now" and must still be continued."""
    from op_trading.market.calendar import is_market_open, latest_session_day, market_open_at, next_session_open
    from op_trading.sandbox.clock import default_start

    if stored is None or stored < market_open_at(latest_session_day(default_start())):
        return None
    following = stored + timedelta(seconds=interval)
    return following if is_market_open(following) else next_session_open(following)


def build_collector(settings, feed: Feed):
    """A Collector wired to the feed's Kite client (every call through the shared limiter) and the settings."""
    from op_trading.collectors.baselines import DayBaselines
    from op_trading.collectors.cycle import Collector
    from op_trading.collectors.iv import AnalyticsIv
    from op_trading.collectors.market_data import MarketData
    from op_trading.kite.client import call
    from op_trading.market.indices import selected
    from op_trading.market.instruments import InstrumentCache

    data_dir = settings.path("DATA_DIR")
    cache = InstrumentCache(data_dir / "cache" / "instruments" if feed.persistent_cache else None)
    market = MarketData(lambda exchange: call(feed.kite, "instruments", exchange), cache,
                        selected(settings["INDICES"]))
    raw_dir = data_dir / "debug" / "quotes" if settings["DEBUG_SAVE_RAW_QUOTES"] else None
    return Collector(lambda keys: call(feed.kite, "quote", keys), market,
                     DayBaselines(data_dir / "state" / "baselines", feed.source), AnalyticsIv.from_settings(settings),
                     offsets=settings["STRIKE_OFFSETS"], batch_size=settings["QUOTE_BATCH_SIZE"],
                     source=feed.source, clock=feed.clock.now, raw_quote_dir=raw_dir)


def build_snapshotter(settings, collector):
    """Chain snapshots every CHAIN_SNAPSHOT_SECONDS (0 = never) through the collector's quote function and state."""
    from op_trading.collectors.chain_snapshot import ChainSnapshotter

    return ChainSnapshotter.from_settings(settings, collector)


def _open_feed(settings, stack: ExitStack, stored: Callable[[str], datetime | None]) -> Feed | Outcome:
    """The feed of DATA_SOURCE_MODE; `stored(source)` is the newest stored time, where a simulator continues."""
    from op_trading.kite.errors import AuthRequired, KiteSetupError

    if settings["DATA_SOURCE_MODE"] == "mock":
        return open_mock_feed(settings, stack, stored("mock"))
    try:
        return open_live_feed(settings)
    except (AuthRequired, KiteSetupError) as error:
        if not settings["MOCK_FALLBACK_ENABLED"]:
            return failed(f"Live collection cannot start: {error_line(error)}", exit_code=ExitCode.AUTH_REQUIRED)
        if settings.mode == "production":
            return failed(f"Live collection cannot start: {error}. MOCK_FALLBACK_ENABLED is refused in "
                          "production mode: log in to Kite instead.", exit_code=ExitCode.AUTH_REQUIRED)
        feed = open_mock_feed(settings, stack, stored("mock"))
        feed.checks.insert(0, Check("Fallback to mock", Status.WARN,
                                    f"live Kite unavailable ({error}); MOCK_FALLBACK_ENABLED is on, so this run "
                                    "collects simulator data, labelled source=mock"))
        log.warning("live Kite unavailable (%s): collecting MOCK data from the local simulator", error)
        return feed


def open_live_feed(settings) -> Feed:
    from op_trading.collectors.loop import LoopClock
    from op_trading.kite.client import authenticated_kite

    kite = authenticated_kite(settings)
    return Feed("live", kite, LoopClock(), [Check("Data source", Status.OK, f"live Kite at {kite.root}")])


def open_mock_feed(settings, stack: ExitStack, stored: datetime | None = None) -> Feed:
    """A simulator in this process on a free port, stopped when the run ends; a client with a fresh token. Its clock
    continues after `stored` (the newest stored mock time), see `mock_start`."""
    from kiteconnect import KiteConnect

    from op_trading.collectors.loop import LoopClock
    from op_trading.kite.client import KiteCaller
    from op_trading.kite.retry import RetryPolicy
    from op_trading.sandbox import Sandbox

    # Port 0: a private simulator for this run, never clashing with one started from the menu on SIMULATOR_PORT.
    start = mock_start(stored, settings["COLLECTION_INTERVAL_SECONDS"])
    sandbox = Sandbox.from_settings(settings, port=0, rate_limits=True, start_at=start).start()
    stack.callback(sandbox.stop)
    kite = KiteConnect(api_key=sandbox.api_key, access_token=sandbox.issue_access_token(), root=sandbox.url,
                       timeout=settings["KITE_REQUEST_TIMEOUT_SECONDS"])
    kite._op_caller = KiteCaller(kite, policy=RetryPolicy.from_settings(settings))  # KITE_MAX_RETRIES holds here too
    clock = LoopClock(sandbox.clock.now, sandbox.clock.speed)
    began = sandbox.clock.now()
    clock_note = (f"continues at {began:%Y-%m-%d %H:%M:%S} IST, after the stored mock data" if start is not None
                  else f"starts at {began:%Y-%m-%d %H:%M:%S} IST")
    return Feed("mock", kite, clock, [Check("Data source", Status.WARN, f"{MOCK_LABEL} at {sandbox.url}"),
                                      Check("Simulated clock", Status.OK, clock_note)],
                persistent_cache=False)


def _outcome(result, totals: Totals, feed: Feed) -> Outcome:
    checks = list(feed.checks)
    checks += [Check("Warning", Status.WARN, text) for text in sorted(totals.warnings)[:10]]
    if totals.sink_failures:
        checks.append(Check("Storage", Status.WARN, f"{totals.sink_failures} points failed or were refused"))
    if result.errors:
        checks.append(Check("Failed cycles", Status.WARN, f"{result.errors}; last: {result.last_error}"))
    data = {"source": feed.source, "reason": result.reason, "cycles": totals.cycles, "errors": result.errors,
            "legs": totals.legs, "overviews": totals.overviews, "quote_calls": totals.quote_calls,
            "api_calls": totals.api_calls, "waits": result.waits[-5:], "snapshots": totals.snapshots,
            "snapshot_quote_calls": totals.snapshot_quote_calls}
    tables = (_summary_table(totals),) if totals.cycles else ()
    label = f" [{MOCK_LABEL}]" if feed.source == "mock" else ""
    if result.auth_failed:
        return failed(result.message + label, checks=tuple(checks), tables=tables, data=data,
                      exit_code=ExitCode.AUTH_REQUIRED)
    if result.reason == "failing":
        return failed(f"{result.message[0].upper()}{result.message[1:]}{label}", checks=tuple(checks), tables=tables,
                      data=data)
    message = (f"{totals.cycles} cycle(s) collected{label}: {totals.legs} legs, {totals.overviews} overviews, "
               f"{totals.quote_calls} quote call(s)")
    if totals.snapshots:
        message += f"; {totals.snapshots} chain snapshot(s) in {totals.snapshot_quote_calls} more quote call(s)"
    if result.reason == "stopped":
        message += " (stopped)"
    if totals.cycles == 0 and result.errors:
        return failed(f"No cycle succeeded: {result.last_error}", checks=tuple(checks), data=data)
    worrying = any(check.status == Status.WARN for check in checks)
    return (warn if worrying else ok)(message, checks=tuple(checks), tables=tables, data=data)


def _summary_table(totals: Totals) -> Table:
    per_cycle = totals.cycles or 1
    rows = (("cycles", totals.cycles), ("legs per cycle", round(totals.legs / per_cycle, 1)),
            ("quote calls per cycle", round(totals.quote_calls / per_cycle, 2)),
            ("API calls (incl. instrument dumps)", totals.api_calls),
            ("mean wall time per cycle (ms)", round(totals.wall_ms / per_cycle, 1)),
            ("max wall time (ms)", round(totals.max_wall_ms, 1)),
            ("mean CPU time excl. network (ms)", round(totals.cpu_ms / per_cycle, 2)))
    if totals.snapshots:
        rows += (("chain snapshots", totals.snapshots),
                 ("options per chain snapshot", round(totals.snapshot_options / totals.snapshots, 1)),
                 ("quote calls per chain snapshot", round(totals.snapshot_quote_calls / totals.snapshots, 2)))
    return Table("Collection", ("measure", "value"), rows)
