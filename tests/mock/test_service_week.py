"""Issue 9.7: the service over a simulated trading week, end to end, on the simulator's clock (about 30 s).

Sun evening -> Wed evening with an expiry day (Mon), an NSE holiday (Tue), a token that dies at 06:00 each trading
morning and is replaced by a login, participant files published each evening, the pre-market capture each morning and
the collection thread killed once. Alerts go to real local stand-ins (webhook and Telegram API over HTTP, SMTP).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from op_trading.config.settings import load_settings
from op_trading.market import calendar
from op_trading.market.calendar import IST
from op_trading.runtime.service import Service
from op_trading.sandbox.participants import write_day, write_history
from tests.fixtures_notify import http_receiver, smtp_receiver, wait_until  # noqa: F401 (fixtures)
from tests.mock.week_driver import (END, HOLIDAY, SESSIONS, START, Event, Killer, SimClockView, WeekDriver,
                                    follow_simulated_time, login)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST)


def week_settings(sandbox, receiver, smtp, **more):
    values = {"DATA_SOURCE_MODE": "live", "KITE_API_KEY": sandbox.api_key, "KITE_API_SECRET": sandbox.api_secret,
              "KITE_API_ROOT": sandbox.url, "STORAGE_SINKS": "embedded", "COLLECTION_INTERVAL_SECONDS": "300",
              "CHAIN_SNAPSHOT_SECONDS": "0", "LIVE_ANALYTICS_ENABLED": "false", "INDICES": "NIFTY", "METRICS_PORT": "0",
              "API_PORT": "0", "HEALTH_CHECK_INTERVAL_SECONDS": "5", "SERVICE_MAX_RESTARTS": "3",
              "PREMARKET_CAPTURE_TIME": "08:00", "PARTICIPANT_IMPORT_TIME": "18:30",
              "PARTICIPANT_IMPORT_RETRY_MINUTES": "20", "FII_ALERT_THRESHOLD_CRORES": "1",
              "DII_ALERT_THRESHOLD_CRORES": "1", "NOTIFY_RETRIES": "2",
              "NOTIFY_WEBHOOK_URL": f"json://127.0.0.1:{receiver.port}/hook", "NOTIFY_WEBHOOK_MIN_SEVERITY": "info",
              "NOTIFY_TELEGRAM_URL": "tgram://123456789:AAbbccddeeffgghh/424242",
              "NOTIFY_TELEGRAM_MIN_SEVERITY": "warning", "TELEGRAM_API_ROOT": receiver.url,
              "NOTIFY_EMAIL_URL": smtp.url(), "NOTIFY_EMAIL_MIN_SEVERITY": "critical"}
    return load_settings("production", {**values, **more})


def run_week(sandbox, settings, killer, events_extra=()):
    folder = settings.path("PARTICIPANT_DATA_DIR")
    write_history(folder, date(2026, 11, 20), 5)  # the week before, already imported by earlier runs
    sandbox.clock.set(START, speed=0)  # frozen until the service runs; the driver sets the speed
    login(sandbox, settings)  # Sunday evening's token: dies Monday 06:00
    events = [Event(at(SESSIONS[0], 7, 0), "login Mon", lambda: login(sandbox, settings)),
              Event(at(SESSIONS[1], 7, 0), "login Wed", lambda: login(sandbox, settings)),
              Event(at(SESSIONS[1], 11, 0), "kill collection", lambda: setattr(killer, "armed", True))]
    events += [Event(at(day, 18, 0), f"publish {day}", lambda day=day: write_day(folder, day)) for day in SESSIONS]
    events += list(events_extra)
    states: list[str] = []
    service = Service(settings, analyzers=[], faces=[killer], clock=SimClockView(sandbox.clock), on_state=states.append,
                      restart_backoff=0.05)
    driver = WeekDriver(sandbox, events)
    stop = threading.Event()
    thread = threading.Thread(target=driver.run, args=(stop,), daemon=True)
    service.start()
    thread.start()
    try:
        assert driver.finished.wait(240), f"the week did not finish; clock at {sandbox.clock.now()}"
        wait_until(lambda: service.notifier.pending() == 0, 20)
    finally:
        stop.set()
        service.stop()
    return service, states, driver


@pytest.fixture
def week_sandbox():
    from op_trading.sandbox.server import Sandbox

    with Sandbox(port=0, seed=42, speed=0, start_at=START, rate_limits=True) as box:
        follow_simulated_time(box)
        yield box


def test_a_simulated_week_runs_unattended(week_sandbox, http_receiver, smtp_receiver, project_home):
    from op_trading.storage import open_store
    from op_trading.storage.schema import OVERVIEW_MEASUREMENT

    settings = week_settings(week_sandbox, http_receiver, smtp_receiver)
    killer = Killer()
    service, states, driver = run_week(week_sandbox, settings, killer)

    # every session collected, never outside market hours, expiry day and holiday as the calendar says
    days = Counter(moment.date() for moment in service.cycle_times)
    assert set(days) == set(SESSIONS), days
    assert all(calendar.is_market_open(moment) for moment in service.cycle_times)
    assert HOLIDAY not in days and calendar.holiday_name(HOLIDAY)
    assert calendar.weekly_expiries("NIFTY", SESSIONS[0], 1)[0] == SESSIONS[0]  # Monday is the expiry day
    # nothing lost, nothing duplicated: one stored overview per index and cycle
    store = open_store(settings)
    try:
        rows = store.query(OVERVIEW_MEASUREMENT, start=START, end=END)
    finally:
        store.close()
    per_slot = Counter((row["time"], row.get("index")) for row in rows)
    assert per_slot and max(per_slot.values()) == 1
    stored_times = {row["time"] for row in rows}
    assert len(stored_times) == len(set(service.cycle_times)) == len(service.cycle_times)

    # one "login needed" alert per expired token (Mon and Wed mornings; none for the holiday), on every channel
    hooks = http_receiver.messages("/hook")
    logins = [m for m in hooks if "Kite login needed" in m.get("message", "")]
    assert len(logins) == 2, [m.get("message") for m in logins]
    assert "production.login" in logins[0]["message"]
    telegram = http_receiver.messages("/sendMessage")
    assert sum("Kite login needed" in m["text"] for m in telegram) == 2
    assert sum("Kite login needed" in body for _, _, body in smtp_receiver.messages) == 2
    # the service waited for the login, then collected from the open (never from a rejected token)
    assert "waiting for Kite login" in states and "collecting" in states
    assert any(state.startswith("market closed, next session Mon 23 Nov 09:15") for state in states)
    assert any(state.startswith("market closed, next session Wed 25 Nov 09:15") for state in states)
    assert all(a != b for a, b in zip(states, states[1:]))  # one line per state change
    first = min(service.cycle_times)
    # from the morning session, not a later one: in session hours the clock runs ~3,000x, so each real second a
    # loaded machine takes to open the sinks and the collector is ~50 simulated minutes
    assert first < datetime(2026, 11, 23, 12, 0, tzinfo=IST)

    # participant files imported each evening, their alerts delivered to the stand-ins
    assert service.jobs.imported_days == list(SESSIONS)
    participant = [m for m in hooks if "FII" in m.get("message", "") or "DII" in m.get("message", "")]
    assert participant and any("FII" in m["text"] or "DII" in m["text"] for m in telegram)
    # the pre-market capture each trading morning
    assert service.jobs.premarket_days == list(SESSIONS)

    # the killed thread was restarted (once) and the session went on
    assert killer.killed_at is not None
    assert service.restart_counts()["collection"] == 1
    killed = datetime.fromisoformat(killer.killed_at)
    assert any(moment > killed + timedelta(minutes=30) for moment in service.cycle_times)
    assert service.errors.counts()["internal"] >= 1
    assert service.metrics.value("op_thread_restarts_total", component="collection") == 1
    assert service.outcome is None  # never gave up
