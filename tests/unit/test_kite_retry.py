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


@pytest.mark.parametrize("error, status, expected", [
    # A quote answer cut short quotes its numbers: "414", "429" or "400 Bad Request" in the body mean nothing.
    (kex.DataException("Couldn't parse the JSON response received from the server: "
                       "b'{\"data\": {\"NSE:NIFTY 50\": {\"last_price\": 22414.5, \"note\": \"400 Bad Request 429'"),
     200, RETRY),
    (kex.DataException("Unknown Content-Type (text/html) with response: (b'<html>502 Bad Gateway')"), 502, RETRY),
    (kex.DataException("Unknown Content-Type (text/html) with response: (b'<html>Request-URI Too Large')"), 414, FATAL),
    (kex.DataException("Unknown Content-Type (text/html) with response: (b'<html>Slow down</html>')"), 429,
     RATE_LIMITED),
    (KeyError("content-type"), 200, RETRY),  # an answer arrived without a Content-Type: malformed, like a 5xx
    (ValueError("Unknown string format: 2026-13-45"), 200, RETRY),  # the client could not parse a timestamp
    (ValueError("bad argument"), None, FATAL),  # no answer arrived: our own mistake, asking again cannot help
    (kex.GeneralException("Something went wrong; see 503 and 429 in the text", code=400), 400, FATAL),
])
def test_classify_reads_the_exception_type_and_http_status_never_the_text(error, status, expected):
    assert classify(error, "quote", status) == expected


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
    assert describe(body_error, 200).startswith("DataException (HTTP 200)")  # the status received, not the default


def test_describe_is_one_bounded_line_whatever_the_error_text():
    huge = RuntimeError("x" * 150_000 + "\nsecond line")
    text = describe(huge)
    assert len(text) <= 300 and "\n" not in text and text.startswith("RuntimeError: xxx")


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


def test_a_malformed_answer_is_retried_by_the_caller():
    kite = FakeKite(kex.DataException("Couldn't parse the JSON response received from the server: b'{\"414'"),
                    {"ok": 1})
    caller, _ = caller_for(kite)
    assert caller.call("ltp", "NSE:NIFTY 50") == {"ok": 1}
    assert kite.calls == 2 and caller.stats.retries == 1


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
