"""Analytics the service runs after every collection cycle (LIVE_ANALYTICS_ENABLED), on their own thread.

Collection never waits for analytics: `AnalyticsWorker.submit(report)` only swaps the latest cycle into a one-slot
mailbox and returns. The worker thread analyses whatever is in the slot when it is free, so a slow pass is followed
by the LATEST cycle (the ones that arrived meanwhile are dropped and counted in `skipped`), never a queue of stale
ones. Alerts go to the `deliver(alerts)` callable the owner passes (the service's notifier); it is called from the
worker thread, never from collection. Views read `snapshot()` (the last pass's tables and lines), never recompute.

The analyzers' store is opened in the worker thread (the embedded store's connection belongs to the thread that
opened it) through `open_analytics_store(settings)`: reads from the embedded store, writes fanned out to every
configured sink (InfluxDB with its own spool, so the collection's spool is never shared between threads).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)
RECENT_LINES = 20


# ----------------------------------------------------------------------------------------------- one write path
class AnalyticsStore:
    """Writes to every sink (each keeps its own spool-and-replay and bucket routing); reads from the embedded store.

    Analytics are duck-typed on `write(points)` / `query(...)` / `latest(...)`, so this stands in for the store."""

    def __init__(self, sinks: list, reader: Any, own_reader: bool = False) -> None:
        self.sinks, self.reader, self._own_reader = list(sinks), reader, own_reader
        self.results: deque = deque(maxlen=50)  # the last WriteResults, for health and tests

    def write(self, points) -> list:
        points = list(points)
        results = [sink.write(points) for sink in self.sinks]
        self.results.extend(results)
        for result in results:
            if not result.ok:
                log.warning("analytics write: %s", result.summary())
        return results

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        if self._own_reader:
            self.reader.close()

    def __getattr__(self, name: str):  # query, latest, count, series, ... of the embedded store
        return getattr(self.reader, name)


def open_analytics_store(settings) -> AnalyticsStore:
    """The analytics' store: the sinks of STORAGE_SINKS (InfluxDB spooling to spool/influxdb-analytics), reading
    from the embedded store (opened for reading only when STORAGE_SINKS leaves it out)."""
    from op_trading.storage import open_sinks, open_store

    sinks = open_sinks(settings)
    for index, sink in enumerate(sinks):
        if sink.name == "influxdb":  # the collection's sink keeps its spool; this one gets its own directory
            sink.close()
            sinks[index] = _analytics_influx(settings)
    reader = next((sink for sink in sinks if sink.name == "embedded"), None)
    if reader is None:
        return AnalyticsStore(sinks, open_store(settings), own_reader=True)
    return AnalyticsStore(sinks, reader)


def _analytics_influx(settings):
    from op_trading.storage.influx import InfluxSink, default_routes

    return InfluxSink(settings["INFLUXDB_URL"], settings.get("INFLUXDB_TOKEN", ""), settings["INFLUXDB_ORG"],
                      settings["INFLUXDB_BUCKET"], settings["INFLUXDB_BATCH_SIZE"],
                      settings.path("DATA_DIR") / "spool" / "influxdb-analytics", routes=default_routes(settings),
                      spool_max_mb=settings["SPOOL_MAX_MB"])


# ----------------------------------------------------------------------------------------------- the analyzer
class CycleAnalyzer:
    """LiveAnalytics over a cycle report; built lazily in the thread that calls it (see the module text)."""

    def __init__(self, settings, store: Any = None) -> None:
        self.settings = settings
        self.live: Any = None
        self.store: Any = store
        self._own_store = store is None
        self.last: Any = None
        self.premarket_note: str = ""

    def analyze(self, report) -> tuple[list, list[str]]:
        """(alerts raised this cycle, other lines worth showing) for one cycle report."""
        cycle = getattr(report, "cycle", None)
        if cycle is None:
            return [], []
        if self.live is None:
            from op_trading.analytics.live import LiveAnalytics

            if self.store is None:
                self.store = open_analytics_store(self.settings)
            self.live = LiveAnalytics.from_settings(self.settings, self.store)
        self.last = self.live.on_cycle(cycle.legs, cycle.overviews, getattr(report, "chain", None))
        notes = []
        tick = self.live.tick(self.last.as_of)
        if tick is not None:
            self.premarket_note = tick.message
            notes.append(f"pre-market: {tick.message}")
        return list(self.last.alerts), notes

    def __call__(self, report) -> list[str]:
        alerts, notes = self.analyze(report)
        return [alert_line(alert) for alert in alerts] + notes

    def tables(self, timeframe: str | None = None) -> list:
        if self.live is None or self.last is None:
            return []
        return self.live.tables(self.last, timeframe)

    def close(self) -> None:
        if self.store is not None and self._own_store:
            self.store.close()
            self.store = None


def alert_line(alert: Any) -> str:
    return f"ALERT [{getattr(alert.severity, 'value', alert.severity)}] {alert.message}"


def cycle_analyzers(settings) -> list:
    return [CycleAnalyzer(settings)] if settings["LIVE_ANALYTICS_ENABLED"] else []


# ----------------------------------------------------------------------------------------------- the worker
@dataclass
class AnalyticsSnapshot:
    """What views read: the last finished pass (never recomputed by the view)."""

    cycle_number: int | None = None
    as_of: Any = None
    tables: list = field(default_factory=list)
    lines: tuple[str, ...] = ()
    pass_ms: float | None = None
    passes: int = 0
    skipped: int = 0  # cycles superseded by a newer one while a pass ran (coalesced)


class AnalyticsWorker:
    """`AnalyticsWorker(settings, analyzers=None, deliver=None)`; `start()` / `submit(report)` / `stop()`, or
    `run(stop_event)` as a supervised component. `deliver(alerts)` receives each pass's alerts (alert objects with
    severity/message); exceptions there are logged, never raised into analytics or collection."""

    def __init__(self, settings, analyzers: list | None = None, deliver: Callable[[list], Any] | None = None,
                 on_lines: Callable[[list[str]], Any] | None = None) -> None:
        self.settings = settings
        self.analyzers = cycle_analyzers(settings) if analyzers is None else list(analyzers)
        self.deliver, self.on_lines = deliver, on_lines
        self.pass_ms: deque[float] = deque(maxlen=500)  # recent pass times, for benchmarks and health
        self._slot: Any = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._snapshot = AnalyticsSnapshot()
        self._recent: deque[str] = deque(maxlen=RECENT_LINES)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "AnalyticsWorker":
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="op-analytics", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            deadline = time.monotonic() + wait
            while self._thread.is_alive() and time.monotonic() < deadline:
                self._thread.join(0.2)

    def submit(self, report: Any) -> None:
        """Hand over the latest cycle; never blocks (a cycle still waiting is replaced and counted as skipped)."""
        with self._lock:
            if self._slot is not None:
                self._snapshot.skipped += 1
            self._slot = report
            self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once every submitted cycle was analysed or superseded (for tests and the one-off `collect`)."""
        return self._idle.wait(timeout)

    def run(self, stop_event: threading.Event) -> None:
        """The worker loop: analyse the slot's cycle whenever there is one, until `stop_event` (or stop())."""
        try:
            while not (stop_event.is_set() or self._stop.is_set()):
                report = self._take()
                if report is None:
                    self._wake.wait(0.5)
                    self._wake.clear()  # the slot is looked at again before any wait
                    continue
                self._pass(report)
        finally:
            for analyzer in self.analyzers:  # their stores belong to this thread
                getattr(analyzer, "close", lambda: None)()
            self._idle.set()

    def _take(self) -> Any:
        with self._lock:
            report, self._slot = self._slot, None
            if report is None:
                self._idle.set()
            return report

    def _pass(self, report: Any) -> None:
        began = time.perf_counter()
        alerts, lines = [], []
        for analyzer in self.analyzers:
            try:
                found, notes = _analyze(analyzer, report)
                alerts += found
                lines += notes
            except Exception as error:  # one failing analyzer never stops the others or collection
                from op_trading.errortext import error_line

                log.exception("analyzer failed")
                lines.append(f"analytics error: {error_line(error)}")
        elapsed = (time.perf_counter() - began) * 1000
        self.pass_ms.append(elapsed)
        self._recent.extend([alert_line(alert) for alert in alerts] + lines)
        self._publish(report, elapsed)
        self._hand_over(alerts, [alert_line(alert) for alert in alerts] + lines)

    def _publish(self, report: Any, elapsed: float) -> None:
        tables = []
        for analyzer in self.analyzers:
            try:
                tables.extend(getattr(analyzer, "tables", lambda: [])())
            except Exception:
                log.exception("analytics tables failed")
        cycle = getattr(report, "cycle", None)
        old = self._snapshot
        self._snapshot = AnalyticsSnapshot(getattr(report, "number", None), getattr(cycle, "timestamp", None),
                                           tables, tuple(self._recent), elapsed, old.passes + 1, old.skipped)

    def _hand_over(self, alerts: list, lines: list[str]) -> None:
        for target, payload in ((self.deliver, alerts), (self.on_lines, lines)):
            if target is not None and payload:
                try:
                    target(payload)
                except Exception:  # delivery problems are the notifier's to report
                    log.exception("analytics hand-over failed")

    # -- observation -----------------------------------------------------------------------------------------
    def snapshot(self) -> AnalyticsSnapshot:
        """The last finished pass (an immutable-by-convention object swapped whole, safe to read from any thread)."""
        return self._snapshot

    def tables(self) -> list:
        return list(self._snapshot.tables)


def _analyze(analyzer: Any, report: Any) -> tuple[list, list[str]]:
    if hasattr(analyzer, "analyze"):
        return analyzer.analyze(report)
    lines = list(analyzer(report) or ())  # a plain callable returning lines (tests, simple add-ons)
    return [], lines


def latest_state(worker: AnalyticsWorker | None) -> AnalyticsSnapshot:
    """What the API and terminal views show: the worker's last pass (empty before the first one)."""
    return worker.snapshot() if worker is not None else AnalyticsSnapshot()


def run_inline(analyzers: Iterable[Any], report: Any) -> list[str]:
    """One pass in the caller's thread (the one-off `collect` command, where nothing else waits on the cycle)."""
    lines = []
    for analyzer in analyzers:
        alerts, notes = _analyze(analyzer, report)
        lines += [alert_line(alert) for alert in alerts] + notes
    return lines
