"""The service's schedule on the simulator's clock: APScheduler cron triggers asked for fire times on the service
clock, the participant import retried until the day's files are published, the pre-market capture at its time."""

import threading
import time
from datetime import datetime

from op_trading.collectors.loop import LoopClock
from op_trading.config.settings import load_settings
from op_trading.market.calendar import IST
from op_trading.runtime.jobs import RETRY, Job, ScheduleRunner, ServiceJobs, cron
from op_trading.runtime.service import Service
from op_trading.sandbox.clock import SimClock


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def sim(start, speed):
    clock = SimClock(start, speed)
    return clock, LoopClock(clock.now, speed)


def test_runner_fires_on_the_simulated_clock_and_retries_until_done():
    _, clock = sim(datetime(2026, 11, 20, 18, 0, tzinfo=IST), 3600)  # Friday 18:00, an hour per real second
    fired = []

    def job(now):
        fired.append(now)
        return RETRY if len(fired) < 3 else "done"

    runner = ScheduleRunner(clock, [Job("import", cron("18:30"), job, retry=__import__("datetime").timedelta(
        minutes=20), attempts=5)])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    assert wait_for(lambda: len(fired) >= 3, timeout=10)
    time.sleep(0.3)  # an hour of simulated time: no fourth attempt the same day
    stop.set()
    thread.join(5)
    assert [f"{t:%a %H:%M}" for t in fired] == ["Fri 18:30", "Fri 18:50", "Fri 19:10"]
    assert runner.jobs[0].next_at == datetime(2026, 11, 23, 18, 30, tzinfo=IST)  # Monday: cron is mon-fri


def test_premarket_capture_and_participant_import_run_from_the_service(project_home):
    from op_trading.sandbox.participants import write_day, write_history

    settings = load_settings("production", {"DATA_SOURCE_MODE": "live", "PREMARKET_CAPTURE_TIME": "08:00",
                                            "PARTICIPANT_IMPORT_TIME": "18:30", "STORAGE_SINKS": "embedded",
                                            "FII_ALERT_THRESHOLD_CRORES": "1", "PARTICIPANT_IMPORT_RETRY_MINUTES": "30"})
    folder = settings.path("PARTICIPANT_DATA_DIR")
    write_history(folder, datetime(2026, 11, 19).date(), 5)
    simclock, clock = sim(datetime(2026, 11, 20, 7, 50, tzinfo=IST), 3000)
    service = Service(settings, analyzers=[], clock=clock)
    delivered = []
    service.deliver = lambda alerts, show=False: delivered.extend(alerts) or len(delivered)
    service.jobs = ServiceJobs(service)
    thread = threading.Thread(target=service._schedule, args=(service.stop_event,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: service.jobs.premarket_outcome is not None)
        assert "Pre-market summary for 20-Nov-2026" in service.jobs.premarket_outcome.message
        assert any("FII" in table.title or "Participant" in table.title for table in service.jobs.tables())
        assert wait_for(lambda: simclock.now() > datetime(2026, 11, 20, 18, 40, tzinfo=IST), timeout=60)
        assert service.jobs.imported_days == []  # 18:30: the day's files are not published yet: retried
        write_day(folder, datetime(2026, 11, 20).date())
        assert wait_for(lambda: service.jobs.imported_days, timeout=60)
        assert any(getattr(alert, "type", "") == "fii_cash" for alert in delivered)
    finally:
        service.stop_event.set()
        thread.join(10)
