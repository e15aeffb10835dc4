"""Faults over real HTTP: the official kiteconnect client, built by make_kite, against a scripted Kite-like server.

429s, 503s, timeouts and mangled bodies are retried (boundedly, with a cool-down after a run of 429s); Token,
Permission and Input errors are not, and a TokenException marks the stored token invalid through the hook.
"""

from __future__ import annotations

import threading

import pytest
from kiteconnect import exceptions as kex

from op_trading.kite.client import AuthRequired, authenticated_kite, call, call_stats, make_kite
from op_trading.kite.tokens import TokenRecord, TokenStore, token_state
from tests.fixtures_kite import (ACCESS_TOKEN, API_KEY, BAD_INPUT, BAD_TOKEN, MALFORMED, NO_PERMISSION, OMS_DOWN,
                                 PROFILE, TOO_MANY, fast_policy, kite_settings, scripted_kite)  # noqa: F401 (fixture)

NIFTY = "NSE:NIFTY 50"


@pytest.fixture
def settings(scripted_kite):
    return kite_settings(scripted_kite.url, KITE_REQUEST_TIMEOUT_SECONDS="1")


@pytest.fixture
def kite(settings):
    return make_kite(settings, ACCESS_TOKEN, policy=fast_policy())


def test_429s_are_absorbed_and_retries_keep_the_quote_pace(scripted_kite, kite):
    scripted_kite.script("/quote/ltp", TOO_MANY, TOO_MANY)
    assert call(kite, "ltp", NIFTY)[NIFTY]["last_price"] == 22000.5
    times = [seen.at for seen in scripted_kite.requests_to("/quote/ltp")]
    assert len(times) == 3
    assert all(later - earlier >= 0.98 for earlier, later in zip(times, times[1:]))  # retries are paced too
    stats = call_stats(kite).snapshot()
    assert (stats["rate_limited"], stats["retries"], stats["failures"]) == (2, 2, 0)


@pytest.mark.parametrize("fault", [OMS_DOWN, MALFORMED, (200, PROFILE[1], 1.5)], ids=["503", "malformed", "timeout"])
def test_transient_faults_are_retried(scripted_kite, kite, fault):
    scripted_kite.script("/user/profile", fault)
    assert call(kite, "profile")["user_id"] == "AB1234"
    assert len(scripted_kite.requests_to("/user/profile")) == 2


# A quote answer cut mid-document: its numbers ("414", "429", "503") say nothing about the request.
TRUNCATED_QUOTE = (200, b'{"status": "success", "data": {"NSE:NIFTY 50": {"instrument_token": 256265, '
                        b'"last_price": 22414.5, "ohlc": {"open": 22429.0, "high": 22503.0, "low": 400')
URI_TOO_LONG = (414, b"<html><body><h1>414 Request-URI Too Large</h1></body></html>")


def test_a_quote_answer_cut_short_is_retried_whatever_numbers_it_quotes(scripted_kite, kite):
    scripted_kite.script("/quote", TRUNCATED_QUOTE, TRUNCATED_QUOTE)
    assert call(kite, "quote", NIFTY)[NIFTY]["last_price"] == 22000.5
    assert len(scripted_kite.requests_to("/quote")) == 3
    assert call_stats(kite).retries == 2


def test_an_unreadable_4xx_answer_is_not_retried(scripted_kite, kite):
    scripted_kite.script("/quote", URI_TOO_LONG)
    with pytest.raises(kex.DataException):
        call(kite, "quote", NIFTY)
    assert len(scripted_kite.requests_to("/quote")) == 1


def test_attempts_are_bounded(scripted_kite, settings):
    kite = make_kite(settings, ACCESS_TOKEN, policy=fast_policy(max_attempts=3))
    scripted_kite.script("/user/profile", *[OMS_DOWN] * 10)
    with pytest.raises(kex.NetworkException):
        call(kite, "profile")
    assert len(scripted_kite.requests_to("/user/profile")) == 3


def test_max_retries_setting_bounds_the_attempts(scripted_kite):
    kite = make_kite(kite_settings(scripted_kite.url, KITE_MAX_RETRIES="2"), ACCESS_TOKEN)
    scripted_kite.script("/user/profile", *[OMS_DOWN] * 5)
    with pytest.raises(kex.NetworkException):
        call(kite, "profile")
    assert len(scripted_kite.requests_to("/user/profile")) == 2


@pytest.mark.parametrize("fault, error", [(NO_PERMISSION, kex.PermissionException), (BAD_INPUT, kex.InputException)])
def test_permission_and_input_errors_are_not_retried(scripted_kite, kite, settings, fault, error):
    store = TokenStore.from_settings(settings)
    store.save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY))
    scripted_kite.script("/quote/ltp", fault)
    with pytest.raises(error):
        call(kite, "ltp", NIFTY)
    assert len(scripted_kite.requests_to("/quote/ltp")) == 1
    assert token_state(settings).status == "valid"  # only a TokenException condemns the token


def test_token_expiry_is_not_retried_and_marks_the_store_invalid(scripted_kite, settings):
    TokenStore.from_settings(settings).save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, "AB1234"))
    kite = authenticated_kite(settings, policy=fast_policy())
    assert call(kite, "profile")["user_id"] == "AB1234"
    scripted_kite.script("/quote/ltp", BAD_TOKEN)
    with pytest.raises(kex.TokenException):
        call(kite, "ltp", NIFTY)
    assert len(scripted_kite.requests_to("/quote/ltp")) == 1
    state = token_state(settings)
    assert state.status == "invalid" and "TokenException" in state.detail
    with pytest.raises(AuthRequired, match="log in again"):
        authenticated_kite(settings)


def test_a_failing_check_of_another_token_leaves_the_stored_one_alone(scripted_kite, settings):
    TokenStore.from_settings(settings).save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY))
    stranger = make_kite(settings, "strangertoken00000000", policy=fast_policy())
    scripted_kite.script("/user/profile", BAD_TOKEN)
    with pytest.raises(kex.TokenException):
        call(stranger, "profile")
    assert token_state(settings).status == "valid"


def test_a_run_of_429s_trips_a_cool_down(scripted_kite, settings):
    kite = make_kite(settings, ACCESS_TOKEN, policy=fast_policy(cooldown_after=3, cooldown_seconds=0.6,
                                                                rate_limit_delay=0.05, max_attempts=5))
    scripted_kite.script("/user/profile", TOO_MANY, TOO_MANY, TOO_MANY)
    assert call(kite, "profile")["user_id"] == "AB1234"
    times = [seen.at for seen in scripted_kite.requests_to("/user/profile")]
    assert len(times) == 4
    assert times[3] - times[2] >= 0.6 * 0.95  # the whole class waited out the cool-down
    assert call_stats(kite).cooldowns == 1


def test_clients_in_several_threads_share_one_quote_pace(scripted_kite, settings):
    """Two clients, three threads: the server sees quote calls at most once a second (per api_key)."""
    clients = [make_kite(settings, ACCESS_TOKEN, policy=fast_policy()) for _ in range(2)]
    threads = [threading.Thread(target=call, args=(clients[i % 2], "quote", NIFTY)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    times = sorted(seen.at for seen in scripted_kite.requests_to("/quote"))
    assert len(times) == 3
    assert all(later - earlier >= 0.98 for earlier, later in zip(times, times[1:]))
