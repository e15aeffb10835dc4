"""Advance/decline across the five indices and the volatility regime from VIX and ATM IV percentiles."""

from datetime import date

import pytest

from op_trading.analytics import breadth as br
from op_trading.analytics.chain import ChainMetrics
from op_trading.analytics.common import make_point, write_points
from op_trading.market import calendar
from tests.fixtures_analytics import at, store

NOW = "2026-07-28T11:00:00+05:30"


def overview(index, last, close, when=NOW, source="mock"):
    return {"index": index, "last_price": last, "close": close, "timestamp": when, "source": source}


def test_advances_declines_and_labels():
    overviews = [overview("NIFTY", 24600, 24500), overview("SENSEX", 80100, 80000),
                 overview("BANKNIFTY", 55000, 55100), overview("FINNIFTY", 26000, 26000),
                 overview("MIDCPNIFTY", 13000, 12900), overview("INDIAVIX", 13.5, 13.0)]
    breadth = br.market_breadth(overviews)
    assert (breadth.advances, breadth.declines, breadth.unchanged) == (3, 1, 1)
    assert breadth.ad_ratio == 3.0 and breadth.label == "advancing"
    assert [m.index for m in breadth.moves] == ["NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"]
    assert breadth.moves[0].change_pct == pytest.approx(100 * 100 / 24500)


def test_broad_moves_mixed_and_symbols_from_the_overview():
    up = br.market_breadth([overview("NIFTY 50", 2, 1), overview("NIFTY BANK", 2, 1)])
    assert up.label == "broad advance" and [m.index for m in up.moves] == ["NIFTY", "BANKNIFTY"]
    assert br.market_breadth([overview("NIFTY", 1, 2), overview("SENSEX", 1, 2)]).label == "broad decline"
    assert br.market_breadth([overview("NIFTY", 1, 2), overview("SENSEX", 2, 1)]).label == "mixed"
    assert br.market_breadth([overview("NIFTY", None, 2)]).moves == ()


def test_latest_record_per_index_wins():
    old = overview("NIFTY", 1, 2, when="2026-07-28T10:00:00+05:30")
    assert br.market_breadth([overview("NIFTY", 3, 2), old]).advances == 1


def vix(level, change_pct=1.0):
    return br.IndexMove("INDIAVIX", level, None, change_pct, at("2026-07-28 11:00"), "mock")


def test_regime_from_percentile_with_enough_history():
    history = [10.0 + i * 0.5 for i in range(20)]  # 10.0 .. 19.5
    assert br.volatility_regime(vix(10.2), history).label == "low"  # 5th percentile
    regime = br.volatility_regime(vix(14.9), history)
    assert (regime.vix_percentile, regime.label, regime.basis) == (50.0, "normal", "percentile")
    assert br.volatility_regime(vix(19.0), history).label == "high"  # 90th percentile
    assert br.volatility_regime(vix(17.9), history).label == "elevated"


def test_regime_from_level_without_enough_history():
    regime = br.volatility_regime(vix(19.0), [12.0] * 5, {"NIFTY": 72.0})
    assert (regime.label, regime.basis, regime.iv_percentiles) == ("elevated", "level", {"NIFTY": 72.0})
    assert br.volatility_regime(vix(11.0), []).label == "low" and br.volatility_regime(vix(30), []).label == "high"
    assert br.volatility_regime(None, []).label == "unknown"


def test_iv_percentiles_of_the_nearest_expiry():
    def metric(index, expiry, ivp):
        empty = dict.fromkeys(("spot", "atm_strike", "pcr_oi", "pcr_volume", "max_pain", "atm_iv", "iv_open",
                               "iv_day_change", "iv_skew", "iv_rank", "total_premium", "premium_weekday_avg"))
        return ChainMetrics(index=index, expiry=expiry, bucket=None, as_of=at("2026-07-28 11:00"), source="mock",
                            iv_percentile=ivp, premium_weekday_days=0, options_used=0, **empty)
    found = br.nearest_expiry_ivps([metric("NIFTY", "2026-08-25", 10.0), metric("NIFTY", "2026-07-28", 80.0),
                                    metric("BANKNIFTY", "2026-07-28", None)])
    assert found == {"NIFTY": 80.0, "BANKNIFTY": None}


def test_vix_history_from_stored_session_closes(tmp_path):
    db = store(tmp_path)
    days = calendar.trading_days(date(2026, 5, 1), date(2026, 7, 27))[-30:]
    write_points(db, [make_point("index_overview", {"index": "INDIA VIX", "source": "mock"},
                                 {"last_price": 10.0 + n * 0.2}, at(f"{day} 15:29")) for n, day in enumerate(days)])
    write_points(db, [make_point("index_overview", {"index": "INDIA VIX", "source": "mock"}, {"last_price": 50.0},
                                 at(f"{days[-1]} 11:00")),  # midday: not a close
                      make_point("index_overview", {"index": "INDIA VIX", "source": "kite"}, {"last_price": 99.0},
                                 at(f"{days[-1]} 15:29"))])  # another source: not mixed in
    history = br.VixHistory(db)
    regime = history.regime([overview("INDIAVIX", 15.1, 14.0)])
    assert regime.history_days == 30 and regime.basis == "percentile"
    assert regime.vix_percentile == pytest.approx(100 * 26 / 30) and regime.label == "high"
    assert history.closes(date(2026, 7, 28), "mock") is history.closes(date(2026, 7, 28), "mock")  # read once a day


def test_table_is_readable_and_carries_source_and_time():
    breadth = br.market_breadth([overview("NIFTY", 24600, 24500), overview("BANKNIFTY", 55000, 55100)])
    table = br.breadth_table(breadth, br.volatility_regime(vix(14.0, -2.5), [], {"NIFTY": 35.0}))
    assert table.rows == (("NIFTY", "24,600.00", "+0.41%", "35%"), ("BANKNIFTY", "55,000.00", "-0.18%", "n/a"),
                          ("INDIA VIX", "14.00", "-2.50%", "n/a"))
    assert "Advances 1 · declines 1" in table.caption and "volatility normal (by VIX level" in table.caption
    assert "source: mock" in table.caption and "2026-07-28 11:00 IST" in table.caption
