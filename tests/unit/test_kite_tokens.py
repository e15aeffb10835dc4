"""Token expiry math (06:00 IST, whatever the machine's timezone), the token store and the header's token state."""

from __future__ import annotations

import ast
import json
import os
import stat
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from op_trading.kite import tokens
from op_trading.kite.tokens import IST, TokenRecord, TokenStore, expiry_for, token_state
from tests.fixtures_kite import ACCESS_TOKEN, API_KEY, kite_settings


def ist(year, month, day, hour, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=IST)


@pytest.fixture(params=["America/New_York", "Pacific/Kiritimati", "UTC"])
def machine_timezone(request):
    """Run the test with the process in a timezone far from IST (POSIX: time.tzset)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    assert time.localtime(0).tm_gmtoff != 19800  # the machine is really not on IST now
    yield request.param
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("issued, expected", [
    (ist(2025, 3, 10, 5, 59), ist(2025, 3, 10, 6, 0)),  # before 06:00: dies this morning
    (ist(2025, 3, 10, 5, 59, 59), ist(2025, 3, 10, 6, 0)),
    (ist(2025, 3, 10, 6, 0), ist(2025, 3, 11, 6, 0)),  # exactly 06:00: strictly after, so tomorrow
    (ist(2025, 3, 10, 6, 0, 1), ist(2025, 3, 11, 6, 0)),
    (ist(2025, 3, 10, 23, 59), ist(2025, 3, 11, 6, 0)),
    (ist(2025, 3, 10, 0, 0), ist(2025, 3, 10, 6, 0)),  # just after midnight IST
    (ist(2024, 12, 31, 22, 0), ist(2025, 1, 1, 6, 0)),  # across the year end
    (ist(2024, 2, 28, 9, 0), ist(2024, 2, 29, 6, 0)),  # leap day
])
def test_expiry_is_the_next_0600_ist_after_issue(machine_timezone, issued, expected):
    assert expiry_for(issued) == expected
    # The same instant given in UTC or in New York time gives the same answer.
    assert expiry_for(issued.astimezone(timezone.utc)) == expected
    assert expiry_for(issued.astimezone(timezone(timedelta(hours=-5)))) == expected


def test_expiry_ignores_the_local_date_when_it_differs_from_the_ist_date(machine_timezone):
    new_york = timezone(timedelta(hours=-4))  # EDT
    # 21:00 New York on 9 March is 06:30 IST on 10 March: past this morning's 06:00, so it dies on 11 March.
    assert expiry_for(datetime(2025, 3, 9, 21, 0, tzinfo=new_york)) == ist(2025, 3, 11, 6, 0)
    # 20:00 New York on 9 March is 05:30 IST on 10 March: it dies 30 minutes later, on the next local day.
    assert expiry_for(datetime(2025, 3, 9, 20, 0, tzinfo=new_york)) == ist(2025, 3, 10, 6, 0)
    # A naive time is taken as UTC, never as the machine's local time.
    assert expiry_for(datetime(2025, 3, 10, 0, 31)) == ist(2025, 3, 11, 6, 0)  # 06:01 IST


def test_record_issued_now_uses_the_clock_given():
    record = TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, "AB1234", "A User", now=ist(2025, 3, 10, 9, 15))
    assert record.expires_at == ist(2025, 3, 11, 6, 0)
    assert ACCESS_TOKEN not in repr(record) and API_KEY not in repr(record)
    assert record.masked_token == "****mnop"


def test_store_round_trip_is_owner_only_and_leaves_no_temp_files(tmp_path):
    store = TokenStore(tmp_path / ".secrets" / "kite_token.json")
    record = TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, "AB1234", "A User", now=ist(2025, 3, 10, 9, 15))
    store.save(record)
    assert store.load() == record
    saved = json.loads(store.path.read_text())
    assert saved["api_key"] == API_KEY and saved["user_id"] == "AB1234"
    assert saved["expires_at"] == "2025-03-11T06:00:00+05:30"
    assert [p.name for p in store.path.parent.iterdir()] == ["kite_token.json"]
    if os.name == "posix":
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.clear()
    assert store.load() is None and not store.path.exists()


def test_store_reports_a_damaged_file_instead_of_raising(tmp_path):
    store = TokenStore(tmp_path / "kite_token.json")
    store.path.write_text('{"access_token": "abc", ')
    assert store.load() is None
    assert "damaged" in store.problem


def test_mark_invalid_only_touches_the_token_it_names(tmp_path):
    store = TokenStore(tmp_path / "kite_token.json")
    store.save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, now=ist(2025, 3, 10, 9, 0)))
    assert store.mark_invalid("403", access_token="someothertoken99") is False
    assert store.load().invalid_reason == ""
    assert store.mark_invalid("403", access_token=ACCESS_TOKEN) is True
    assert store.load().invalid_reason == "403"
    assert TokenStore(tmp_path / "absent.json").mark_invalid("403") is False


def settings_with_store(api_key=API_KEY):
    settings = kite_settings(KITE_API_KEY=api_key)
    return settings, TokenStore.from_settings(settings)


def test_token_state_valid_shows_the_countdown(machine_timezone):
    settings, store = settings_with_store()
    store.save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, "AB1234", now=ist(2025, 3, 10, 15, 58)))
    state = token_state(settings, now=ist(2025, 3, 10, 15, 58))
    assert state.status == "valid" and state.usable
    assert state.summary == "valid until 06:00 IST (14h 02m)"
    assert ACCESS_TOKEN not in state.detail and "****mnop" in state.detail


def test_token_state_expired_missing_invalid_other_key():
    settings, store = settings_with_store()
    assert token_state(settings).status == "missing"
    assert token_state(settings).summary == "missing"

    store.save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY, now=ist(2025, 3, 10, 9, 0)))
    expired = token_state(settings, now=ist(2025, 3, 11, 6, 0))  # the boundary instant is already expired
    assert (expired.status, expired.summary) == ("expired", "expired at 06:00 IST")
    later = token_state(settings, now=ist(2025, 3, 13, 10, 0))
    assert later.summary == "expired at 06:00 IST on 11 Mar"
    assert token_state(settings, now=ist(2025, 3, 11, 5, 59)).summary == "valid until 06:00 IST (0h 01m)"

    other, _ = settings_with_store(api_key="anotherkey5678")
    assert token_state(other, now=ist(2025, 3, 10, 10, 0)).status == "other_key"
    assert token_state(kite_settings(KITE_API_KEY=None), now=ist(2025, 3, 10, 10, 0)).status == "other_key"

    store.mark_invalid("Kite answered TokenException")
    invalid = token_state(settings, now=ist(2025, 3, 10, 10, 0))
    assert invalid.status == "invalid" and "TokenException" in invalid.detail

    store.path.write_text("not json")
    assert token_state(settings).status == "invalid"


def test_token_state_uses_the_token_file_setting(tmp_path):
    path = tmp_path / "elsewhere" / "token.json"
    settings = kite_settings(TOKEN_FILE=str(path))
    TokenStore.from_settings(settings).save(TokenRecord.issued_now(ACCESS_TOKEN, API_KEY))
    assert path.exists()
    assert token_state(settings).status == "valid"


def test_tokens_module_imports_only_stdlib_and_config():
    """It draws every screen header: no kiteconnect, requests or other heavy import, at any level."""
    tree = ast.parse(Path(tokens.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    project = {name for name in imported if name.startswith("op_trading")}
    assert project <= {"op_trading.config.fields", "op_trading.errortext", "op_trading.fileio",
                       "op_trading.market.calendar"}  # all stdlib-only
    third_party = {name.split(".")[0] for name in imported - project} - {"__future__"}
    import sys

    assert third_party <= set(sys.stdlib_module_names), third_party
