"""Outside market hours a live terminal view says so and shows the last stored session (not 0 cycles and "OK");
during market hours it leaves the screen to the collector. Every table fits 80 columns without breaking a number."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from op_trading.market.calendar import IST
from op_trading.ui.render import make_console, outcome
from tests.fixtures_api import mock_settings


@pytest.fixture(scope="module")
def live_store_settings(tmp_path_factory):
    """A store holding one collected session labelled live (the simulator's day, replayed as a live one)."""
    from op_trading.storage import open_store
    from tests.performance.trading_day import build_day

    home = tmp_path_factory.mktemp("closed")
    day = [replace(point, tags={**point.tags, "source": "live"}) if "source" in point.tags else point
           for point in build_day(home / "day", cycles=2, step=timedelta(minutes=30))]
    settings = mock_settings(home, DATA_SOURCE_MODE="live")
    store = open_store(settings)
    try:
        store.write(day)
        store.flush()
    finally:
        store.close()
    return settings, max(point.time for point in day)


def render(tables) -> list[str]:
    from op_trading.outcome import ok

    out = io.StringIO()
    outcome(make_console(file=out, width=80), ok("view", tables=tuple(tables)))
    return out.getvalue().splitlines()


def test_closed_market_names_the_session_shown(live_store_settings):
    from op_trading.runtime.views import market_closed_note

    settings, last = live_store_settings
    sunday = datetime.combine(last.date() + timedelta(days=6 - last.weekday()), datetime.min.time(), IST)
    note, tables = market_closed_note(settings, now=sunday.replace(hour=11))
    assert "market closed" in note and f"showing the session of {last:%d-%b-%Y}" in note
    assert tables and len(tables[0].rows) == 5
    lines = render(tables)
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    body = [line for line in lines if "│" in line]
    assert len(body) == len(tables[0].rows)  # one line per index: no number folded onto a second line


def test_open_market_leaves_the_view_to_the_collector(live_store_settings):
    from op_trading.runtime.views import market_closed_note

    settings, last = live_store_settings
    assert market_closed_note(settings, now=last.replace(hour=10, minute=0)) is None
    mock = settings.with_overrides({"DATA_SOURCE_MODE": "mock"})
    assert market_closed_note(mock, now=last.replace(hour=20)) is None  # the simulator keeps its own clock
