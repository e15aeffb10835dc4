"""Headless runs in a fresh folder, as a new user or a script would: exit codes, .env, idempotence, the token."""

import json
import signal
import subprocess
import sys
import time

import pytest

from op_trading.config.envfile import read_env
from tests.e2e.helpers import ENTRY, app_env, run_app
from tests.support import free_port


def test_setup_auto_in_a_fresh_folder_then_again(project_home):
    first = run_app(project_home, "--mode", "setup", "--auto", "--set", "LOG_LEVEL=WARNING")
    assert first.returncode == 0, first.stdout[-3000:]
    assert "Run all setup steps automatically" in first.stdout and "dry collection cycle" in first.stdout
    env_text = (project_home / ".env").read_text(encoding="utf-8")
    assert env_text.startswith("# OP Trading Platform configuration.")
    assert read_env(project_home / ".env")["LOG_LEVEL"] == "WARNING"
    assert (project_home / "data" / "store").is_dir()
    second = run_app(project_home, "--mode", "setup", "--auto")
    assert second.returncode == 0, second.stdout[-3000:]
    assert (project_home / ".env").read_text(encoding="utf-8") == env_text  # nothing rewritten the second time
    assert "0 folder(s) created" not in first.stdout and "0 folder(s) created" in second.stdout


def test_production_auto_lists_every_missing_value_and_exits_2(project_home):
    result = run_app(project_home, "--mode", "production", "--auto")
    assert result.returncode == 2
    assert "KITE_API_KEY is required" in result.stdout and "KITE_API_SECRET is required" in result.stdout


def test_auto_rejects_unknown_and_invalid_settings_all_at_once(project_home):
    result = run_app(project_home, "--mode", "setup", "--auto", "--set", "NOPE=1", "--set",
                     "COLLECTION_INTERVAL_SECONDS=soon", "--set", "INDICES=NIFTY,DOW")
    assert result.returncode == 2
    for text in ("--set NOPE", "COLLECTION_INTERVAL_SECONDS", "INDICES"):
        assert text in result.stdout


def test_production_auto_without_a_token_exits_3_with_instructions(project_home):
    result = run_app(project_home, "--mode", "production", "--auto", "--set", "KITE_API_KEY=abcdef123456",
                     "--set", "KITE_API_SECRET=s3cretvalue99")
    assert result.returncode == 3, result.stdout[-3000:]
    assert "KITE_ACCESS_TOKEN" in result.stdout
    assert "s3cretvalue99" not in result.stdout


@pytest.fixture
def simulator():
    from op_trading.sandbox import Sandbox

    with Sandbox(port=0, seed=7, rate_limits=True) as sandbox:
        yield sandbox


def test_production_auto_verifies_and_stores_a_given_token_then_runs_until_interrupted(project_home, simulator):
    token = simulator.issue_access_token()
    sets = {"KITE_API_KEY": simulator.api_key, "KITE_API_SECRET": simulator.api_secret,
            "KITE_API_ROOT": simulator.url, "KITE_ACCESS_TOKEN": token, "METRICS_PORT": "0",
            "API_PORT": str(free_port())}  # the API face starts too: never on a fixed port another test may hold
    argv = [sys.executable, ENTRY, "--mode", "production", "--auto"]
    for key, value in sets.items():
        argv += ["--set", f"{key}={value}"]
    process = subprocess.Popen(argv, cwd=project_home, env=app_env(project_home), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + 90
    for line in process.stdout:
        output.append(line)
        if "Ctrl-C stops" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    text = "".join(output) + rest
    assert process.returncode == 130, text[-3000:]
    assert "verified and stored" in text and "Traceback" not in text
    stored = json.loads((project_home / ".secrets" / "kite_token.json").read_text(encoding="utf-8"))
    assert stored["access_token"] == token and stored["api_key"] == simulator.api_key
    assert token not in text and simulator.api_secret not in text
    assert "KITE_ACCESS_TOKEN" not in read_env(project_home / ".env")


def test_development_auto_runs_the_mock_environment(project_home):
    result = run_app(project_home, "--mode", "development", "--auto", timeout=300)
    assert result.returncode in (0,), result.stdout[-3000:]
    assert "Simulator quotes [MOCK DATA]" in result.stdout and "Index overview" in result.stdout
    assert "NIFTY 50" in result.stdout and "mock data environment works" in result.stdout
    assert any((project_home / "data" / "csv_data").rglob("*.csv"))


def test_bad_set_values_and_an_unusable_data_dir_are_one_line_each(project_home):
    (project_home / "afile").write_text("x", encoding="utf-8")
    result = run_app(project_home, "collect", "--cycles", "1", "--set", "DATA_DIR=afile/sub", "--set",
                     "SIMULATOR_FAULTS=nonsense=1", "--set", "COLLECTION_INTERVAL_SECONDS=१०")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Configuration problem:")]
    assert len(lines) == 3 and all(line.endswith("(from --set)") for line in lines), result.stdout
    assert "DATA_DIR: afile/sub cannot be created" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_set_value_with_the_menus_is_refused_before_they_open(project_home):
    result = run_app(project_home, "--mode", "setup", "--set", "SIMULATOR_SPEED=fast", stdin="0\n0\n")
    assert result.returncode == 2
    assert "Configuration problem: SIMULATOR_SPEED: expected a number, got 'fast' (from --set)" in result.stdout


def test_key_twice_in_env_is_reported_by_auto_runs(project_home):
    (project_home / ".env").write_text("LOG_LEVEL=INFO\nLOG_LEVEL=ERROR\n", encoding="utf-8")
    result = run_app(project_home, "status")
    assert "Configuration warning: LOG_LEVEL is set 2 times in .env (lines 1, 2); the last one counts" in result.stdout
