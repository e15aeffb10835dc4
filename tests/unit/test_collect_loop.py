"""The aligned loop on a simulated clock: boundaries, market hours and holidays, token expiry, errors, stop."""

import threading
from datetime import datetime, timedelta

import pytest

from op_trading.collectors.loop import TOKEN_EXPIRED_MESSAGE, LoopClock, next_boundary, run_loop, wait_until
from op_trading.kite.errors import AuthRequired
from op_trading.market.calendar import IST


class VirtualClock(LoopClock):
    """An IST clock that moves only when the loop sleeps (or a cycle takes `cycle_seconds`): deterministic."""

    def __init__(self, start: datetime, cycle_seconds: float = 1.7):
        super().__init__(now=lambda: self.at, speed=1.0)
        self.at, self.cycle_seconds, self.slept = start, cycle_seconds, []

    def sleep(self, seconds: float, stop_event: threading.Event) -> bool:
        self.slept.append(seconds)
        self.at += timedelta(seconds=seconds)
        return stop_event.is_set()


class Recorder:
    def __init__(self, clock: VirtualClock, fail_with=None):
        self.clock, self.fail_with, self.times = clock, fail_with or {}, []

    def __call__(self):
        self.times.append(self.clock.now())
        self.clock.at += timedelta(seconds=self.clock.cycle_seconds)
        error = self.fail_with.get(len(self.times))
        if error:
            raise error
        return len(self.times)


def test_next_boundary_is_the_next_multiple_of_the_interval():
    at = datetime(2025, 10, 14, 10, 15, 12, 500000, tzinfo=IST)
    assert next_boundary(at, 30) == datetime(2025, 10, 14, 10, 15, 30, tzinfo=IST)
    assert next_boundary(datetime(2025, 10, 14, 10, 15, 30, tzinfo=IST), 30).second == 0
    assert next_boundary(at, 60) == datetime(2025, 10, 14, 10, 16, tzinfo=IST)


def test_cycles_after_the_first_start_on_half_minute_boundaries():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    cycle = Recorder(clock)
    seen = []
    result = run_loop(cycle, interval=30, clock=clock, cycles=4, on_cycle=seen.append)
    assert (result.reason, result.cycles, seen) == ("done", 4, [1, 2, 3, 4])
    assert cycle.times == [datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST)] + [
        datetime(2025, 10, 14, 10, 15, 30, tzinfo=IST) + timedelta(seconds=30 * k) for k in range(3)]


def test_a_cycle_longer_than_the_interval_skips_a_boundary_instead_of_running_twice():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 0, tzinfo=IST), cycle_seconds=40)
    cycle = Recorder(clock)
    run_loop(cycle, interval=30, clock=clock, cycles=3)
    assert [t.strftime("%H:%M:%S") for t in cycle.times] == ["10:15:00", "10:16:00", "10:17:00"]


def test_outside_market_hours_it_sleeps_until_the_next_session_over_weekends_and_holidays():
    clock = VirtualClock(datetime(2025, 10, 17, 18, 0, tzinfo=IST))  # Friday evening
    cycle = Recorder(clock)
    result = run_loop(cycle, interval=30, clock=clock, cycles=1)
    assert cycle.times == [datetime(2025, 10, 20, 9, 15, tzinfo=IST)]  # Monday's open
    assert "waiting for 2025-10-20 09:15" in result.waits[0]
    clock = VirtualClock(datetime(2025, 10, 20, 16, 0, tzinfo=IST))  # 21 and 22 Oct 2025: Diwali holidays
    cycle = Recorder(clock)
    run_loop(cycle, interval=30, clock=clock, cycles=1)
    assert cycle.times == [datetime(2025, 10, 23, 9, 15, tzinfo=IST)]
    assert max(clock.slept) <= 3600  # long waits are sliced so the clock is re-read


def test_a_token_exception_stops_the_loop_with_one_clear_message():
    from kiteconnect.exceptions import TokenException

    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    cycle = Recorder(clock, {2: TokenException("Incorrect `api_key` or `access_token`.")})
    result = run_loop(cycle, interval=30, clock=clock, cycles=None)
    assert result.auth_failed and result.cycles == 1 and len(cycle.times) == 2
    assert result.message == TOKEN_EXPIRED_MESSAGE and "log in again" in result.message.lower()


