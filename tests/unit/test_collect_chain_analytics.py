"""Chain metrics from full chain snapshots: a skewed chain whose max pain lies outside ATM ±2, metrics that say
which data they came from, reuse between snapshots, and the fall-back to the legs."""

from datetime import datetime, timedelta

import pytest

from op_trading.analytics.chain import chain_table
from op_trading.analytics.live import LiveAnalytics
from op_trading.collectors.baselines import DayBaselines
from op_trading.collectors.chain_snapshot import ChainSnapshotter
from op_trading.collectors.cycle import Collector
from op_trading.collectors.iv import AnalyticsIv
from op_trading.collectors.market_data import MarketData
from op_trading.market.calendar import IST
from op_trading.market.indices import NIFTY
from op_trading.market.instruments import InstrumentCache
from tests.fixtures_analytics import settings, store
from tests.fixtures_collect import QuoteBook, standard_dumps

NOW = datetime(2025, 10, 14, 11, 0, 7, tzinfo=IST)
HEAVY_CALL_STRIKE = 24800.0  # 8 strikes below the ATM (spot 25212 -> 25200)


class SkewedBook(QuoteBook):
    """Flat OI of 100,000 everywhere except a wall of call OI far below the ATM: written calls deep in the money."""

    def option_quote(self, row):
        quote = super().option_quote(row)
        heavy = row["instrument_type"] == "CE" and row["strike"] == HEAVY_CALL_STRIKE
        quote["oi"] = float(3_000_000 if heavy else 100_000)
        quote["volume"] = 2000 if row["instrument_type"] == "PE" else 1000
        return quote


class Clock:
    moment = NOW

    def __call__(self):
        return self.moment


def collect(tmp_path):
    dumps = standard_dumps()
    clock = Clock()
    collector = Collector(SkewedBook(dumps, now=NOW), MarketData(dumps, InstrumentCache(None), (NIFTY,)),
                          DayBaselines(tmp_path / "state", "mock"), AnalyticsIv(), source="mock", clock=clock)
    return collector, ChainSnapshotter.for_collector(collector, 300, 20), clock


def payout(options, settle):
    """Total intrinsic value paid to holders if the index settled at `settle` (the definition, strike by strike)."""
    return sum(o["oi"] * max(0.0, settle - o["strike"]) if o["side"] == "CALL" else
               o["oi"] * max(0.0, o["strike"] - settle) for o in options)


def test_max_pain_from_the_snapshot_is_a_listed_strike_and_differs_from_atm_only(tmp_path):
    collector, snapshotter, _ = collect(tmp_path)
    cycle = collector.run_cycle()
    snapshot = snapshotter.after_cycle(cycle)
    with_chain = LiveAnalytics.from_settings(settings()).on_cycle(cycle.legs, cycle.overviews, snapshot)
    legs_only = LiveAnalytics.from_settings(settings()).on_cycle(cycle.legs, cycle.overviews)
    for full, atm in zip(with_chain.metrics, legs_only.metrics):
        options = snapshot.chain_for(full.index, full.bucket).options
        strikes = sorted({o["strike"] for o in options})
        best = min(strikes, key=lambda k: (payout(options, k), k))
        assert full.max_pain == best == HEAVY_CALL_STRIKE and full.max_pain in strikes
        assert atm.max_pain in {leg["strike"] for leg in cycle.legs} and atm.max_pain != full.max_pain
        assert full.pcr_volume == pytest.approx(2.0) == atm.pcr_volume
        assert full.pcr_oi == pytest.approx(41 * 100_000 / (40 * 100_000 + 3_000_000))
        assert (full.basis, full.options_used, atm.basis, atm.options_used) == ("chain", len(options), "legs", 10)
        assert full.atm_strike == atm.atm_strike and full.atm_iv == pytest.approx(atm.atm_iv)


def test_metrics_say_their_source_and_time_and_reuse_the_chain_until_the_next_snapshot(tmp_path):
    collector, snapshotter, clock = collect(tmp_path)
    db = store(tmp_path)
    live = LiveAnalytics.from_settings(settings(), db)
    first_cycle = collector.run_cycle()
    snapshot = snapshotter.after_cycle(first_cycle)
    first = live.on_cycle(first_cycle.legs, first_cycle.overviews, snapshot)
    clock.moment = NOW + timedelta(seconds=30)
    second_cycle = collector.run_cycle()
    assert snapshotter.after_cycle(second_cycle) is None  # not due: the analytics keep the last chain
    second = live.on_cycle(second_cycle.legs, second_cycle.overviews)
    snapshot_time = datetime.fromisoformat(snapshot.timestamp)
    assert second.as_of == datetime.fromisoformat(second_cycle.timestamp) > snapshot_time
    for metrics in first.metrics + second.metrics:
        assert (metrics.basis, metrics.source, metrics.as_of) == ("chain", "mock", snapshot_time)
    assert second.metrics == first.metrics
    rows = db.query("chain_metrics", tags={"index": "NIFTY", "bucket": "this_week"})
    assert len(rows) == 1 and rows[0]["basis"] == "chain" and rows[0]["options_used"] == 82  # once per snapshot
    table = chain_table(second.metrics)
    assert "from chain" in table.caption and "10-14 11:00" in table.caption
    # the next day yesterday's chain no longer stands in: the legs are used, as of the cycle
    next_day = second.as_of + timedelta(days=1)
    legs = [{**leg, "timestamp": next_day.isoformat()} for leg in second_cycle.legs]
    overviews = [{**row, "timestamp": next_day.isoformat()} for row in second_cycle.overviews]
    third = live.on_cycle(legs, overviews)
    assert {(m.basis, m.as_of) for m in third.metrics} == {("legs", next_day)}
    assert live.full_chains == {}


def test_a_newer_snapshot_replaces_the_chain(tmp_path):
    collector, snapshotter, clock = collect(tmp_path)
    live = LiveAnalytics.from_settings(settings())
    cycle = collector.run_cycle()
    live.on_cycle(cycle.legs, cycle.overviews, snapshotter.after_cycle(cycle))
    clock.moment = NOW + timedelta(minutes=5)
    later = collector.run_cycle()
    newer = snapshotter.after_cycle(later)
    result = live.on_cycle(later.legs, later.overviews, newer)
    assert {m.as_of for m in result.metrics} == {datetime.fromisoformat(newer.timestamp)}
    assert all(m.basis == "chain" for m in result.metrics)
