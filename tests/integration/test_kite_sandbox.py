"""The official kiteconnect client, built by our factory, against the local Kite simulator.

Login through the simulator's login page and our redirect catcher, session exchange, the usual data calls, manual
tokens, and the rate limits of simulator and client together: paced calls meet no 429 while unpaced ones do, a
429 burst is absorbed, and an expired token is not retried and marks the store invalid.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from kiteconnect import exceptions as kex

from op_trading.kite import verify
from op_trading.kite.client import AuthRequired, authenticated_kite, call, call_stats, make_kite
from op_trading.kite.errors import InvalidToken, LoginError
from op_trading.kite.login import (RedirectCatcher, exchange_request_token, login_url, new_state,
                                   verify_and_store_access_token)
from op_trading.kite.tokens import IST, TokenStore, now_utc, token_state
from op_trading.outcome import Status
from tests.fixtures_kite import (browse, fast_policy, redirect_url, sandbox,  # noqa: F401 (fixtures)
                                 sandbox_settings)

NIFTY = "NSE:NIFTY 50"


@pytest.fixture
def settings(sandbox):
    return sandbox_settings(sandbox)


def logged_in(sandbox, settings):
    exchange_request_token(settings, sandbox.create_request_token())
    return authenticated_kite(settings)


def test_browser_login_through_the_simulator_and_our_catcher(sandbox, settings, redirect_url):
    state = new_state()
    url = login_url(settings, state) + "&autologin=success"  # the simulator's "press Log in" for scripts
    with RedirectCatcher(redirect_url, timeout=10, expected_state=state) as catcher:
        browser = threading.Thread(target=browse, args=(url,))
        browser.start()
        request_token = catcher.wait()
    browser.join(5)
    record = exchange_request_token(settings, request_token)
    assert record.user_id == "AB1234" and record.source == "login"
    assert record.expires_at > now_utc() and record.expires_at.astimezone(IST).hour == 6
    assert TokenStore.from_settings(settings).load() == record
    assert token_state(settings).status == "valid"


def test_a_cancelled_login_is_reported_plainly(sandbox, settings, redirect_url):
    state = new_state()
    with RedirectCatcher(redirect_url, timeout=10, expected_state=state) as catcher:
        threading.Thread(target=browse, args=(login_url(settings, state) + "&autologin=error",)).start()
        with pytest.raises(LoginError, match="status=error"):
            catcher.wait()


def test_a_request_token_works_once(sandbox, settings):
    request_token = sandbox.create_request_token()
    exchange_request_token(settings, request_token)
    with pytest.raises(LoginError, match="log in again"):
        exchange_request_token(settings, request_token)
    assert sandbox.count("POST /session/token") == 2  # the refused exchange was not retried


def test_a_wrong_api_secret_is_named(sandbox):
    settings = sandbox_settings(sandbox, KITE_API_SECRET="0123456789abcdef0123456789abcdef")
    with pytest.raises(LoginError, match="KITE_API_SECRET does not belong to KITE_API_KEY"):
        exchange_request_token(settings, sandbox.create_request_token())
    assert TokenStore.from_settings(settings).load() is None


def test_data_calls_through_the_factory(sandbox, settings):
    kite = logged_in(sandbox, settings)
    assert call(kite, "profile")["user_id"] == "AB1234"
    assert call(kite, "ltp", NIFTY)[NIFTY]["last_price"] > 0
    quote = call(kite, "quote", NIFTY, "BSE:SENSEX")
    assert set(quote) == {NIFTY, "BSE:SENSEX"} and "ohlc" in quote[NIFTY]
    today = now_utc().astimezone(IST).replace(tzinfo=None, microsecond=0)
    candles = call(kite, "historical_data", 256265, today - timedelta(days=10), today, "day")
    assert candles and {"date", "open", "high", "low", "close"} <= set(candles[0])


def test_manual_token_is_verified_with_one_profile_call(sandbox, settings):
    record = verify_and_store_access_token(settings, sandbox.issue_access_token())
    assert record.source == "manual" and record.user_id == "AB1234"
    assert sandbox.count("GET /user/profile") == 1
    assert token_state(settings).status == "valid"


def test_an_invalid_manual_token_is_never_saved(sandbox, settings):
    with pytest.raises(InvalidToken, match="nothing was saved"):
        verify_and_store_access_token(settings, "notatokenKiteKnows123")
    assert sandbox.count("GET /user/profile") == 1
    assert not TokenStore.from_settings(settings).path.exists()
    with pytest.raises(InvalidToken):
        verify_and_store_access_token(settings, "bad token!")  # format: refused before any call
    assert sandbox.count("GET /user/profile") == 1


def test_paced_quote_calls_meet_no_429(sandbox, settings):
    kite = logged_in(sandbox, settings)
    started = time.monotonic()
    for _ in range(6):
        assert NIFTY in call(kite, "quote", NIFTY)
    elapsed = time.monotonic() - started
    assert sandbox.count("GET /quote", 429) == 0 and sandbox.count("GET /quote", 200) == 6
    assert 5 * 1.0 <= elapsed < 5 * 1.05 + 1.5  # about one per second: paced, not slowed down further
    assert call_stats(kite).retries == 0


def test_unpaced_calls_do_meet_429_so_the_simulator_really_limits(sandbox, settings):
    kite = logged_in(sandbox, settings)
    refused = 0
    for _ in range(3):
        try:
            kite.quote(NIFTY)  # straight to the client, no limiter
        except kex.NetworkException as error:
            assert error.code == 429
            refused += 1
    assert refused >= 2 and sandbox.count("GET /quote", 429) == refused


def test_a_429_burst_is_absorbed_without_a_storm(sandbox, settings):
    kite = make_kite(settings, sandbox.issue_access_token(), policy=fast_policy(rate_limit_delay=0.3))
    sandbox.set_faults("429_burst=3")
    assert call(kite, "profile")["user_id"] == "AB1234"
    assert sandbox.count("GET /user/profile", 429) == 3
    assert sandbox.count("GET /user/profile") == 4  # three refusals, one success: nothing more
    stats = call_stats(kite).snapshot()
    assert (stats["rate_limited"], stats["cooldowns"], stats["failures"]) == (3, 1, 0)


def test_token_expiry_mid_run_is_not_retried_and_marks_the_store(sandbox, settings):
    kite = logged_in(sandbox, settings)
    assert call(kite, "profile")["user_id"] == "AB1234"
    sandbox.expire_tokens()
    with pytest.raises(kex.TokenException):
        call(kite, "ltp", NIFTY)
    assert sandbox.count("GET /quote/ltp") == 1
    assert token_state(settings).status == "invalid"
    with pytest.raises(AuthRequired):
        authenticated_kite(settings)


def test_setup_checks_against_the_simulator(sandbox, settings):
    assert [c.name for c in verify.test_connection(settings)][-1] == "Kite token"  # no token yet: said plainly
    logged_in(sandbox, settings)
    for checks in (verify.test_connection(settings), verify.validate_permissions(settings),
                   verify.stored_token_checks(settings)):
        assert all(check.status is Status.OK for check in checks), checks
    ltp = verify.test_connection(settings)[-1]
    assert ltp.name == "LTP" and " ms" in ltp.detail
    assert int(ltp.detail.rsplit(" in ", 1)[1].split()[0]) < 900  # latency excludes the rate limiter's wait
