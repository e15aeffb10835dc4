"""The collection loop: cycles aligned to the interval boundary, only while the market is open.

* The first cycle runs at once (its timestamp is floored to :00/:30 anyway); later cycles start on the next
  multiple of the interval on the IST clock (:00 and :30 for 30 s), so a slow cycle skips a boundary instead of
  drifting or running twice in one slot.
* Outside market hours and on exchange holidays it sleeps until the next session opens, waking only for the
  stop event — no polling of Kite while the market is shut.
* A TokenException (or AuthRequired) ends the loop at once with one clear message; other errors are counted and the
  next boundary is tried (the Kite layer has already retried what is worth retrying).
* A run of a given number of cycles always ends: failed cycles count towards the number, and such a run stops early
  after `max_failures_in_a_row` failed cycles in a row (MAX_FAILURES_IN_A_ROW for `collect --cycles N`), with the
  last error as the reason. An open-ended run (the service) keeps trying at every boundary.
* The clock may be simulated (the local simulator runs faster than real time): waits are converted with `speed`.

The loop never prints: each finished cycle goes to `on_cycle`, each failed one to `on_error`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from op_trading.collectors.market_data import is_auth_error
from op_trading.errortext import error_line
from op_trading.market import calendar
from op_trading.market.calendar import to_ist

log = logging.getLogger(__name__)

TOKEN_EXPIRED_MESSAGE = ("Kite rejected the access token (TokenException): collection stopped. "
                         "Log in again (`python op_trading_setup.py run production.login`), then restart collection.")
MAX_WAITS_KEPT = 10
MAX_FAILURES_IN_A_ROW = 5  # a run of N cycles gives up after this many failed cycles in a row
MAX_WAIT_SLICE = 3600.0  # re-read the clock at least hourly during long waits (suspend/resume, clock changes)


@dataclass
class LoopClock:
    now: Callable[[], datetime] = calendar.now_ist
    speed: float = 1.0  # clock seconds per real second (the simulator can run faster); 0 = frozen, waits in real time

    def sleep(self, seconds: float, stop_event: threading.Event) -> bool:
        """Let `seconds` of this clock pass (or the stop event come); True when stopped."""
        return stop_event.wait(seconds / self.speed if self.speed > 0 else seconds)


@dataclass
class LoopResult:
    # "done" (cycle count reached), "stopped" (stop event), "auth" (token rejected), "failing" (too many failed
    # cycles in a row), "closed" (the market closed and the caller asked to get control back then)
    reason: str
    cycles: int = 0  # cycles that succeeded
    errors: int = 0  # cycles that failed
    failures_in_a_row: int = 0
    message: str = ""
    last_error: str = ""
    waits: list[str] = field(default_factory=list)  # why the loop slept, for the caller's report

    @property
    def auth_failed(self) -> bool:
        return self.reason == "auth"

    @property
    def attempted(self) -> int:
        return self.cycles + self.errors


def next_boundary(moment: datetime, interval: int) -> datetime:
    """The first instant after `moment` whose IST seconds-of-day are a multiple of `interval`."""
    moment = to_ist(moment)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (moment - midnight).total_seconds()
    return midnight + timedelta(seconds=(int(elapsed // interval) + 1) * interval)


def wait_until(target: datetime, clock: LoopClock, stop_event: threading.Event) -> bool:
    """Sleep until the clock reaches `target`; True when the stop event ended the wait."""
    while True:
        remaining = (target - to_ist(clock.now())).total_seconds()
        if remaining <= 0:
            return stop_event.is_set()
        if clock.sleep(min(remaining, MAX_WAIT_SLICE * max(clock.speed, 1.0)), stop_event):
            return True


def sleep_on_clock(clock: Any, target: datetime, stop_event: threading.Event, slice_seconds: float = 0.5) -> bool:
    """Sleep until `clock` reaches `target`, re-reading it every `slice_seconds` of real time (a simulated clock may
    jump or change speed meanwhile); True when the stop event ended the wait. The service's long waits use this."""
    while True:
        remaining = (target - to_ist(clock.now())).total_seconds()
        if remaining <= 0:
            return stop_event.is_set()
        speed = clock.speed if clock.speed > 0 else 1.0
        if stop_event.wait(min(remaining / speed, slice_seconds)):
            return True


def run_loop(run_cycle: Callable[[], Any], *, interval: int, clock: LoopClock | None = None,
             cycles: int | None = None, stop_event: threading.Event | None = None,
             on_cycle: Callable[[Any], None] | None = None, on_error: Callable[[BaseException], None] | None = None,
             market_hours: bool = True, is_market_open: Callable[[datetime], bool] = calendar.is_market_open,
             next_session_open: Callable[[datetime], datetime] = calendar.next_session_open,
             max_failures_in_a_row: int | None = None, not_before: datetime | None = None,
             leave_when_closed: bool = False) -> LoopResult:
    """Run `run_cycle` until `cycles` have been tried (failed ones count), the stop event is set, Kite rejects the
    token or `max_failures_in_a_row` cycles failed in a row. With `not_before` (the end of a slot already stored)
    the first cycle waits for the next boundary while the clock is still before it. `leave_when_closed` returns
    (reason "closed") instead of sleeping through closed hours: the service does its own waiting (token, state)."""
    clock = clock or LoopClock()
    stop_event = stop_event or threading.Event()
    result = LoopResult("done")
    # at a boundary (or at the start, or at a session open): the next cycle may run now
    ready = not_before is None or to_ist(clock.now()) >= not_before
    while cycles is None or result.attempted < cycles:
        if stop_event.is_set():
            break
        now = to_ist(clock.now())
        if market_hours and not is_market_open(now):
            if leave_when_closed:
                result.reason = "closed"
                return result
            opens = next_session_open(now)
            result.waits.append(f"market closed at {now:%Y-%m-%d %H:%M} IST; waiting for {opens:%Y-%m-%d %H:%M}")
            del result.waits[:-MAX_WAITS_KEPT]  # a service runs for months: keep the report small
            log.info(result.waits[-1])
            if wait_until(opens, clock, stop_event):
                break
            ready = True
            continue
        if not ready:
            if wait_until(next_boundary(now, interval), clock, stop_event):
                break
            ready = True
            continue  # look at market hours again: the boundary may be the close
        ready = False
        try:
            outcome = run_cycle()
        except Exception as error:  # one bad cycle must not end a day's collection
            if is_auth_error(error):
                result.reason, result.message, result.last_error = "auth", TOKEN_EXPIRED_MESSAGE, error_line(error)
                return result
            result.errors += 1
            result.failures_in_a_row += 1
            result.last_error = error_line(error)
            log.warning("collection cycle failed: %s", result.last_error)
            if on_error:
                on_error(error)
            if max_failures_in_a_row and result.failures_in_a_row >= max_failures_in_a_row:
                result.reason = "failing"
                result.message = (f"collection stopped after {result.failures_in_a_row} failed cycles in a row; "
                                  f"last: {result.last_error}")
                return result
            continue
        result.cycles += 1
        result.failures_in_a_row = 0
        if on_cycle:
            on_cycle(outcome)
    if stop_event.is_set() and (cycles is None or result.attempted < cycles):
        result.reason = "stopped"
    return result