def test_auth_required_stops_too():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    result = run_loop(Recorder(clock, {1: AuthRequired("no token")}), interval=30, clock=clock, cycles=3)
    assert result.reason == "auth" and result.cycles == 0


def test_other_errors_are_counted_and_the_next_boundary_is_tried():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    errors = []
    cycle = Recorder(clock, {1: ConnectionError("reset"), 3: ValueError("bad body")})
    result = run_loop(cycle, interval=30, clock=clock, cycles=4, on_error=errors.append)
    assert (result.reason, result.cycles, result.errors, len(cycle.times)) == ("done", 2, 2, 4)
    assert result.last_error == "ValueError: bad body" and len(errors) == 2
    assert [t.second for t in cycle.times] == [12, 30, 0, 30]  # after a failure: the next boundary, no hammering


def test_a_run_of_n_cycles_ends_after_n_tries_even_when_every_cycle_fails():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    cycle = Recorder(clock, {n: ValueError("down") for n in range(1, 100)})
    result = run_loop(cycle, interval=30, clock=clock, cycles=3)
    assert (result.reason, result.cycles, result.errors, len(cycle.times)) == ("done", 0, 3, 3)


def test_failures_in_a_row_end_a_run_with_the_reason():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    fails = {1: ValueError("once"), **{n: ConnectionError("refused") for n in range(3, 100)}}
    cycle = Recorder(clock, fails)
    result = run_loop(cycle, interval=30, clock=clock, cycles=50, max_failures_in_a_row=4)
    assert (result.reason, result.cycles, result.errors, len(cycle.times)) == ("failing", 1, 5, 6)
    assert result.message == "collection stopped after 4 failed cycles in a row; last: ConnectionError: refused"


def test_an_open_ended_run_keeps_trying_through_failures():
    stop = threading.Event()
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    cycle = Recorder(clock, {n: ConnectionError("refused") for n in range(1, 12)})
    result = run_loop(cycle, interval=30, clock=clock, cycles=None, on_cycle=lambda _: stop.set(), stop_event=stop)
    assert (result.reason, result.cycles, result.errors) == ("stopped", 1, 11)


def test_a_slot_already_stored_is_not_collected_again():
    clock = VirtualClock(datetime(2025, 10, 14, 10, 15, 12, tzinfo=IST))
    cycle = Recorder(clock)
    run_loop(cycle, interval=30, clock=clock, cycles=2, not_before=datetime(2025, 10, 14, 10, 15, 30, tzinfo=IST))
    assert [t.strftime("%H:%M:%S") for t in cycle.times] == ["10:15:30", "10:16:00"]


def test_the_loop_stops_at_the_close_and_resumes_next_session():
    clock = VirtualClock(datetime(2025, 10, 14, 15, 29, 5, tzinfo=IST))
    cycle = Recorder(clock)
    run_loop(cycle, interval=30, clock=clock, cycles=3)
    assert [t.strftime("%d %H:%M:%S") for t in cycle.times] == ["14 15:29:05", "14 15:29:30", "15 09:15:00"]


def test_stop_event_ends_a_long_wait_promptly():
    stop = threading.Event()
    clock = LoopClock(lambda: datetime(2025, 10, 18, 12, 0, tzinfo=IST), 1.0)  # Saturday, frozen
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    result = run_loop(lambda: pytest.fail("no cycle on a Saturday"), interval=30, clock=clock, stop_event=stop)
    timer.join()
    assert result.reason == "stopped" and result.cycles == 0


def test_market_hours_can_be_ignored_for_one_off_collection():
    saturday = datetime(2025, 10, 18, 12, 0, tzinfo=IST)
    clock = VirtualClock(saturday)
    cycle = Recorder(clock)
    assert run_loop(cycle, interval=30, clock=clock, cycles=1, market_hours=False).cycles == 1
    assert cycle.times == [saturday]


def test_wait_until_a_past_instant_returns_at_once():
    clock = LoopClock(lambda: datetime(2025, 10, 14, 10, 0, tzinfo=IST))
    assert wait_until(datetime(2025, 10, 14, 9, 0, tzinfo=IST), clock, threading.Event()) is False
