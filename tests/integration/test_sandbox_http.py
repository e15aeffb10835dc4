"""The HTTP contract: envelopes, Content-Type and error_type on every answer, rate limits, control endpoints, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kiteconnect import exceptions as ex

from op_trading.sandbox import Sandbox
from tests.fixtures_sandbox import client, frozen_sandbox, raw  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("method, path, auth, status, error_type", [
    ("GET", "/nowhere", True, 404, "GeneralException"),
    ("POST", "/user/profile", True, 405, "GeneralException"),
    ("GET", "/user/profile", False, 403, "TokenException"),
    ("GET", "/instruments/historical/256265/fortnight?from=2026-11-19&to=2026-11-19", True, 400, "InputException"),
    ("GET", "/instruments/XYZ", True, 400, "InputException"),
    ("POST", "/session/token", False, 400, "InputException"),
])
def test_errors_always_carry_json_content_type_and_error_type(frozen_sandbox, method, path, auth, status,
                                                              error_type):
    token = frozen_sandbox.issue_access_token() if auth else None
    response = raw(frozen_sandbox, method, path, token)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "error" and body["error_type"] == error_type and body["message"]
    assert "data" in body and body["data"] is None


def test_success_envelope(frozen_sandbox):
    response = raw(frozen_sandbox, "GET", "/user/profile", frozen_sandbox.issue_access_token())
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "success" and body["data"]["broker"] == "ZERODHA"
    assert "access_token" not in body["data"]  # the profile never returns tokens


def test_error_types_become_the_clients_exception_classes(frozen_sandbox):
    kite = client(frozen_sandbox, frozen_sandbox.issue_access_token())
    with pytest.raises(ex.InputException):
        kite.historical_data(256265, "2026-11-19", "2026-11-19", "fortnight")
    with pytest.raises(ex.GeneralException) as caught:
        kite._get("user.margins.segment", url_args={"segment": "equity/extra"})
    assert caught.value.code == 404
    with pytest.raises(ex.TokenException):
        client(frozen_sandbox, "x" * 32).profile()


def test_stats_count_requests_per_endpoint_and_status():
    with Sandbox(port=0, seed=3, speed=0, rate_limits=False, start_at="2026-11-20 10:00") as box:
        kite = client(box, box.issue_access_token())
        kite.ltp("NSE:NIFTY 50")
        kite.ltp("NSE:NIFTY 50")
        with pytest.raises(ex.InputException):
            kite.quote(["256265"] * 501)
        stats = box.stats()
        assert box.count("GET /quote/ltp") == 2 and box.count("GET /quote", 400) == 1
        assert stats["endpoints"]["GET /quote/ltp"] == {200: 2, "total": 2} and stats["total"] == 3
        assert requests.get(box.url + "/_sandbox/stats", timeout=5).json()["data"]["total"] == 3
        box.reset_stats()
        assert box.stats() == {"total": 0, "endpoints": {}}


# --- rate limits ----------------------------------------------------------------------------------------------

def test_quote_rate_limit_is_one_per_second_per_api_key():
    with Sandbox(port=0, seed=3, speed=0, start_at="2026-11-20 10:00") as box:
        kite = client(box, box.issue_access_token())
        kite.ltp("NSE:NIFTY 50")
        with pytest.raises(ex.NetworkException, match="Too many requests") as caught:
            kite.quote("NSE:NIFTY 50")
        assert caught.value.code == 429
        assert kite.profile()  # other endpoints have their own budget
        time.sleep(1.05)
        assert kite.ohlc("NSE:NIFTY 50")  # paced: fine again
        assert box.count("GET /quote", 429) == 1


def test_historical_allows_three_and_others_ten_per_second():
    with Sandbox(port=0, seed=3, speed=0, start_at="2026-11-20 10:00") as box:
        kite = client(box, box.issue_access_token())
        for _ in range(3):
            kite.historical_data(256265, "2026-11-19", "2026-11-19", "day")
        with pytest.raises(ex.NetworkException):
            kite.historical_data(256265, "2026-11-19", "2026-11-19", "day")
        results = []
        for _ in range(11):
            try:
                results.append(bool(kite.profile()))
            except ex.NetworkException:
                results.append(False)
        assert results.count(True) == 10 and results[-1] is False


def test_rate_limits_can_be_switched_off_and_on():
    with Sandbox(port=0, seed=3, speed=0, rate_limits=False, start_at="2026-11-20 10:00") as box:
        kite = client(box, box.issue_access_token())
        for _ in range(5):
            kite.ltp("NSE:NIFTY 50")
        requests.post(box.url + "/_sandbox/rate_limits", data={"enabled": "1"}, timeout=5)
        kite.ltp("NSE:NIFTY 50")
        with pytest.raises(ex.NetworkException):
            kite.ltp("NSE:NIFTY 50")


# --- control endpoints ----------------------------------------------------------------------------------------

def test_control_endpoints():
    with Sandbox(port=0, seed=9, speed=0, rate_limits=False, start_at="2026-11-20 10:00") as box:
        status = requests.get(box.url + "/_sandbox", timeout=5).json()["data"]
        assert status["api_key"] == box.api_key and status["seed"] == 9 and "api_secret" not in status
        applied = requests.post(box.url + "/_sandbox/faults", data={"spec": "error_rate=0.5, slow_ms=10"}, timeout=5)
        assert applied.json()["data"]["faults"] == "error_rate=0.5,slow_ms=10"
        assert requests.post(box.url + "/_sandbox/faults", data="", timeout=5).json()["data"]["faults"] == ""
        bad = requests.post(box.url + "/_sandbox/faults", data={"spec": "explode=1"}, timeout=5)
        assert bad.status_code == 400 and bad.json()["error_type"] == "InputException"
        token = requests.post(box.url + "/_sandbox/access_token", timeout=5).json()["data"]["access_token"]
        kite = client(box, token)
        assert kite.profile()["user_id"] == "AB1234"
        assert requests.post(box.url + "/_sandbox/expire_tokens", timeout=5).json()["data"]["expired"] >= 1
        with pytest.raises(ex.TokenException):
            kite.profile()
        request_token = requests.post(box.url + "/_sandbox/request_token", data={"user_id": "RT0001"},
                                      timeout=5).json()["data"]["request_token"]
        assert client(box).generate_session(request_token, api_secret=box.api_secret)["user_id"] == "RT0001"
        clock = requests.post(box.url + "/_sandbox/clock", data={"at": "2026-11-19 14:00:00"}, timeout=5)
        assert clock.json()["data"]["now"].startswith("2026-11-19T14:00:00")


def test_from_settings_reads_the_simulator_keys():
    from op_trading.config.settings import load_settings

    settings = load_settings(None, {"SIMULATOR_SEED": "77", "SIMULATOR_SPEED": "60", "SIMULATOR_PORT": "18765",
                                    "SIMULATOR_FAULTS": "429_burst=2"})
    box = Sandbox.from_settings(settings, port=0)
    assert (box.seed, box.clock.speed, box.faults.spec.burst_429) == (77, 60.0, 2)
    assert Sandbox.from_settings(settings).port == 18765
    assert box.redirect_url == "http://127.0.0.1:5000/success"


def test_sandbox_url_needs_start_when_the_port_is_free_choice():
    box = Sandbox(port=0)
    with pytest.raises(RuntimeError):
        box.url
    with box:
        assert box.url.startswith("http://127.0.0.1:") and box.running
    assert not box.running


def test_importing_the_package_is_light():
    code = "import sys, op_trading.sandbox; print('numpy' in sys.modules, 'op_trading.sandbox.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


# --- command line ---------------------------------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process")
def test_command_line_prints_env_lines_serves_and_stops_cleanly_on_ctrl_c(tmp_path):
    env = {**os.environ, "OP_TRADING_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "op_trading.sandbox", "--port", "0", "--seed", "5",
                                "--no-rate-limits", "--faults", "slow_ms=1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    lines = []
    try:
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        text = "\n".join(lines)
        root = next(line.split("=", 1)[1] for line in lines if line.startswith("KITE_API_ROOT="))
        key = next(line.split("=", 1)[1] for line in lines if line.startswith("KITE_API_KEY="))
        assert "KITE_LOGIN_URL=" + root + "/connect/login" in text and "api_secret" in text and "MOCK" in text
        assert key == Sandbox(seed=5).api_key
        assert requests.get(root + "/_sandbox", timeout=5).json()["data"]["faults"] == "slow_ms=1"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 130 and "Traceback" not in err and "Sandbox stopped." in out


def test_command_line_refuses_bad_faults(tmp_path):
    env = {**os.environ, "OP_TRADING_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "op_trading.sandbox", "--faults", "explode=1"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=20)
    assert result.returncode == 2 and "unknown fault" in result.stderr and "Traceback" not in result.stderr
