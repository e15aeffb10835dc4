"""The service's scheduled jobs, on the service's own clock (the simulator's in mock runs and tests).

APScheduler's CronTrigger says when a job is next due (cron syntax, time zones and DST handled by a maintained
library); `ScheduleRunner` asks the triggers for their next fire time on the service clock and sleeps on that clock,
instead of APScheduler's wall-clock scheduler, so a simulated week at high clock speed runs in seconds and a clock
jump (a test, a suspended laptop) is noticed within one wait slice.

Jobs (trading days only; holidays are skipped by the job itself, so cron stays simple):
- participant import at PARTICIPANT_IMPORT_TIME: the day's participant OI/volume files and FII/DII cash data from
  PARTICIPANT_DATA_DIR (downloaded first when PARTICIPANT_DOWNLOAD_ENABLED; in mock mode the simulator publishes
  the day's files there), stored, participant alerts raised and delivered. Until the day's files are there it is
  tried again every PARTICIPANT_IMPORT_RETRY_MINUTES, at most PARTICIPANT_IMPORT_ATTEMPTS times a day.
- pre-market capture at PREMARKET_CAPTURE_TIME: the previous session's chain metrics, participant positions and
  FII/DII cash (PremarketCapture), kept for the live view and the menu; the overnight gap is added after the open.
- store retention (when the storage layer offers `retention`): daily at 02:30 IST.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable

from op_trading.errortext import error_line
from op_trading.market import calendar
from op_trading.market.calendar import IST, to_ist
from op_trading.outcome import Outcome, Status

log = logging.getLogger(__name__)
WAIT_SLICE_REAL = 0.5  # seconds of real time between looks at the clock while waiting for a job
GAP_TIME = "09:20"  # the overnight gap is known once every index has opened
RETENTION_TIME = "02:30"
RETRY = "retry"  # a job's answer meaning "not yet: try again after its retry interval"


def cron(at: str, days: str = "mon-fri"):
    """A CronTrigger for HH:MM IST on `days`."""
    from apscheduler.triggers.cron import CronTrigger

    hour, minute = (int(part) for part in at.split(":"))
    return CronTrigger(day_of_week=days, hour=hour, minute=minute, timezone=IST)


@dataclass
class Job:
    name: str
    trigger: Any  # anything with get_next_fire_time(previous, now)
    run: Callable[[datetime], Any]  # returns RETRY to be tried again after `retry`, else anything
    retry: timedelta | None = None
    attempts: int = 1
    next_at: datetime | None = None
    tries_today: int = 0
    last_fire: datetime | None = None
    runs: int = 0
    history: list = field(default_factory=list)  # (time, text) of the last few runs, for the live view

    def schedule(self, now: datetime) -> None:
        fire = self.trigger.get_next_fire_time(self.last_fire, now)
        self.next_at = to_ist(fire) if fire is not None else None


class ScheduleRunner:
    """Runs `jobs` at their times on `clock` until `stop` is set. A job that raises is reported through `on_error`
    and rescheduled; it never ends the runner."""

    def __init__(self, clock, jobs: list[Job], on_error: Callable[[BaseException, str], None] | None = None,
                 on_done: Callable[[Job, Any], None] | None = None) -> None:
        self.clock, self.jobs, self.on_error, self.on_done = clock, jobs, on_error, on_done

    def run(self, stop) -> None:
        now = to_ist(self.clock.now())
        for job in self.jobs:
            if job.next_at is None:
                job.schedule(now)
        while not stop.is_set():
            pending = [job for job in self.jobs if job.next_at is not None]
            if not pending:
                return
            job = min(pending, key=lambda item: item.next_at)
            if self._wait(job.next_at, stop):
                return
            self._fire(job)

    def _wait(self, target: datetime, stop) -> bool:
        from op_trading.collectors.loop import sleep_on_clock

        return sleep_on_clock(self.clock, target, stop, WAIT_SLICE_REAL)

    def _fire(self, job: Job) -> None:
        due = job.next_at
        if job.last_fire is None or to_ist(job.last_fire).date() != due.date():
            job.tries_today = 0
        job.tries_today += 1
        try:
            result = job.run(due)
        except Exception as error:  # a job's failure is reported; the schedule goes on
            log.exception("scheduled job %s failed", job.name)
            result = None
            if self.on_error:
                self.on_error(error, job.name)
        job.runs += 1
        if result == RETRY and job.retry and job.tries_today < job.attempts:
            job.next_at = due + job.retry
            log.info("%s: not there yet, attempt %d/%d; next try %s IST", job.name, job.tries_today, job.attempts,
                     f"{job.next_at:%H:%M}")
        else:
            job.last_fire = due.replace(hour=0, minute=0) + timedelta(days=1) - timedelta(microseconds=1) \
                if result == RETRY else due  # retries used up: the next fire time is tomorrow's
            job.schedule(max(to_ist(self.clock.now()), due + timedelta(seconds=1)))
        if self.on_done:
            self.on_done(job, result)


def is_trading_day(moment: datetime) -> bool:
    return calendar.is_trading_day(to_ist(moment).date())


class ServiceJobs:
    """The service's jobs and what they last produced (for the live view, the menu and the API)."""

    def __init__(self, service) -> None:
        self.service = service
        self.settings = service.settings
        self.premarket: Any = None  # PremarketCapture, its `last` is the latest summary
        self.premarket_outcome: Outcome | None = None
        self.participant_outcome: Outcome | None = None
        self.imported_days: list[date] = []  # the last few days whose files were imported
        self.premarket_days: list[date] = []  # the last few days a pre-market summary was captured

    def jobs(self) -> list[Job]:
        settings = self.settings
        jobs = []
        if settings["ENABLE_PARTICIPANT_ANALYSIS"]:
            jobs.append(Job("participant import", cron(settings["PARTICIPANT_IMPORT_TIME"]), self.import_participants,
                            retry=timedelta(minutes=settings["PARTICIPANT_IMPORT_RETRY_MINUTES"]),
                            attempts=settings["PARTICIPANT_IMPORT_ATTEMPTS"]))
        if settings["PREMARKET_CAPTURE_ENABLED"]:
            jobs.append(Job("pre-market capture", cron(settings["PREMARKET_CAPTURE_TIME"]), self.capture_premarket))
            jobs.append(Job("overnight gap", cron(GAP_TIME), self.overnight_gap))
        retention = storage_retention()
        if retention is not None:
            jobs.append(Job("store retention", cron(RETENTION_TIME, "*"),
                            lambda now: retention(self.settings, now)))
        return jobs

    # -- participant import -------------------------------------------------------------------------------------
    def import_participants(self, now: datetime):
        if not is_trading_day(now):
            return None
        from op_trading.analytics.alerts import AlertEngine
        from op_trading.analytics.participant_import import ParticipantImporter
        from op_trading.storage import open_store

        day = to_ist(now).date()
        self._publish_mock(day)
        store = open_store(self.settings)  # this thread's own connection, closed after the job
        try:
            engine = AlertEngine.from_settings(self.settings, store)
            result = ParticipantImporter.from_settings(self.settings, store).run(day, alerts=engine)
            raised = list(getattr(engine, "recent", ()))
        finally:
            store.close()
        self.participant_outcome = result
        if (result.data or {}).get("latest_day") != day.isoformat():
            self.service.note(f"participant import {now:%d-%b %H:%M}: the day's files are not there yet")
            return RETRY
        self.imported_days = (self.imported_days + [day])[-10:]
        self.service.note(f"participant import: {result.message}; {len(raised)} alert(s)")
        self.service.deliver(raised, show=True)
        return result

    def _publish_mock(self, day: date) -> None:
        """Mock mode: the simulator publishes the day's participant files in the evening, as NSE would."""
        if self.settings["DATA_SOURCE_MODE"] != "mock":
            return
        from op_trading.sandbox.participants import write_day

        write_day(self.settings.path("PARTICIPANT_DATA_DIR"), day, self.settings["SIMULATOR_SEED"])

    # -- pre-market -----------------------------------------------------------------------------------------------
    def capture_premarket(self, now: datetime):
        if not is_trading_day(now):
            return None
        with self._capture() as capture:
            result = capture.capture(now)
        self.premarket_outcome = result
        self.premarket_days = (self.premarket_days + [to_ist(now).date()])[-10:]
        self.service.note(f"pre-market: {result.message}")
        return result

    def overnight_gap(self, now: datetime):
        if not is_trading_day(now) or self.premarket is None:
            return None
        with self._capture() as capture:
            result = capture.tick(now)
        if result is not None:
            self.premarket_outcome = Outcome(self.premarket_outcome.status if self.premarket_outcome else Status.OK,
                                             self.premarket_outcome.message if self.premarket_outcome
                                             else result.message, tables=result.tables)
            self.service.note(f"pre-market: {result.message}")
        return result

    def _capture(self):
        from contextlib import contextmanager

        from op_trading.analytics.premarket import PremarketCapture
        from op_trading.storage import open_store

        @contextmanager
        def opened():
            store = open_store(self.settings)
            try:
                if self.premarket is None:
                    self.premarket = PremarketCapture.from_settings(self.settings, store)
                self.premarket.store = store
                yield self.premarket
            finally:
                self.premarket.store = None
                store.close()

        return opened()

    def tables(self) -> list:
        return list(self.premarket_outcome.tables) if self.premarket_outcome is not None else []


def storage_retention() -> Callable | None:
    """The store's daily retention hook (`op_trading.storage.retention.retention(settings, now)`), when present."""
    try:
        from op_trading.storage.retention import retention  # type: ignore[attr-defined]
    except ImportError:
        return None
    return retention


def premarket_action(ctx, **params) -> Outcome:
    """Production > Participant analysis > Show the pre-market summary: from the running service's latest capture
    when this process runs one, else taken now from the store (the same PremarketCapture)."""
    from op_trading.analytics.premarket import PremarketCapture
    from op_trading.outcome import failed
    from op_trading.storage import open_store

    try:
        store = open_store(ctx.settings)
    except Exception as error:  # storage not set up: one line, never a traceback
        return failed(f"The store cannot be opened: {error_line(error)}")
    try:
        return PremarketCapture.from_settings(ctx.settings, store).capture(calendar.now_ist())
    finally:
        store.close()
