"""Secrets stay secret: URL passwords masked in logs and prompts, owner-only log files, no temp file left behind."""

import io
import logging
import os
import sys
import time

import pytest

from op_trading.config.fields import mask_url_secrets
from op_trading.config.settings import load_settings
from op_trading.context import Question
from op_trading.fileio import atomic_write_text, remove_stale_temp_files
from op_trading.logs import LOG_LINE_LIMIT, setup_logging
from op_trading.ui.io import ConsoleUI
from op_trading.ui.render import make_console

posix_only = pytest.mark.skipif(os.name != "posix", reason="owner-only modes are POSIX permissions")


@pytest.fixture(autouse=True)
def no_log_handler_left():
    """setup_logging configures the process-wide `op_trading` logger: take our handler off after each test."""
    yield
    logger = logging.getLogger("op_trading")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


@pytest.fixture
def logged(project_home):
    settings = load_settings(None, {"KITE_API_SECRET": "abcdefghijklmnopqrst"})
    setup_logging(settings)
    return settings.path("LOG_DIR")


def _log_text(folder):
    for handler in logging.getLogger("op_trading").handlers:
        handler.flush()
    return "".join(path.read_text(encoding="utf-8") for path in folder.glob("*.log*"))


def test_log_masks_url_passwords_and_secret_values(logged):
    log = logging.getLogger("op_trading.test")
    log.warning("cannot reach %s", "redis://:RedisPw123456@127.0.0.1:6379/0")
    log.warning("influx http://admin:InfluxPw987654@h:8086/api?token=QueryTok55555&org=o down")
    log.warning("secret abcdefghijklmnopqrst seen")
    text = _log_text(logged)
    for secret in ("RedisPw123456", "InfluxPw987654", "QueryTok55555", "abcdefghijklmnopqrst"):
        assert secret not in text
    assert "redis://:****@127.0.0.1:6379/0" in text and "****qrst" in text


def test_log_lines_are_bounded(logged):
    logging.getLogger("op_trading.test").error("body: %s", "x" * 150_000)
    text = _log_text(logged)
    assert max(len(line) for line in text.splitlines()) <= LOG_LINE_LIMIT + 100


@posix_only
def test_log_folder_and_files_are_owner_only(logged):
    logging.getLogger("op_trading.test").warning("hello")
    _log_text(logged)
    assert oct(logged.stat().st_mode & 0o777) == oct(0o700)
    for path in logged.glob("*.log*"):
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)


@posix_only
def test_existing_log_folder_and_file_are_tightened(project_home):
    folder = project_home / "logs"
    folder.mkdir(mode=0o755)
    (folder / "op_trading.log").write_text("old\n", encoding="utf-8")
    os.chmod(folder / "op_trading.log", 0o644)
    setup_logging(load_settings())
    logging.getLogger("op_trading.test").warning("hello")
    _log_text(folder)
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert oct((folder / "op_trading.log").stat().st_mode & 0o777) == oct(0o600)


@posix_only
def test_temp_file_of_an_atomic_write_is_owner_only_while_it_exists(tmp_path, monkeypatch):
    seen = {}
    real_replace = os.replace

    def spy(source, target):
        seen["mode"] = os.stat(source).st_mode & 0o777
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write_text(tmp_path / "token.json", "secret")
    assert seen["mode"] == 0o600


def test_stale_temp_files_are_removed_fresh_ones_and_others_kept(tmp_path):
    stale, fresh = tmp_path / ".env.abc123.tmp", tmp_path / ".kite_token.json.xyz.tmp"
    other = tmp_path / "notes.tmp"
    for path in (stale, fresh, other):
        path.write_text("secret", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert fresh.exists() and other.exists() and not stale.exists()


def test_leftover_temp_file_is_cleaned_when_the_program_starts(project_home):
    from tests.e2e.helpers import run_app

    leftover = project_home / ".env.k1l2d3.tmp"
    leftover.write_text("KITE_API_SECRET=leftover\n", encoding="utf-8")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    result = run_app(project_home, stdin="0\n")
    assert result.returncode == 0 and not leftover.exists()


def test_prompt_default_of_a_url_hides_its_password():
    out = io.StringIO()
    ui = ConsoleUI(make_console(file=out, width=200), stdin=io.StringIO("\n"))
    answer = ui.ask(Question("Redis URL (REDIS_URL)", default="redis://:RedisPw123456@127.0.0.1:6379/0"))
    assert answer == "redis://:RedisPw123456@127.0.0.1:6379/0"  # Enter keeps the real value...
    assert "RedisPw123456" not in out.getvalue() and "redis://:****@127.0.0.1" in out.getvalue()  # ...shown masked


def test_settings_shown_masks_url_credentials(project_home):
    settings = load_settings(None, {"INFLUXDB_URL": "http://u:InfluxPw987654@127.0.0.1:8086"})
    assert settings.shown("INFLUXDB_URL") == "http://u:****@127.0.0.1:8086"
    assert mask_url_secrets("see https://TokenOnly123@host/x") == "see https://****@host/x"
