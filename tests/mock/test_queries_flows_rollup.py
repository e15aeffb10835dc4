"""Cash flows by timeframe read the tracker's rollup (`cash_flow_summary`) where it exists and agree with the sums of
the raw flows; a store without the rollup (older data) is summed from the raw flows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from op_trading.analytics import cashflow as cf

pytestmark = pytest.mark.skipif(not hasattr(cf, "SUMMARY_MEASUREMENT"),
                                reason="this build's cash-flow tracker writes no rollup (cash_flow_summary)")


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from op_trading.storage import open_store
    from tests.fixtures_api import mock_settings
    from tests.performance.trading_day import build_day

    home = tmp_path_factory.mktemp("flows")
    day = build_day(home / "day", cycles=6, step=timedelta(minutes=7))
    settings = mock_settings(home)
    store = open_store(settings)
    store.write(day)
    store.flush()
    yield settings, store, day
    store.close()


def figures(result) -> list[tuple]:
    return [(row.start, row.group, round(row.buying_crore, 6), round(row.selling_crore, 6)) for row in result.rows]


@pytest.mark.parametrize("timeframe, by", [("5m", "index"), ("15m", "all"), ("1h", "sector"), ("1d", "index")])
def test_rollup_and_raw_flows_agree(filled, timeframe, by):
    from op_trading.queries import flows
    from op_trading.queries.base import Queries

    settings, store, day = filled
    assert any(point.measurement == cf.SUMMARY_MEASUREMENT for point in day)
    q = Queries(settings, store)
    rolled = q.cash_flows(timeframe, by, 12)
    source, as_of = q.newest()
    raw = flows._raw(q, timeframe, by, rolled.rows[0].start, as_of + timedelta(microseconds=1), source)
    assert rolled.rows and figures(rolled) == [(b.start, b.group, round(b.inflow / 1e7, 6), round(b.outflow / 1e7, 6))
                                               for b in raw]


def test_without_the_rollup_the_raw_flows_are_summed(filled, tmp_path):
    from op_trading.queries.base import Queries
    from op_trading.storage import open_store
    from tests.fixtures_api import mock_settings

    settings, store, day = filled
    bare = mock_settings(tmp_path)
    other = open_store(bare)
    try:
        other.write([point for point in day if point.measurement != cf.SUMMARY_MEASUREMENT])
        other.flush()
        assert figures(Queries(bare, other).cash_flows("5m", "index", 12)) == \
            figures(Queries(settings, store).cash_flows("5m", "index", 12))
    finally:
        other.close()
