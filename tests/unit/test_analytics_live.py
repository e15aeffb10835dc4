"""One cycle's analytics wired together, without a store (everything still works from memory)."""

import pytest

from op_trading.analytics.live import LiveAnalytics, chains_of, spots_of
from tests.fixtures_analytics import at, settings


def cycle(when, oi_call, call_price, call_iv, volume):
    stamp = at(when).isoformat()
    legs = [{"timestamp": stamp, "index": "NIFTY FIN SERVICE", "bucket": "this_month", "expiry": "2026-07-28",
             "strike": strike, "side": side, "oi": oi_call if side == "CALL" else 1000, "oi_open": 1000,
             "volume": volume, "average_price": call_price, "last_price": call_price if side == "CALL" else 90.0,
             "iv": call_iv if side == "CALL" else 0.15, "source": "mock"}
            for strike in (27900.0, 28000.0, 28100.0) for side in ("CALL", "PUT")]
    overviews = [{"timestamp": stamp, "index": "FINNIFTY", "symbol": "NIFTY FIN SERVICE", "last_price": 28010.0,
                  "close": 27900.0, "source": "mock"},
                 {"timestamp": stamp, "index": "INDIAVIX", "symbol": "INDIA VIX", "last_price": 13.2, "close": 13.0,
                  "source": "mock"}]
    return legs, overviews


def test_grouping_helpers():
    legs, overviews = cycle("2026-07-28 10:00", 1000, 100.0, 0.15, 10)
    assert list(chains_of(legs)) == [("NIFTY FIN SERVICE", "this_month")]
    assert spots_of(overviews) == {"FINNIFTY": 28010.0, "INDIAVIX": 13.2}


def test_two_cycles_without_a_store():
    live = LiveAnalytics.from_settings(settings(POSITION_MONITOR_INTERVAL="5m", IV_SPIKE_ALERT_POINTS=2))
    first = live.on_cycle(*cycle("2026-07-28 10:00", 1000, 100.0, 0.15, 10))
    second = live.on_cycle(*cycle("2026-07-28 10:05", 1200, 110.0, 0.20, 60_000))
    (metrics,) = second.metrics
    assert (metrics.index, metrics.bucket, metrics.atm_strike) == ("FINNIFTY", "this_month", 28000.0)
    assert metrics.iv_day_change == pytest.approx(0.025) and first.metrics[0].iv_day_change == 0
    calls = [flow for flow in second.flows if flow.instrument.endswith("CE")]
    puts = [flow for flow in second.flows if flow.instrument.endswith("PE")]
    assert len(calls) == len(puts) == 3 and first.flows == []
    assert all(flow.inflow > 0 for flow in calls) and all(flow.unclassified > 0 for flow in puts)  # price flat
    changes = {c.instrument: c for c in second.positions["changes"]}
    assert changes["NIFTY FIN SERVICE 2026-07-28 28000 CE"].oi_change == 200
    assert [a.type for a in second.alerts] == ["iv_spike", "oi_change", "oi_change", "oi_change"]
    assert second.breadth.advances == 1 and second.regime.basis == "level"
    titles = [table.title for table in live.tables(second, "1h")]
    assert titles[0] == "Option chain metrics" and "Estimated cash flow by sector, 1h" in titles
    assert titles[-2:] == ["Market breadth and volatility regime", "Recent alerts"]


def test_a_cycle_needs_a_time():
    with pytest.raises(ValueError, match="needs `now`"):
        LiveAnalytics.from_settings(settings()).on_cycle([], [])
