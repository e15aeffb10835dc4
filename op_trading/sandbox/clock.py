"""The simulator's clock: IST time that can start in the past and run faster than real time.

By default, when the real time is inside a session (with at least half an hour of it left) the clock is the real
time; otherwise it starts at 09:15 of the most recent session, so the market is always "open", and stays open for a
while, when a developer starts the simulator. `speed` multiplies the
passage of real time (60 = one simulated minute per real second).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from op_trading.market import calendar


SESSION_LEFT_TO_START_AT_NOW = timedelta(minutes=30)


def default_start(real_now: datetime | None = None) -> datetime:
    """The real time inside a session with half an hour or more of it left; else the latest session's 09:15 (a run
    started at 15:29 would see one cycle, then a closed market whose prices and volumes no longer move)."""
    real_now = calendar.to_ist(real_now) if real_now is not None else calendar.now_ist()
    if calendar.is_market_open(real_now) and \
            real_now + SESSION_LEFT_TO_START_AT_NOW <= calendar.market_close_at(real_now.date()):
        return real_now
    return calendar.market_open_at(calendar.latest_session_day(real_now))


def parse_start(value: datetime | str | None) -> datetime | None:
    """A start time from a datetime or ISO text ("2026-11-20 10:30"); naive values are IST."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    return calendar.to_ist(value)


class SimClock:
    """now() = start + (real elapsed) x speed. Thread safe; `set` and `freeze` are for tests and demos."""

    def __init__(self, start_at: datetime | str | None = None, speed: float = 1.0,
                 monotonic=time.monotonic) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._start = parse_start(start_at) or default_start()
        self._real_start = monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            elapsed = (self._monotonic() - self._real_start) * self._speed
            return self._start + timedelta(seconds=elapsed)

    def set(self, moment: datetime | str, speed: float | None = None) -> None:
        """Jump to `moment` and go on from there (at `speed` if given)."""
        start = parse_start(moment)
        if speed is not None and speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._start, self._real_start = start, self._monotonic()
            if speed is not None:
                self._speed = float(speed)

    def freeze(self) -> None:
        """Stop the clock where it is (speed 0)."""
        self.set(self.now(), speed=0.0)
