"""The long-running service: collection on its schedule, analytics and alerts after each cycle, health checks,
metrics — in background threads, observable through `snapshot()` and stopped with `stop()`.

The UI shows `snapshot()` as a live view (Production > deployment) or prints it headless; the service itself never
prints. Collection stops by itself when Kite rejects the token (one clear message); the service then stops too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from op_trading.errortext import error_line
from op_trading.outcome import Check, Outcome, Status, Table, failed, from_checks
from op_trading.runtime.metrics import MetricsServer, service_metrics
from op_trading.runtime.views import overview_table

log = logging.getLogger(__name__)
RECENT_LINES = 8
SCHEDULE_SECONDS = 30


class Service:
    def __init__(self, settings, cycles: int | None = None, analyzers: list | None = None,
                 faces: list | None = None) -> None:
        self.settings = settings
        self.faces = list(faces or ())  # e.g. the API (op_trading.api.server.ApiFace): start(service), on_cycle, stop
        self.cycles = cycles
        self.metrics = service_metrics()
        self.analyzers = analyzers if analyzers is not None else default_analyzers(settings)
        self.stop_event = threading.Event()
        self.outcome: Outcome | None = None
        self.last_report: Any = None
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)
        self.health: list[Check] = []
        self._threads: list = []  # runtime.worker.Worker: stop() waits on their events, never on Thread.join
        self._metrics_server: MetricsServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> "Service":
        for face in self.faces:  # first: a face that cannot start (port taken) leaves nothing running
            face.start(self)
        port = self.settings["METRICS_PORT"]
        if port:
            self._metrics_server = MetricsServer(self.metrics, port).start()
        if self.settings["EMBEDDED_RAW_RETENTION_DAYS"]:  # thinned in its own thread, never in collection's
            from op_trading.storage.retention import start_background
            start_background(self.settings)
        self._spawn("collection", self._collect)
        self._spawn("health", self._health_loop)
        if self.settings["DATA_SOURCE_MODE"] == "live" and self.settings["PREMARKET_CAPTURE_ENABLED"]:
            self._spawn("schedule", self._schedule_loop)  # mock data follows the simulator's clock instead
        return self

    def stop(self, wait: float = 30.0) -> None:
        from op_trading.runtime.worker import wait_for

        self.stop_event.set()
        deadline = time.monotonic() + wait
        for worker in self._threads:  # waits through Ctrl-C: the current cycle finishes its writes
            wait_for(worker, self.stop_event, timeout=max(deadline - time.monotonic(), 0.0))
        if self._metrics_server:
            self._metrics_server.stop()
            self._metrics_server = None
        for face in self.faces:
            face.stop()

    def finished(self) -> bool:
        return self.outcome is not None

    def _spawn(self, name: str, target) -> None:
        from op_trading.runtime.worker import Worker

        self._threads.append(Worker(target, f"op-{name}").start())

    # -- work --------------------------------------------------------------------------------------------------
    def _collect(self) -> None:
        from op_trading.runtime.collect import run_collection

        try:
            self.outcome = run_collection(self.settings, cycles=self.cycles, stop_event=self.stop_event,
                                          on_cycle=self._on_cycle)
        except Exception as error:  # the service reports, it does not die silently
            log.exception("collection stopped")
            self.outcome = failed(f"collection stopped: {error_line(error)}")
        finally:
            self.stop_event.set()
            for analyzer in self.analyzers:  # the analyzers' store belongs to this thread
                getattr(analyzer, "close", lambda: None)()

    def _on_cycle(self, report) -> None:
        self.last_report = report
        for face in self.faces:
            face.on_cycle(report)
        self.recent.append(report.line())
        log.info("%s", report.line())
        if report.cycle is None:
            self.metrics.inc("op_cycle_failures_total")
            return
        stats = report.cycle.stats
        self.metrics.inc("op_cycles_total")
        chain = getattr(report, "chain", None)
        self.metrics.inc("op_quote_calls_total", stats.quote_calls + (chain.stats.quote_calls if chain else 0))
        self.metrics.inc("op_points_written_total", sum(write.written for write in report.writes))
        self.metrics.inc("op_points_spooled_total", sum(write.spooled for write in report.writes))
        self.metrics.set("op_cycle_seconds", stats.wall_ms / 1000)
        self.metrics.set("op_last_cycle_timestamp_seconds", time.time())
        for analyzer in self.analyzers:
            try:
                for line in analyzer(report) or ():
                    self.recent.append(line)
                    if line.startswith("ALERT"):
                        self.metrics.inc("op_alerts_total")
            except Exception as error:  # analytics must never stop collection
                log.exception("analyzer failed")
                self.recent.append(f"analytics error: {error_line(error)}")

    def _health_loop(self) -> None:
        interval = self.settings["HEALTH_CHECK_INTERVAL_SECONDS"]
        while not self.stop_event.is_set():
            self.health = health_checks(self.settings)
            healthy = all(check.status is not Status.FAILED for check in self.health)
            self.metrics.set("op_health_ok", 1 if healthy else 0)
            token_ok = any(check.name == "Kite token" and check.status is Status.OK for check in self.health)
            self.metrics.set("op_kite_token_valid", 1 if token_ok else 0)
            if self.stop_event.wait(interval):
                return

    def _schedule_loop(self) -> None:
        """Work on the wall clock while collection sleeps: the pre-market capture at PREMARKET_CAPTURE_TIME."""
        from op_trading.analytics.premarket import PremarketCapture
        from op_trading.market.calendar import now_ist
        from op_trading.storage import open_store

        store = open_store(self.settings)  # this thread's own connection
        try:
            capture = PremarketCapture.from_settings(self.settings, store)
            while True:
                result = capture.tick(now_ist())
                if result is not None:
                    self.recent.append(f"pre-market: {result.message}")
                    log.info("pre-market capture: %s", result.message)
                if self.stop_event.wait(SCHEDULE_SECONDS):
                    return
        except Exception:  # the scheduler reports, it never takes the service down
            log.exception("scheduler stopped")
        finally:
            store.close()

    # -- observation -------------------------------------------------------------------------------------------
    def snapshot(self) -> Outcome:
        status = Table("Service", ("measure", "value"), (
            ("data source", self.settings["DATA_SOURCE_MODE"]),
            ("cycles", int(self.metrics.value("op_cycles_total"))),
            ("failed cycles", int(self.metrics.value("op_cycle_failures_total"))),
            ("quote calls", int(self.metrics.value("op_quote_calls_total"))),
            ("points written", int(self.metrics.value("op_points_written_total"))),
            ("points spooled", int(self.metrics.value("op_points_spooled_total"))),
            ("metrics", f"http://127.0.0.1:{self.settings['METRICS_PORT']}/metrics"
             if self.settings["METRICS_PORT"] else "off"),
        ))
        tables = [status]
        cycle = getattr(self.last_report, "cycle", None)
        if cycle is not None:
            tables.append(overview_table(cycle.records, cycle.timestamp))
        for analyzer in self.analyzers:
            tables.extend(getattr(analyzer, "tables", lambda: [])())
        if self.recent:
            tables.append(Table("Recent", ("event",), tuple((line,) for line in self.recent)))
        checks = tuple(self.health)
        if self.outcome is not None:
            return Outcome(self.outcome.status, self.outcome.message, checks=checks, tables=tuple(tables))
        return from_checks(list(checks), "running — Ctrl-C stops", tables=tuple(tables))


def health_checks(settings) -> list[Check]:
    """Kite token, storage servers and cache, as the service sees them now."""
    from op_trading.kite.tokens import token_state
    from op_trading.services.bootstrap import influx_checks, redis_checks

    checks = []
    if settings["DATA_SOURCE_MODE"] == "live":
        state = token_state(settings)
        checks.append(Check("Kite token", Status.OK if state.usable else Status.FAILED, state.summary))
    if settings["INFLUXDB_URL"]:
        checks += [check for check in influx_checks(settings) if check.name.lower().startswith(("influx", "health"))]
    if settings["REDIS_URL"]:
        checks += redis_checks(settings)[:1]
    return checks


def default_analyzers(settings) -> list:
    """Per-cycle analytics (chain metrics, alerts) when the analytics package provides them."""
    from op_trading.runtime.analysis import cycle_analyzers

    return cycle_analyzers(settings)
