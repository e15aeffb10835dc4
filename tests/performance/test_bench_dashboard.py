"""The trading-day builder and the dashboard/query benchmark over a replayed history (figures printed, never
asserted: the machine is shared)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.browser import browser  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    from tests.performance.trading_day import build_day

    return build_day(tmp_path_factory.mktemp("day"), cycles=3, step=timedelta(minutes=30))


def test_a_day_survives_save_and_load(day, tmp_path):
    from tests.performance.trading_day import load_day, save_day, session_day

    assert {point.measurement for point in day} >= {"index_overview", "atm_option_quote", "chain_metrics"}
    assert len({point.time.date() for point in day}) == 1
    path = save_day(day, tmp_path / "day.jsonl.gz")
    assert load_day(path) == day and not list(tmp_path.glob("*.partial"))
    assert session_day(load_day(path)) == session_day(day)


def test_history_is_the_day_on_earlier_trading_days(day, tmp_path):
    from op_trading.market.calendar import is_trading_day
    from op_trading.queries.base import Queries
    from op_trading.storage import open_store
    from tests.fixtures_api import mock_settings
    from tests.performance.trading_day import fill_history

    settings = mock_settings(tmp_path)
    store = open_store(settings)
    try:
        assert fill_history(store, day, range(0, 4)) == 4 * len(day)
        daily = Queries(settings, store).daily("NIFTY", days=10)
    finally:
        store.close()
    assert len(daily.times) == 4, daily.times
    assert all(is_trading_day(moment) for moment in daily.times)


def test_benchmark_prints_queries_and_pages_per_history_length(day, tmp_path, browser, capsys):  # noqa: F811
    from tests.performance.bench_dashboard import PAGES, history_table, run
    from tests.performance.bench_queries import QUERIES, queries_table

    queries, pages = run(tmp_path, day, days=(1, 3), browser=browser, repeat=1)
    assert set(queries) == set(pages) == {1, 3} and set(pages[3]) == set(PAGES)
    print(queries_table(queries))
    print(history_table(pages))
    out = capsys.readouterr().out
    assert all(name in out for name in QUERIES) and "ready x3/1" in out and "/participants" in out
