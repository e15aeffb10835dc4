"""Live data: the real Kite Connect API with your own session. Skipped unless you point it at a project whose
.env has KITE_API_KEY and whose token store holds a valid token:

    OP_LIVE_HOME=/path/to/your/project python -m pytest tests/live

It makes a handful of calls (profile, one quote for the five indices, one collection cycle), within Kite's limits.
"""

import os
from pathlib import Path

import pytest

LIVE_HOME = os.environ.get("OP_LIVE_HOME")


@pytest.fixture
def live_settings(monkeypatch):
    if not LIVE_HOME:
        pytest.skip("set OP_LIVE_HOME to a project with Kite credentials and a valid token to run live tests")
    monkeypatch.setenv("OP_TRADING_HOME", str(Path(LIVE_HOME).resolve()))
    from op_trading.config.settings import load_settings
    from op_trading.kite.tokens import token_state

    settings = load_settings("production", {"KITE_API_ROOT": "https://api.kite.trade"})
    state = token_state(settings)
    if not state.usable:
        pytest.skip(f"Kite token {state.summary}: log in first (Production > Kite Connect authentication setup)")
    return settings


def test_profile_and_index_quotes(live_settings):
    from op_trading.kite.client import authenticated_kite, call
    from op_trading.market.indices import ALL_INDICES

    kite = authenticated_kite(live_settings)
    assert call(kite, "profile")["user_id"]
    quotes = call(kite, "quote", [index.quote_key for index in ALL_INDICES])
    assert set(quotes) == {index.quote_key for index in ALL_INDICES}
    assert all(quote["last_price"] > 0 for quote in quotes.values())


def test_one_live_dry_cycle_builds_legs_and_overviews(live_settings):
    from op_trading.runtime.checks import dry_cycle
    from op_trading.outcome import Status

    check = dry_cycle(live_settings)
    assert check.status is Status.OK, check.detail
    assert "live:" in check.detail
