"""A simulated trading week for the service, shared by the end-to-end test and the benchmark.

The service runs in live mode against the local simulator (the official kiteconnect client, real HTTP), on the
simulator's clock. The "trader" (a driver thread) logs in each trading morning when told to, the simulator publishes
participant files each evening, a collection thread is killed once; the clock runs fast at night, slower in the
morning and evening, slowest during sessions. Week: Sun 22 Nov 2026 20:00 -> Wed 25 Nov 2026 20:00 IST: Mon 23 is an
expiry day (the NIFTY weekly expiry moves to Monday because Tue 24 Nov is an NSE holiday, Guru Nanak Jayanti),
Wed 25 a normal session. Alerts go to real local stand-ins (HTTP webhook + Telegram API, SMTP).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as day_time
from typing import Callable

from op_trading.market import calendar
from op_trading.market.calendar import IST, to_ist

START = datetime(2026, 11, 22, 20, 0, tzinfo=IST)
END = datetime(2026, 11, 25, 20, 0, tzinfo=IST)  # 18:30 import + retries: margin for a late publication
SESSIONS = (date(2026, 11, 23), date(2026, 11, 25))
HOLIDAY = date(2026, 11, 24)
SPEED_NIGHT, SPEED_EDGES, SPEED_SESSION = 60000.0, 20000.0, 3000.0
TICK = 0.01  # real seconds between the driver's looks at the clock


class ThreadKill(BaseException):
    """Kills the collection thread from inside a cycle (a fault that cannot be caused for real)."""


class Killer:
    """A face whose per-cycle hook kills the collection thread once, when armed (analyzers run on the analytics
    worker, which survives a failing analyzer; faces are called on the collection thread itself)."""

    def __init__(self) -> None:
        self.armed = False
        self.killed_at: datetime | None = None

    def start(self, service) -> None:
        pass

    def stop(self) -> None:
        pass

    def on_cycle(self, report):
        if self.armed:
            self.armed = False
            self.killed_at = report.cycle.timestamp
            raise ThreadKill("collection thread killed by the test")
        return []


class SimClockView:
    """The service's clock: the simulator's time and its current speed (the driver changes it)."""

    def __init__(self, sim) -> None:
        self.sim = sim

    def now(self) -> datetime:
        return self.sim.now()

    @property
    def speed(self) -> float:
        return self.sim.speed

    def sleep(self, seconds: float, stop_event: threading.Event) -> bool:
        return stop_event.wait(seconds / self.speed if self.speed > 0 else seconds)


def speed_for(now: datetime) -> float:
    now = to_ist(now)
    if not calendar.is_trading_day(now.date()):
        return SPEED_NIGHT
    moment = now.time()
    if day_time(9, 5) <= moment <= day_time(15, 35):
        return SPEED_SESSION
    if day_time(5, 40) <= moment <= day_time(20, 0):
        return SPEED_EDGES
    return SPEED_NIGHT


@dataclass
class Event:
    at: datetime
    name: str
    action: Callable[[], None]
    done: bool = False


@dataclass
class WeekDriver:
    sandbox: object
    events: list[Event]
    end: datetime = END
    finished: threading.Event = field(default_factory=threading.Event)
    log: list[tuple[datetime, str]] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        clock = self.sandbox.clock
        while not stop.is_set():
            now = to_ist(clock.now())
            for event in self.events:
                if not event.done and now >= event.at:
                    event.done = True
                    self.log.append((now, event.name))
                    event.action()
            if now >= self.end:
                clock.freeze()
                self.finished.set()
                return
            wanted = speed_for(now)
            if wanted != clock.speed:
                clock.set(clock.now(), speed=wanted)  # read again: no step back in time
            time.sleep(TICK)


def login(sandbox, settings) -> None:
    """The trader logs in: a fresh access token from the simulator, stored with its simulated issue time."""
    from op_trading.kite.tokens import TokenRecord, TokenStore

    token = sandbox.issue_access_token()
    record = TokenRecord.issued_now(token, sandbox.api_key, "AB1234", "Sandbox Trader", source="login",
                                    now=sandbox.clock.now())
    TokenStore.from_settings(settings).save(record)


def follow_simulated_time(sandbox) -> None:
    """Token lifetimes in the simulator on its own clock (the simulator's sessions default to the wall clock)."""
    sandbox.sessions._wall = lambda: sandbox.clock.now().timestamp()
