"""Benchmark: the service over a simulated trading week — RSS and CPU per simulated day (the RSS must stay flat).

Run: python tests/performance/bench_service_week.py [--days-end 2026-11-27]
The same week as tests/mock/test_service_week.py, extended to Friday: live mode against the local simulator on its
fast clock, daily 06:00 token expiry and morning login, evening participant files, pre-market capture, alerts to
local HTTP and SMTP stand-ins. One line per simulated day: cycles, RSS at the day's end, CPU seconds spent that day;
then RSS last/first day side by side.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, where /proc is missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days-end", default="2026-11-27", help="last simulated day (IST), 19:00")
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="op-bench-week-")
    os.environ["OP_TRADING_HOME"] = home
    os.chdir(home)

    from op_trading.market import calendar
    from op_trading.market.calendar import IST
    from op_trading.runtime.service import Service
    from op_trading.sandbox.participants import write_day, write_history
    from op_trading.sandbox.server import Sandbox
    from tests.fixtures_notify import HttpReceiver, SmtpReceiver, wait_until
    from tests.mock.test_service_week import week_settings
    from tests.mock.week_driver import START, Event, Killer, SimClockView, WeekDriver, follow_simulated_time, login

    last = date.fromisoformat(args.days_end)
    end = datetime(last.year, last.month, last.day, 19, 0, tzinfo=IST)
    receiver, smtp = HttpReceiver(), SmtpReceiver()
    receiver.thread.start()
    smtp.controller.start()
    samples: list[tuple[date, float, float, int]] = []  # day, RSS MB, CPU s, cycles so far
    with Sandbox(port=0, seed=42, speed=0, start_at=START, rate_limits=True) as sandbox:
        follow_simulated_time(sandbox)
        settings = week_settings(sandbox, receiver, smtp)
        folder = settings.path("PARTICIPANT_DATA_DIR")
        write_history(folder, date(2026, 11, 20), 5)
        login(sandbox, settings)
        service = Service(settings, analyzers=[], faces=[Killer()], clock=SimClockView(sandbox.clock), restart_backoff=0.05)

        def sample(day: date) -> None:
            samples.append((day, rss_mb(), time.process_time(), len(service.cycle_times)))

        events = []
        day = START.date()
        while day <= last:
            midnight = datetime(day.year, day.month, day.day, tzinfo=IST) + timedelta(days=1)
            events.append(Event(midnight, f"sample {day}", lambda day=day: sample(day)))
            if calendar.is_trading_day(day):
                events.append(Event(datetime(day.year, day.month, day.day, 7, 30, tzinfo=IST), "login",
                                    lambda: login(sandbox, settings)))
                events.append(Event(datetime(day.year, day.month, day.day, 18, 0, tzinfo=IST), "publish",
                                    lambda day=day: write_day(folder, day)))
            day += timedelta(days=1)
        events = [event for event in events if event.at < end]
        driver = WeekDriver(sandbox, events, end=end)
        stop = threading.Event()
        started = time.perf_counter()
        sample(START.date() - timedelta(days=1))
        service.start()
        thread = threading.Thread(target=driver.run, args=(stop,), daemon=True)
        thread.start()
        driver.finished.wait(900)
        sample(last)
        wait_until(lambda: service.notifier.pending() == 0, 20)
        stop.set()
        service.stop()
        wall = time.perf_counter() - started
    receiver.server.shutdown()
    smtp.controller.stop()

    print(f"service week: {START:%a %d %b %H:%M} -> {end:%a %d %b %H:%M} IST simulated in {wall:.1f} s real")
    print(f"{'day':<12} {'trading':>7} {'cycles':>6} {'RSS MB':>8} {'CPU s':>7}")
    for (previous, current) in zip(samples, samples[1:]):
        day, rss, cpu, cycles = current
        print(f"{day:%a %d %b}   {'yes' if calendar.is_trading_day(day) else 'no':>7} {cycles - previous[3]:>6} "
              f"{rss:>8.1f} {cpu - previous[2]:>7.2f}")
    days = [row for row in samples[1:] if calendar.is_trading_day(row[0])]
    print("(the simulator in this process keeps the instrument universes of its last 3 days: RSS settles after them)")
    print(f"RSS after the first session {days[0][1]:.1f} MB, after the last {days[-1][1]:.1f} MB, ratio last/first "
          f"{days[-1][1] / days[0][1]:.3f}; after the 3rd session {days[min(2, len(days) - 1)][1]:.1f} MB, ratio "
          f"last/3rd {days[-1][1] / days[min(2, len(days) - 1)][1]:.3f}; CPU total {samples[-1][2] - samples[0][2]:.1f} s; "
          f"restarts {service.restart_counts()}; alerts {int(service.metrics.value('op_alerts_total'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
