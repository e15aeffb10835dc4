"""What is retried and what is not, the backoff, and the caller's counters (real HTTP faults: tests/chaos)."""

from __future__ import annotations

import random

import pytest
import requests
from kiteconnect import exceptions as kex

from op_trading.kite.client import KiteCaller
from op_trading.kite.ratelimit import RateLimiter
from op_trading.kite.retry import FATAL, RATE_LIMITED, RETRY, RetryPolicy, classify, describe
from tests.fixtures_kite import FakeClock, fast_policy


@pytest.mark.parametrize("error, expected", [
    (kex.NetworkException("Too many requests", code=429), RATE_LIMITED),
    (kex.GeneralException("Too many requests", code=429), RATE_LIMITED),
    (kex.NetworkException("Gateway down", code=503), RETRY),
    (kex.GeneralException("boom", code=500), RETRY),
    (kex.GeneralException("Not found", code=404), FATAL),
    (kex.DataException("Couldn't parse the JSON response received from the server: b'{'"), RETRY),
    (kex.DataException("Unknown Content-Type (text/html) with response: (b'<html>414 Request-URI Too Large')"), FATAL),
    (kex.TokenException("Incorrect `api_key` or `access_token`.", code=403), FATAL),
    (kex.PermissionException("Insufficient permission for that call.", code=403), FATAL),
    (kex.InputException("Invalid `instrument`.", code=400), FATAL),
    (kex.OrderException("rejected", code=500), FATAL),
    (requests.exceptions.ReadTimeout("read timeout=7"), RETRY),
    (requests.exceptions.ConnectTimeout("connect timeout"), RETRY),
    (requests.exceptions.ConnectionError("refused"), RETRY),
    (requests.exceptions.InvalidURL("bad"), FATAL),
    (KeyError("content-type"), FATAL),
])
def test_classify(error, expected):
    assert classify(error, "quote") == expected


def test_state_changing_calls_are_retried_only_after_a_429():
    assert classify(requests.exceptions.ReadTimeout("t"), "generate_session") == FATAL
    assert classify(kex.NetworkException("down", code=503), "place_order") == FATAL
    assert classify(kex.NetworkException("Too many requests", code=429), "generate_session") == RATE_LIMITED


def test_backoff_grows_is_capped_and_jittered():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, rate_limit_delay=1.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = {policy.delay(attempt, RETRY, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: parallel callers do not retry in lockstep
    assert all(1.0 <= policy.delay(1, RATE_LIMITED, rng) <= 1.25 for _ in range(50))


def test_describe_never_quotes_a_response_body():
    body_error = kex.DataException("Couldn't parse the JSON response received from the server: "
                                   "b'{\"data\": {\"access_token\": \"secretsecret\"'")
    text = describe(body_error)
    assert "secretsecret" not in text and text.startswith("DataException (HTTP 502)")
    html_error = kex.DataException("Unknown Content-Type (text/html) with response: (b'<html>secretsecret')")
    assert "secretsecret" not in describe(html_error)


class FakeKite:
    """Only what KiteCaller touches; `answers` are raised (exceptions) or returned in order."""

    def __init__(self, *answers):
        self.root, self.api_key, self.access_token = "http://fake", "fakekey", "faketoken12345678"
        self.answers = list(answers)
        self.calls = 0

    def ltp(self, *instruments):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def caller_for(kite, **policy):
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return KiteCaller(kite, limiter=limiter, policy=fast_policy(**policy), sleep=clock.sleep,
                      rng=random.Random(1)), clock


def test_transient_errors_are_retried_until_success():
    kite = FakeKite(kex.NetworkException("down", code=503), requests.exceptions.ReadTimeout("t"), {"ok": 1})
    caller, _ = caller_for(kite)
    assert caller.call("ltp", "NSE:NIFTY 50") == {"ok": 1}
    assert caller.stats.snapshot()["attempts"] == 3 and caller.stats.retries == 2 and caller.stats.failures == 0


def test_attempts_are_bounded():
    kite = FakeKite(*[kex.NetworkException("down", code=503)] * 10)
    caller, _ = caller_for(kite, max_attempts=3)
    with pytest.raises(kex.NetworkException):
        caller.call("ltp", "NSE:NIFTY 50")
    assert kite.calls == 3 and caller.stats.failures == 1


@pytest.mark.parametrize("error", [kex.TokenException("expired", code=403), kex.InputException("bad", code=400),
                                   kex.PermissionException("no", code=403)])
def test_fatal_errors_are_not_retried(error):
    kite = FakeKite(error, {"never": "reached"})
    caller, _ = caller_for(kite)
    with pytest.raises(type(error)):
        caller.call("ltp", "NSE:NIFTY 50")
    assert kite.calls == 1 and caller.stats.retries == 0


def test_repeated_429s_trip_one_cool_down_for_the_class():
    too_many = kex.NetworkException("Too many requests", code=429)
    kite = FakeKite(too_many, too_many, too_many, {"ok": 1})
    caller, clock = caller_for(kite, cooldown_after=3, cooldown_seconds=5.0)
    assert caller.call("ltp", "NSE:NIFTY 50") == {"ok": 1}
    stats = caller.stats.snapshot()
    assert (stats["rate_limited"], stats["cooldowns"], stats["attempts"]) == (3, 1, 4)
    assert max(clock.sleeps) >= 5.0 - 1.05  # the last attempt waited out the cool-down (minus its own backoff)
