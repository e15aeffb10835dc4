"""The long-running service: all day, every trading day, unattended, until stopped.

Structure (see /work/wt/INTERFACES.md "service"): supervised component threads share one stop event —
"collection" (sessions of cycles on the market's hours), "schedule" (runtime.jobs: participant import, pre-market
capture, retention), "health" (runtime.health) and any component added with `add_component` (the analytics worker).
A supervisor restarts a crashed component with backoff and counts it; after SERVICE_MAX_RESTARTS crashes of one
component the service stops with exit 1 and one alert. Faces (the API) start and stop with the service.

Token rollover: when Kite rejects the token, or it has expired (06:00 IST) on a trading day, collection pauses and
ONE alert says how to log in; everything else stays up. The token store is watched and collection resumes by itself
as soon as a valid token is there (menu login, the `login` command, manual entry in another terminal). A rejected
token is never sent to Kite again (the client refuses it and the store marks it invalid).

Across nights, weekends and holidays collection sleeps until the next session and says so: one status line per
state change ("market closed, next session Mon 09:15 IST", "waiting for Kite login", "collecting"), in the log,
the live view and, headless, through `on_state`.

Clock: `clock` (a LoopClock) is the service's time for market hours, schedules and token expiry: the wall clock live,
the simulator's clock in mock mode (and in tests, so a simulated week runs in seconds). The service never prints.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, time as day_time
from typing import Any, Callable, Iterable

from op_trading.errortext import error_line
from op_trading.market import calendar
from op_trading.market.calendar import to_ist
from op_trading.outcome import Check, ExitCode, Outcome, Status, Table, failed, from_checks, ok
from op_trading.runtime.views import overview_table

log = logging.getLogger(__name__)
RECENT_LINES = 12
LOGIN_COMMAND = "python op_trading_setup.py run production.login"
LOGIN_MENU = "Production > Kite Connect authentication setup"
LOGIN_ALERT = (f"Kite login needed: run `{LOGIN_COMMAND}` (menu: {LOGIN_MENU}); collection is paused and resumes "
               "by itself once a valid token is stored")
LOGIN_CHECK_FROM = day_time(6, 0)  # tokens die at 06:00 IST: from then on a session day needs today's login
TOKEN_POLL_SECONDS = 1.0  # real seconds between looks at the token store while waiting for a login ...
TOKEN_POLL_CLOCK_SECONDS = 60.0  # ... and at most this much service-clock time (a fast simulated clock)
SLEEP_SLICE = 0.5  # real seconds: waits re-read the clock this often (clock jumps, speed changes, stop)
SUPERVISE_SECONDS = 0.2
RESTART_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
FAILED_SESSION_PAUSE = 30.0  # service-clock seconds before a session that could not start is tried again


@dataclass
class Notice:
    """An alert the service raises about itself (login needed, giving up)."""
    severity: str
    subject: str
    message: str
    type: str = "service"


class Component:
    def __init__(self, name: str, target: Callable[[threading.Event], Any]) -> None:
        self.name, self.target = name, target
        self.worker: Any = None
        self.restarts = 0
        self.restart_at: float | None = None


class Service:
    def __init__(self, settings, cycles: int | None = None, analyzers: list | None = None,
                 faces: list | None = None, *, clock: Any = None, notifier: Any = None,
                 on_state: Callable[[str], None] | None = None,
                 restart_backoff: float = RESTART_BACKOFF_SECONDS) -> None:
        from op_trading.runtime.errors import ErrorRegistry
        from op_trading.runtime.metrics import service_metrics

        self.settings = settings
        self.faces = list(faces or ())  # e.g. the API (op_trading.api.server.ApiFace): start(service), on_cycle, stop
        self.cycles = cycles
        self.clock = clock
        self.on_state = on_state
        self.restart_backoff = restart_backoff
        self.metrics = service_metrics()
        self.registry = self.metrics.registry
        self.errors = ErrorRegistry(self._now, on_record=self._count_error)
        self.analyzers = analyzers if analyzers is not None else default_analyzers(settings)
        self.notifier = notifier
        from op_trading.runtime.analysis import AnalyticsWorker  # analytics on their own thread (issue 12.1)

        self.analytics = AnalyticsWorker(settings, self.analyzers, deliver=self.deliver, on_lines=self._analytics_lines)
        self.stop_event = threading.Event()
        self.outcome: Outcome | None = None
        self.last_report: Any = None
        self.last_good_cycle: datetime | None = None
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)
        self.health: list[Check] = []
        self.state = ""
        self.jobs: Any = None
        self.cycle_times: deque[datetime] = deque(maxlen=5000)  # for tests and the live view: when cycles ran
        self._components: dict[str, Component] = {}
        self._stack = ExitStack()
        self._feed: Any = None
        self._login_alerted: tuple | None = None
        self._rate_limited_seen = 0.0
        self._started_clock: datetime | None = None
        self._supervisor: Any = None
        self._metrics_server: Any = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def add_component(self, name: str, target: Callable[[threading.Event], Any] | Any) -> None:
        """A supervised thread: `target(stop_event)` (or an object's `run(stop_event)`); restarted when it raises."""
        self._components[name] = Component(name, getattr(target, "run", target))

    def start(self) -> "Service":
        from op_trading.runtime.jobs import ServiceJobs

        if self.clock is None:
            self.clock = self._default_clock()
        self._started_clock = to_ist(self.clock.now())
        try:
            for face in self.faces:  # first: a face that cannot start (port taken) leaves nothing running
                face.start(self)
        except BaseException:
            self._stack.close()  # the mock simulator opened for the clock
            raise
        if self.notifier is None:
            from op_trading.notify.delivery import Notifier

            self.notifier = Notifier.from_settings(self.settings, on_result=self._delivered)
        self.notifier.start()
        port = self.settings["METRICS_PORT"]
        if port:
            from op_trading.runtime.metrics import MetricsServer

            self._metrics_server = MetricsServer(self.metrics, port).start()
        self.analytics.start()
        if self.settings["EMBEDDED_RAW_RETENTION_DAYS"]:  # once at start in its own thread; then daily (jobs.py)
            from op_trading.storage.retention import start_background

            start_background(self.settings, to_ist(self.clock.now()))
        components = dict(self._components)
        self._components = {"collection": Component("collection", self._collection)}
        if self.cycles is None:
            self.jobs = ServiceJobs(self)
            if self.jobs.jobs():
                self._components["schedule"] = Component("schedule", self._schedule)
        self._components["health"] = Component("health", self._health_loop)
        self._components.update(components)
        for component in self._components.values():
            self._launch(component)
        from op_trading.runtime.worker import Worker

        self._supervisor = Worker(self._supervise, "op-supervisor").start()
        return self

    def stop(self, wait: float = 30.0) -> None:
        from op_trading.runtime.worker import wait_for

        self.stop_event.set()
        deadline = time.monotonic() + wait
        workers = [c.worker for c in self._components.values() if c.worker is not None]
        for worker in workers + ([self._supervisor] if self._supervisor else []):
            wait_for(worker, self.stop_event, timeout=max(deadline - time.monotonic(), 0.0))
        self.analytics.wait_idle(max(deadline - time.monotonic(), 0.0))  # the last cycle's pass, then stop
        self.analytics.stop(wait=max(deadline - time.monotonic(), 1.0))
        self._set_state("stopped")
        if self.notifier is not None:
            self.notifier.stop(wait=min(5.0, max(deadline - time.monotonic(), 0.5)))
        if self._metrics_server:
            self._metrics_server.stop()
            self._metrics_server = None
        for face in self.faces:
            face.stop()
        self._stack.close()

    def run_until_stopped(self, notify: Callable[[str], None] | None = None) -> Outcome:
        """For `service run`: start, wait (Ctrl-C stops after the current cycle), stop; the outcome says why."""
        from op_trading.runtime.worker import Worker, wait_for

        self.start()
        waiter = Worker(self.stop_event.wait, "op-service-wait").start()
        interrupted = wait_for(waiter, self.stop_event, notify)
        self.stop()
        if self.outcome is not None:
            return self.outcome
        return ok("service stopped (Ctrl-C)" if interrupted else "service stopped",
                  exit_code=ExitCode.INTERRUPTED if interrupted else None)

    def finished(self) -> bool:
        return self.outcome is not None

    def _default_clock(self):
        """Mock mode: the in-process simulator's clock (opened here, kept for every session); else the wall clock."""
        from op_trading.collectors.loop import LoopClock

        if self.settings["DATA_SOURCE_MODE"] != "mock":
            return LoopClock()
        from op_trading.runtime.collect import last_stored_time, open_mock_feed
        from op_trading.storage import open_sinks

        stored = None
        try:
            sinks = open_sinks(self.settings)
            try:
                stored = last_stored_time(sinks, "mock")
            finally:
                for sink in sinks:
                    sink.close()
        except Exception as error:  # the run itself reports storage problems; here only where to continue
            log.warning("stored mock data not read: %s", error_line(error))
        self._feed = open_mock_feed(self.settings, self._stack, stored)
        return self._feed.clock

    def _launch(self, component: Component) -> None:
        from op_trading.runtime.worker import Worker

        component.restart_at = None
        component.worker = Worker(lambda: component.target(self.stop_event), f"op-{component.name}")
        component.worker.start()  # after the assignment: the health thread's first report looks at itself

    # -- supervision -------------------------------------------------------------------------------------------
    def _supervise(self) -> None:
        while not self.stop_event.wait(SUPERVISE_SECONDS):
            for component in list(self._components.values()):
                worker = component.worker
                if worker is None:
                    if component.restart_at is not None and time.monotonic() >= component.restart_at:
                        self._launch(component)
                        self.note(f"{component.name} thread restarted (restart {component.restarts})")
                    continue
                if not worker.done.is_set() or worker.error is None or self.stop_event.is_set():
                    continue
                if self._crashed(component, worker.error):
                    return

    def _crashed(self, component: Component, error: BaseException) -> bool:
        """Count the crash; restart later with backoff, or give up. True when the service gives up."""
        component.restarts += 1
        component.worker = None
        self.metrics.inc("op_thread_restarts_total", component=component.name)
        self.errors.record(error, kind="internal", where=f"{component.name} thread")
        limit = self.settings["SERVICE_MAX_RESTARTS"]
        if component.restarts > limit:
            message = (f"service stopped: the {component.name} thread crashed {component.restarts} times "
                       f"(last: {error_line(error)}); see the log")
            self.deliver([Notice("critical", "service", message)], show=True)
            self.outcome = failed(message, exit_code=ExitCode.FAILED)
            self.stop_event.set()
            return True
        delay = min(self.restart_backoff * 2 ** (component.restarts - 1), MAX_BACKOFF_SECONDS)
        component.restart_at = time.monotonic() + delay
        self.note(f"{component.name} thread crashed ({error_line(error)}); restart {component.restarts}/{limit} "
                  f"in {delay:.0f} s")
        return False

    def restart_counts(self) -> dict[str, int]:
        return {name: component.restarts for name, component in self._components.items()}

    def components_alive(self) -> dict[str, bool]:
        return {name: c.worker is not None and not c.worker.done.is_set() or c.restart_at is not None
                for name, c in self._components.items()}

    # -- collection --------------------------------------------------------------------------------------------
    def _collection(self, stop: threading.Event) -> None:
        if self.cycles is not None:  # a fixed number of cycles (tests, demos): one run, then the service ends
            self.outcome = self._run_session(self._feed, cycles=self.cycles)
            stop.set()
            return
        while not stop.is_set():
            self._collect_or_wait(stop)

    def _collect_or_wait(self, stop: threading.Event) -> None:
        now = to_ist(self.clock.now())
        live = self.settings["DATA_SOURCE_MODE"] != "mock"
        if not calendar.is_market_open(now):
            opens = calendar.next_session_open(now)
            login_time = datetime.combine(opens.date(), LOGIN_CHECK_FROM, opens.tzinfo)
            if live and now >= login_time and not self._token().usable:
                self._await_login(stop)
                return
            self._set_state(f"market closed, next session {opens:%a %d %b %H:%M} IST")
            self._sleep_until(min(opens, login_time) if live and now < login_time else opens, stop)
            return
        if live:
            state = self._token()
            if not state.usable:
                self._await_login(stop)
                return
            feed = self._live_feed(state)
        else:
            feed = self._feed
        self._set_state("collecting")
        self._session_feed, self._rate_limited_seen = feed, 0.0  # a new client counts its 429s from zero
        outcome = self._run_session(feed)
        reason = (outcome.data or {}).get("reason")
        if reason == "auth":
            self._token_rejected(feed, outcome)
        elif reason not in ("closed", "stopped"):
            self.errors.record(outcome.message, kind="internal" if outcome.exit_code != ExitCode.USAGE
                               else "configuration", where="collection")
            self.note(f"collection session ended: {outcome.message}")
            self._sleep_until(to_ist(self.clock.now()) + _seconds(FAILED_SESSION_PAUSE), stop)

    def _run_session(self, feed, cycles: int | None = None) -> Outcome:
        from op_trading.runtime.collect import run_collection

        return run_collection(self.settings, cycles=cycles, stop_event=self.stop_event, on_cycle=self._on_cycle,
                              feed=feed, leave_when_closed=cycles is None, analytics=False)  # self.analytics runs them

    def _token(self):
        from op_trading.kite.tokens import token_state

        return token_state(self.settings, now=self.clock.now())

    def _live_feed(self, state):
        from op_trading.kite.client import make_kite
        from op_trading.runtime.collect import Feed

        kite = make_kite(self.settings, state.record.access_token)
        return Feed("live", kite, self.clock, [Check("Data source", Status.OK, f"live Kite at {kite.root}")])

    def _token_rejected(self, feed, outcome: Outcome) -> None:
        """Kite said no: the store marks this token invalid so nothing sends it again; then wait for a login."""
        from op_trading.kite.tokens import TokenStore

        token = getattr(getattr(feed, "kite", None), "access_token", None)
        TokenStore.from_settings(self.settings).mark_invalid("Kite answered TokenException", access_token=token)
        self.errors.record("Kite rejected the access token", kind="authentication", where="collection")

    def _await_login(self, stop: threading.Event) -> None:
        """Pause until a valid token is stored (or the session day is over); one alert per token that died."""
        state = self._token()
        record = state.record
        key = (record.access_token[-8:] if record else "", state.status if state.status != "expired" else "dead")
        self._set_state("waiting for Kite login")
        if key != self._login_alerted:
            self._login_alerted = key
            self.deliver([Notice("critical", "Kite login", f"{LOGIN_ALERT} (token {state.summary})")], show=True)
        while not stop.wait(min(TOKEN_POLL_SECONDS, TOKEN_POLL_CLOCK_SECONDS / max(self.clock.speed, 1.0))):
            state = self._token()
            if state.usable:
                self.note(f"Kite token found ({state.summary}): resuming")
                return
            now = to_ist(self.clock.now())
            if not calendar.is_market_open(now) and calendar.next_session_open(now).date() != now.date():
                return  # the day's session is over: sleep until the next one

    def _sleep_until(self, target: datetime, stop: threading.Event) -> bool:
        from op_trading.collectors.loop import sleep_on_clock

        return sleep_on_clock(self.clock, target, stop, SLEEP_SLICE)

    def _on_cycle(self, report) -> None:
        """The service's own record of a written cycle first (it is stored whatever a face does), then the faces,
        then the analytics worker."""
        self.last_report = report
        self.recent.append(report.line())
        log.info("%s", report.line())
        if report.cycle is None:
            self.metrics.inc("op_cycle_failures_total")
            self.errors.record(report.error, kind=_class_of_line(report.error), where="cycle")
        else:
            self._count_cycle(report)
        for face in self.faces:
            face.on_cycle(report)
        if report.cycle is not None:
            self.analytics.submit(report)  # never blocks: the worker analyses the latest cycle when it is free

    def _count_cycle(self, report) -> None:
        stats = report.cycle.stats
        self.last_good_cycle = to_ist(self.clock.now())
        self.cycle_times.append(_as_time(report.cycle.timestamp))
        self.metrics.inc("op_cycles_total")
        chain = getattr(report, "chain", None)
        self.metrics.inc("op_quote_calls_total", stats.quote_calls + (chain.stats.quote_calls if chain else 0))
        self.metrics.inc("op_points_written_total", sum(write.written for write in report.writes))
        self.metrics.inc("op_points_spooled_total", sum(write.spooled for write in report.writes))
        self.metrics.set("op_cycle_seconds", stats.wall_ms / 1000)
        self.metrics.set("op_last_cycle_timestamp_seconds", time.time())
        self.metrics.set("op_last_cycle_age_seconds", 0)
        self._count_rate_limits()

    def _analytics_lines(self, lines: list[str]) -> None:
        """Called from the analytics thread with each pass's alert and note lines (its alerts go to deliver)."""
        self.recent.extend(lines)

    def _count_rate_limits(self) -> None:
        from op_trading.kite.client import call_stats

        kite = getattr(getattr(self, "_session_feed", None) or self._feed, "kite", None)
        try:
            seen = call_stats(kite).snapshot()["rate_limited"] if kite is not None else self._rate_limited_seen
        except Exception:  # counting must never fail a cycle
            return
        if seen > self._rate_limited_seen:
            self.metrics.inc("op_rate_limited_total", seen - self._rate_limited_seen)
        self._rate_limited_seen = seen

    # -- schedules and health ----------------------------------------------------------------------------------
    def _schedule(self, stop: threading.Event) -> None:
        from op_trading.runtime.jobs import ScheduleRunner

        if not getattr(self, "_job_list", None):
            self._job_list = self.jobs.jobs()
        ScheduleRunner(self.clock, self._job_list,
                       on_error=lambda error, name: self.errors.record(error, where=name)).run(stop)

    def _health_loop(self, stop: threading.Event) -> None:
        from op_trading.runtime.health import STATUS_LEVEL, health_report, spool_backlog, token_seconds_left

        interval = self.settings["HEALTH_CHECK_INTERVAL_SECONDS"]
        while not stop.is_set():
            self.health = health_report(self)
            now = to_ist(self.clock.now())
            healthy = all(check.status is not Status.FAILED for check in self.health)
            self.metrics.set("op_health_ok", 1 if healthy else 0)
            for check in self.health:
                self.metrics.set("op_component_status", STATUS_LEVEL.get(check.status, 0), component=check.name)
            if self.settings["DATA_SOURCE_MODE"] == "live":
                left = token_seconds_left(self.settings, now)
                self.metrics.set("op_kite_token_valid", 1 if left > 0 else 0)
                self.metrics.set("op_kite_token_remaining_seconds", left)
            if self.last_good_cycle is not None:
                self.metrics.set("op_last_cycle_age_seconds", (now - self.last_good_cycle).total_seconds())
            self.metrics.set("op_spool_backlog_points", spool_backlog(self.settings))
            self._heartbeat(healthy)
            if stop.wait(interval):
                return

    def _heartbeat(self, healthy: bool) -> None:
        from op_trading.runtime.install import write_heartbeat

        try:
            write_heartbeat(self.settings, self.state, "ok" if healthy else "failing", self.health)
        except OSError as error:  # a full disk shows in the health report; never stop the health thread for it
            log.warning("heartbeat not written: %s", error_line(error))

    # -- alerts, notes, state ----------------------------------------------------------------------------------
    def deliver(self, alerts: Iterable[Any], show: bool = False) -> int:
        """Hand alerts to every channel (queued, never blocking); `show` also lists them in the live view."""
        alerts = list(alerts)
        if not alerts:
            return 0
        self.metrics.inc("op_alerts_total", len(alerts))
        for alert in alerts:
            severity = getattr(getattr(alert, "severity", "info"), "value", getattr(alert, "severity", "info"))
            line = f"ALERT [{severity}] {getattr(alert, 'message', alert)}"
            log.warning("%s", line)
            if show:
                self.recent.append(line)
        return self.notifier.deliver(alerts) if self.notifier is not None else 0

    def note(self, line: str) -> None:
        """An event worth a line in the live view and the log."""
        self.recent.append(line)
        log.info("service: %s", line)

    def _set_state(self, text: str) -> None:
        if text == self.state:
            return
        self.state = text
        self.note(text)
        from op_trading.runtime.metrics import STATES

        current = text.split(",")[0].replace(" ", "_").replace("waiting_for_kite_login", "waiting_for_login")
        for state in STATES:
            self.metrics.set("op_collection_state", 1 if state == current else 0, state=state)
        if self.on_state is not None:
            try:
                self.on_state(text)
            except Exception:  # a closed console must not stop the service
                log.exception("state line not shown")

    def _delivered(self, channel: str, sent: bool) -> None:
        self.metrics.inc("op_alerts_delivered_total", channel=channel, result="sent" if sent else "failed")
        if not sent:
            self.errors.record(f"alert not delivered to {channel}", kind="network", where="notifications")

    def _count_error(self, item) -> None:
        self.metrics.inc("op_errors_total", **{"class": item.kind})

    def _now(self) -> datetime:
        return to_ist(self.clock.now()) if self.clock is not None else calendar.now_ist()

    def uptime_clock_seconds(self) -> float:
        if self._started_clock is None or self.clock is None:
            return 0.0
        return (to_ist(self.clock.now()) - self._started_clock).total_seconds()

    # -- observation -------------------------------------------------------------------------------------------
    def snapshot(self) -> Outcome:
        status = Table("Service", ("measure", "value"), (
            ("state", self.state or "starting"),
            ("data source", self.settings["DATA_SOURCE_MODE"]),
            ("service clock", f"{self._now():%a %d %b %H:%M:%S} IST"),
            ("cycles", int(self.metrics.value("op_cycles_total"))),
            ("failed cycles", int(self.metrics.value("op_cycle_failures_total"))),
            ("quote calls", int(self.metrics.value("op_quote_calls_total"))),
            ("points written", int(self.metrics.value("op_points_written_total"))),
            ("points spooled", int(self.metrics.value("op_points_spooled_total"))),
            ("alerts", int(self.metrics.value("op_alerts_total"))),
            ("notification channels", ", ".join(f"{name} ({url}, >= {level})" for name, url, level
                                                 in (self.notifier.describe() if self.notifier else [])) or "none"),
            ("metrics", f"http://127.0.0.1:{self.settings['METRICS_PORT']}/metrics"
             if self.settings["METRICS_PORT"] else "off"),
        ))
        tables = [status]
        cycle = getattr(self.last_report, "cycle", None)
        if cycle is not None:
            tables.append(overview_table(cycle.records, cycle.timestamp))
        tables.extend(self.analytics.tables())  # the last pass's tables: views never recompute
        if self.jobs is not None:
            tables.extend(self.jobs.tables())
            tables.append(self._jobs_table())
        errors = self.errors.recent(5)
        if errors:
            tables.append(Table("Recent errors", ("time", "class", "error", "what to do"),
                                tuple((f"{e.time:%d %b %H:%M}", e.kind, e.message, e.suggestion) for e in errors)))
        if self.recent:
            tables.append(Table("Recent", ("event",), tuple((line,) for line in self.recent)))
        checks = tuple(self.health)
        if self.outcome is not None:
            return Outcome(self.outcome.status, self.outcome.message, checks=checks, tables=tuple(tables),
                           exit_code=self.outcome.exit_code)
        return from_checks(list(checks), f"{self.state or 'starting'} — Ctrl-C stops", tables=tuple(tables))

    def _jobs_table(self) -> Table:
        rows = tuple((job.name, f"{job.next_at:%a %d %b %H:%M}" if job.next_at else "-", job.runs)
                     for job in getattr(self, "_job_list", None) or ())
        return Table("Schedule", ("job", "next run (IST)", "runs"), rows)


def _as_time(stamp: Any) -> datetime:
    """A cycle's timestamp (ISO text or datetime) as an IST datetime."""
    return to_ist(datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp)


def _seconds(value: float):
    from datetime import timedelta

    return timedelta(seconds=value)


def _class_of_line(text: str) -> str:
    """The error class of a cycle's error line ("NetworkException (HTTP 429): ..."): its exception name decides."""
    from op_trading.runtime.errors import classify

    name, _, rest = text.partition(" ")
    error_type = type(name.rstrip(":"), (Exception,), {})
    error = error_type(rest)
    if "(HTTP 429)" in text[:len(name) + 12]:
        error.code = 429
    return classify(error)


def health_checks(settings) -> list[Check]:
    """Kite token, storage servers and cache, as a check before deployment sees them now (no running service)."""
    from op_trading.runtime.health import server_checks, token_check

    checks = [token_check(settings, calendar.now_ist())] if settings["DATA_SOURCE_MODE"] == "live" else []
    return checks + server_checks(settings)


def default_analyzers(settings) -> list:
    """Per-cycle analytics (chain metrics, alerts) when the analytics package provides them."""
    from op_trading.runtime.analysis import cycle_analyzers

    return cycle_analyzers(settings)
