"""Every fault the simulator injects, as the official client experiences it."""

from __future__ import annotations

import time

import pytest
import requests
from kiteconnect import exceptions as ex

from op_trading.sandbox import Sandbox, parse_faults
from tests.fixtures_sandbox import client


@pytest.fixture
def box():
    with Sandbox(port=0, seed=21, speed=0, rate_limits=False, start_at="2026-11-20 10:00") as sandbox:
        yield sandbox


def outcomes(kite, calls: int) -> list[str]:
    """What each of `calls` profile requests gave: "ok" or the exception class and HTTP code."""
    seen = []
    for _ in range(calls):
        try:
            kite.profile()
            seen.append("ok")
        except ex.KiteException as error:
            seen.append(f"{type(error).__name__}:{error.code}")
        except requests.RequestException as error:
            seen.append(type(error).__name__)
    return seen


def test_429_burst_then_normal_service(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("429_burst=3")
    assert outcomes(kite, 5) == ["NetworkException:429"] * 3 + ["ok"] * 2
    box.set_faults("429_burst=1")  # setting again re-arms the burst
    assert outcomes(kite, 2) == ["NetworkException:429", "ok"]


def test_429_rate(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("429_rate=0.5")
    seen = outcomes(kite, 40)
    assert 8 <= seen.count("NetworkException:429") <= 32 and "ok" in seen


def test_server_errors_cycle_through_500_502_503(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("error_rate=1")
    assert outcomes(kite, 3) == ["GeneralException:500", "NetworkException:502", "NetworkException:503"]


def test_gateway_html_page_is_a_data_exception(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("html_rate=1")
    with pytest.raises(ex.DataException, match="Unknown Content-Type"):
        kite.ltp("NSE:NIFTY 50")


def test_malformed_json_is_a_data_exception(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("malformed_rate=1")
    with pytest.raises(ex.DataException, match="Couldn't parse the JSON"):
        kite.quote("NSE:NIFTY 50")
    with pytest.raises(ex.TokenException):  # errors are never malformed: the client must still see error_type
        client(box, "z" * 32).profile()


def test_slow_responses_delay_and_time_out(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("slow_ms=300")
    started = time.monotonic()
    assert kite.profile()
    assert time.monotonic() - started >= 0.3
    impatient = client(box, box.issue_access_token(), timeout=0.1)
    with pytest.raises(requests.exceptions.ReadTimeout):  # the client re-raises requests' own exception
        impatient.profile()


def test_slow_rate_applies_to_a_fraction(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("slow_ms=150,slow_rate=0")
    started = time.monotonic()
    outcomes(kite, 3)
    assert time.monotonic() - started < 0.3


def test_connection_reset(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("reset_rate=1")
    with pytest.raises(requests.exceptions.ConnectionError):
        kite.profile()
    box.set_faults("")
    assert kite.profile()
    assert box.count("GET /user/profile", 0) == 1


def test_permission_denied_for_market_data_only(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("permission_rate=1")
    with pytest.raises(ex.PermissionException, match="Insufficient permission") as caught:
        kite.ltp("NSE:NIFTY 50")
    assert caught.value.code == 403
    with pytest.raises(ex.PermissionException):
        kite.historical_data(256265, "2026-11-19", "2026-11-19", "day")
    assert kite.profile() and kite.instruments("BSE")  # the rest of the API still answers


def test_token_ttl_expires_sessions(box):
    kite = client(box, box.issue_access_token())
    box.set_faults("token_ttl=0.3")
    assert kite.profile()
    time.sleep(0.35)
    with pytest.raises(ex.TokenException) as caught:
        kite.profile()
    assert caught.value.code == 403
    fresh = client(box, box.issue_access_token())
    assert fresh.profile()


def test_expire_tokens(box):
    kite = client(box, box.issue_access_token())
    box.expire_tokens()
    with pytest.raises(ex.TokenException):
        kite.profile()


def test_faults_are_reproducible_for_a_seed():
    def run(seed):
        with Sandbox(port=0, seed=seed, speed=0, rate_limits=False, faults="429_rate=0.3,error_rate=0.3") as sandbox:
            return outcomes(client(sandbox, sandbox.issue_access_token()), 30)

    first = run(4)
    assert first == run(4)
    assert len(set(first)) >= 3 and first != run(5)


def test_faults_change_at_run_time_through_the_control_endpoint(box):
    kite = client(box, box.issue_access_token())
    requests.post(box.url + "/_sandbox/faults", data={"spec": "429_burst=1"}, timeout=5)
    assert outcomes(kite, 2) == ["NetworkException:429", "ok"]


def test_faults_do_not_touch_the_control_endpoints_or_login_page(box):
    box.set_faults("error_rate=1,reset_rate=1")
    assert requests.get(box.url + "/_sandbox", timeout=5).status_code == 200
    page = requests.get(box.login_url, params={"api_key": box.api_key, "v": "3"}, timeout=5)
    assert page.status_code == 200


@pytest.mark.parametrize("spec, message", [
    ("error_rate=2", "out of range"), ("boom=1", "unknown fault"), ("slow_ms=fast", "needs a number"),
    ("429_burst", "unknown fault"), ("token_ttl=-1", "out of range"),
])
def test_bad_specs_are_refused_with_a_clear_message(box, spec, message):
    with pytest.raises(ValueError, match=message):
        box.set_faults(spec)
    with pytest.raises(ValueError):
        parse_faults(spec)


def test_spec_round_trip():
    spec = parse_faults(" 429_burst=3, error_rate=0.1,slow_ms=200,malformed_rate=0.05,token_ttl=600 ")
    assert (spec.burst_429, spec.error_rate, spec.slow_ms, spec.malformed_rate, spec.token_ttl) == (
        3, 0.1, 200, 0.05, 600)
    assert parse_faults(spec.text()) == spec
    assert parse_faults("").text() == "" and parse_faults(None) == parse_faults("")
