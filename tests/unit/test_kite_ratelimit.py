"""Pacing per endpoint class, shared across threads, with a cool-down; a fake clock so nothing really waits."""

from __future__ import annotations

import threading

import pytest

from op_trading.kite.ratelimit import (HISTORICAL, OTHER, QUOTE, RateLimiter, endpoint_class, shared_limiter)
from tests.fixtures_kite import FakeClock


@pytest.mark.parametrize("method, expected", [
    ("quote", QUOTE), ("ltp", QUOTE), ("ohlc", QUOTE), ("historical_data", HISTORICAL), ("profile", OTHER),
    ("instruments", OTHER), ("generate_session", OTHER), ("margins", OTHER),
])
def test_endpoint_classes_follow_kites_table(method, expected):
    assert endpoint_class(method) == expected


def sent_times(limiter: RateLimiter, clock: FakeClock, endpoint: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        limiter.acquire(endpoint)
        times.append(clock.now)
    return times


@pytest.mark.parametrize("endpoint, per_second", [(QUOTE, 1), (HISTORICAL, 3), (OTHER, 10)])
def test_no_one_second_window_holds_more_than_the_limit(endpoint, per_second):
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    times = sent_times(limiter, clock, endpoint, per_second * 5)
    for start in times:  # every window [t, t + 1s) that starts at a send
        assert sum(1 for t in times if start <= t < start + 1.0) <= per_second
    # ...and the pacing is not wastefully slow: within 10 % of the limit.
    assert (times[-1] - times[0]) <= (len(times) - 1) / per_second * 1.10


def test_classes_do_not_hold_each_other_up():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire(QUOTE)
    assert limiter.acquire(OTHER) == 0  # a profile call right after a quote call does not wait a second
    assert limiter.acquire(QUOTE) == pytest.approx(1.05)


def test_threads_share_the_limit():
    """Eight threads asking at once get eight distinct, evenly spaced slots (reservations are taken under a lock)."""
    clock = FakeClock()
    limiter = RateLimiter(clock=lambda: 1000.0, sleep=clock.sleep)  # time frozen: only reservations count
    delays: list[float] = []
    lock = threading.Lock()

    def worker():
        delay = limiter.reserve(QUOTE)
        with lock:
            delays.append(delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(delays) == pytest.approx([i * 1.05 for i in range(8)])
    assert limiter.counters[QUOTE].calls == 8


def test_cool_down_holds_the_class_and_resets_the_run_of_429s():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert [limiter.note_rate_limited(QUOTE) for _ in range(3)] == [1, 2, 3]
    limiter.cool_down(QUOTE, 5.0)
    assert limiter.acquire(QUOTE) == pytest.approx(5.0)
    assert limiter.acquire(OTHER) == 0
    assert limiter.note_rate_limited(QUOTE) == 1
    limiter.note_success(QUOTE)
    assert limiter.note_rate_limited(QUOTE) == 1
    assert limiter.counters[QUOTE].cooldowns == 1


def test_shared_limiter_is_one_per_root_and_api_key():
    first = shared_limiter("http://127.0.0.1:1/", "key-a")
    assert shared_limiter("http://127.0.0.1:1", "key-a") is first
    assert shared_limiter("http://127.0.0.1:1", "key-b") is not first
    assert shared_limiter("http://127.0.0.1:2", "key-a") is not first


def test_an_overrunning_sleep_pushes_the_next_slot_back():
    """On a loaded machine a sleep lasts longer than asked; the next call still waits a full interval after it."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=lambda seconds: clock.sleep(seconds + 0.4))
    times = sent_times(limiter, clock, QUOTE, 4)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= limiter.interval(QUOTE)
