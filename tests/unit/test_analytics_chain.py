"""Chain metrics against values computed by hand on small chains."""

import math
from datetime import timedelta

import pytest

from op_trading.analytics import chain
from op_trading.analytics.chain import Buildup
from op_trading.analytics.chain_history import ChainAnalyzer
from op_trading.analytics.common import make_point, write_points
from tests.fixtures_analytics import at, option, settings, store

# Call OI 5/20/40, put OI 40/10/5 at strikes 100/110/120.
# Pain(100) = puts 10*10 + 5*20 = 200; Pain(110) = calls 5*10 + puts 5*10 = 100; Pain(120) = calls 5*20 + 20*10 = 300
SMALL = [option(100, "CALL", oi=5, volume=50), option(110, "CALL", oi=20, volume=70),
         option(120, "CALL", oi=40, volume=80), option(100, "PUT", oi=40, volume=100),
         option(110, "PUT", oi=10, volume=20), option(120, "PUT", oi=5, volume=0)]


def test_pcr_by_oi_and_by_volume():
    assert chain.pcr(SMALL, "oi") == pytest.approx(55 / 65)
    assert chain.pcr(SMALL, "volume") == pytest.approx(120 / 200)


def test_pcr_is_none_without_call_oi_and_zero_without_put_oi():
    assert chain.pcr([option(100, "PUT", oi=7)]) is None
    assert chain.pcr([option(100, "CALL", oi=7)]) == 0


def test_max_pain_payouts_and_argmin():
    assert chain.pain_by_strike(SMALL) == {100.0: 200.0, 110.0: 100.0, 120.0: 300.0}
    assert chain.max_pain(SMALL) == 110


def test_max_pain_moves_to_the_heavy_put_strike():
    # Pain(100) = 1*10 + 100*20 = 2010; Pain(110) = 1*10 + 100*10 = 1010; Pain(120) = 1*20 + 1*10 = 30
    skewed = [option(k, "CALL", oi=1) for k in (100, 110, 120)] + \
             [option(100, "PUT", oi=1), option(110, "PUT", oi=1), option(120, "PUT", oi=100)]
    assert chain.max_pain(skewed) == 120


def test_max_pain_needs_one_expiry_and_some_oi():
    with pytest.raises(ValueError, match="per expiry"):
        chain.max_pain(SMALL + [option(100, "CALL", oi=3, expiry="2026-08-04")])
    assert chain.max_pain([option(100, "CALL"), option(100, "PUT")]) is None


def test_atm_strike_nearest_with_ties_going_up():
    assert chain.atm_strike([100, 110, 120], 105) == 110
    assert chain.atm_strike([100, 110, 120], 104.9) == 100
    assert chain.atm_strike([100, 110], None) is None


SMILE = [option(90, "PUT", iv=0.24), option(100, "PUT", iv=0.20), option(110, "PUT", iv=0.18),
         option(110, "CALL", iv=0.17), option(120, "CALL", iv=0.15), option(130, "CALL", iv=0.14),
         option(90, "CALL", iv=math.nan), option(130, "PUT", iv=None)]


def test_atm_iv_is_the_mean_of_call_and_put_and_skips_missing_sides():
    assert chain.atm_iv(SMILE, 111) == pytest.approx(0.175)
    assert chain.atm_iv([option(110, "CALL", iv=0.2), option(110, "PUT", iv=math.nan)], 110) == pytest.approx(0.2)
    assert chain.atm_iv([option(110, "CALL", iv=None)], 110) is None


def test_iv_skew_matches_put_and_call_at_equal_distance():
    # (0.20 - 0.15) at distance 10 and (0.24 - 0.14) at distance 20 -> mean 0.075
    assert chain.iv_skew(SMILE, 110) == pytest.approx(0.075)
    assert chain.iv_skew(SMILE, 110, pairs=1) == pytest.approx(0.05)


def test_iv_percentile_and_rank():
    history = [0.10, 0.12, 0.14, 0.16, 0.18]
    assert chain.iv_percentile(0.15, history) == pytest.approx(60.0)
    assert chain.iv_rank(0.15, history) == pytest.approx(62.5)
    assert chain.iv_percentile(0.15, []) is None and chain.iv_rank(0.2, [0.2, 0.2]) is None
    assert chain.iv_percentile(0.15, [math.nan, None, 0.1]) == 100.0
    assert chain.iv_rank(0.25, history) == 100.0 and chain.iv_rank(0.05, history) == 0.0  # new high / new low


def test_daily_closes_take_the_last_value_of_each_day_before_today():
    rows = [{"time": at("2026-07-27 10:00"), "atm_iv": 0.1}, {"time": at("2026-07-27 15:29"), "atm_iv": 0.2},
            {"time": at("2026-07-28 09:30"), "atm_iv": 0.3}, {"time": at("2026-07-28 10:00"), "atm_iv": 0.4}]
    assert chain.daily_closes(rows, "atm_iv") == [0.2, 0.4]
    assert chain.daily_closes(rows, "atm_iv", before=at("2026-07-28 00:00").date()) == [0.2]


@pytest.mark.parametrize("price, oi, expected", [
    (1.0, 3.0, Buildup.LONG_BUILDUP), (1.0, -3.0, Buildup.SHORT_COVERING), (-1.0, 3.0, Buildup.SHORT_BUILDUP),
    (-1.0, -3.0, Buildup.LONG_UNWINDING), (0.4, 3.0, Buildup.NEUTRAL), (1.0, 1.9, Buildup.NEUTRAL),
    (None, 3.0, Buildup.NEUTRAL), (math.nan, -3.0, Buildup.NEUTRAL), (0.5, 2.0, Buildup.LONG_BUILDUP)])
def test_buildup_classes_with_thresholds(price, oi, expected):
    assert chain.classify_buildup(price, oi, 0.5, 2.0) is expected


def test_zero_moves_are_neutral_even_with_zero_thresholds():
    assert chain.classify_buildup(0.0, 5.0, 0, 0) is Buildup.NEUTRAL
    assert chain.classify_buildup(0.01, -0.01, 0, 0) is Buildup.SHORT_COVERING


def test_strike_changes_since_the_open():
    legs = [option(110, "CALL", oi=1100, oi_open=1000, day_change_percent=2.0, source="mock",
                   timestamp="2026-07-28T10:00:00+05:30"),
            option(110, "PUT", oi=900, oi_open=1000, last_price=9.0, **{"ohlc.open": 10.0}),
            option(120, "CALL", oi=500, oi_open=None, day_change_percent=5.0)]
    changes = chain.strike_changes(legs, 0.5, 2.0)
    call, put, far = changes
    assert (call.oi_change, call.oi_change_pct, call.buildup) == (100, pytest.approx(10.0), Buildup.LONG_BUILDUP)
    assert (put.oi_change, put.price_change_pct, put.buildup) == (-100, pytest.approx(-10.0), Buildup.LONG_UNWINDING)
    assert (far.oi_change, far.buildup) == (None, Buildup.NEUTRAL)
    table = chain.buildup_table(changes)
    assert table.rows[0] == ("110", "CALL", "1,100", "+100", "+10.0%", "+2.0%", "long buildup")
    assert "mock" in table.caption and "2026-07-28 10:00 IST" in table.caption and put.as_of is None


def test_total_premium_needs_both_atm_prices():
    legs = [option(110, "CALL", last_price=120.5), option(110, "PUT", last_price=99.5),
            option(100, "CALL", last_price=180.0)]
    assert chain.total_premium(legs, 108) == pytest.approx(220.0)
    assert chain.total_premium(legs[:1] + legs[2:], 108) is None


def test_weekday_average_takes_the_nearest_time_per_earlier_same_weekday():
    now = at("2026-07-28 10:00")
    assert now.weekday() == 1
    history = [{"time": at("2026-07-21 09:58"), "total_premium": 100}, {"time": at("2026-07-21 10:01"),
                                                                        "total_premium": 110},
               {"time": at("2026-07-14 10:04"), "total_premium": 90}, {"time": at("2026-07-07 10:20"),
                                                                       "total_premium": 500},
               {"time": at("2026-07-22 10:00"), "total_premium": 999}, {"time": at("2026-07-28 09:30"),
                                                                        "total_premium": 777}]
    assert chain.weekday_average(history, now) == (pytest.approx(100.0), 2)
    assert chain.weekday_average(history, now, tolerance=timedelta(minutes=1)) == (pytest.approx(110.0), 1)
    assert chain.weekday_average([], now) == (None, 0)


def _legs(call_iv, put_iv, call_price=100.0, put_price=90.0):
    when = "2026-07-28T10:00:00+05:30"
    return [option(110, "CALL", oi=20, iv=call_iv, last_price=call_price, timestamp=when, source="mock"),
            option(110, "PUT", oi=10, iv=put_iv, last_price=put_price, timestamp=when, source="mock"),
            option(100, "PUT", oi=30, iv=0.2, timestamp=when, source="mock"),
            option(120, "CALL", oi=40, iv=0.15, timestamp=when, source="mock")]


def test_compute_chain_metrics_and_table():
    metrics = chain.compute_chain_metrics(_legs(0.16, 0.18), 110.0, index="NIFTY", expiry="2026-07-28",
                                          bucket="this_week", as_of=at("2026-07-28 10:00"), source="mock",
                                          iv_open=0.15, iv_history=[0.1, 0.2])
    assert metrics.atm_iv == pytest.approx(0.17) and metrics.iv_day_change == pytest.approx(0.02)
    assert metrics.pcr_oi == pytest.approx(40 / 60) and metrics.total_premium == pytest.approx(190.0)
    assert metrics.iv_percentile == 50.0 and metrics.iv_rank == pytest.approx(70.0)
    assert metrics.premium_weekday_avg is None and metrics.premium_vs_avg_pct is None
    table = chain.chain_table([metrics])
    row = dict(zip(table.columns, table.rows[0]))
    assert row["ATM IV"] == "17.00" and row["IV chg"] == "+2.00" and row["PCR OI"] == "0.67"
    assert row["vs weekday avg"] == "n/a" and "mock" in table.caption and "2026-07-28 10:00 IST" in table.caption


def _at(legs, when):
    return [dict(leg, timestamp=at(when).isoformat()) for leg in legs]


def test_analyzer_uses_stored_history_and_the_day_open_iv(tmp_path):
    db = store(tmp_path)
    analyzer = ChainAnalyzer.from_settings(settings(), store=db)
    for when, iv, premium in (("2026-07-21 10:00", 0.12, 180.0), ("2026-07-22 15:29", 0.14, 170.0),
                              ("2026-07-23 15:29", 0.20, 160.0)):
        analyzer.analyze(_at(_legs(iv, iv, premium / 2, premium / 2), when), 110.0, index="NIFTY",
                         expiry="2026-07-28", bucket="this_week")
    write_points(db, [make_point("chain_metrics_daily", {"index": "NIFTY", "bucket": "this_week", "source": "kite"},
                                 {"atm_iv": 0.9}, at("2026-07-24 15:30"))])  # live history never mixes with mock
    restarted = ChainAnalyzer.from_settings(settings(), store=db)
    first = restarted.analyze(_legs(0.16, 0.18), 110.0, index="NIFTY", expiry="2026-07-28", bucket="this_week")
    assert first.source == "mock" and first.as_of == at("2026-07-28 10:00")
    assert first.iv_day_change == 0 and first.iv_percentile == pytest.approx(200 / 3)  # above 0.12, 0.14 of 3
    assert first.iv_rank == pytest.approx(100 * (0.17 - 0.12) / (0.20 - 0.12))
    assert first.premium_weekday_avg == pytest.approx(180.0) and first.premium_weekday_days == 1
    second = restarted.analyze(_at(_legs(0.20, 0.22), "2026-07-28 11:00"), 110.0, index="NIFTY",
                               expiry="2026-07-28", bucket="this_week")
    assert second.iv_open == pytest.approx(0.17) and second.iv_day_change == pytest.approx(0.04)
    tags = {"index": "NIFTY", "bucket": "this_week", "source": "mock"}
    assert len(db.query("chain_metrics", tags=tags)) == 5
    daily = db.query("chain_metrics_daily", tags=tags)
    assert [(row["time"], row["atm_iv"]) for row in daily][-1] == (at("2026-07-28 15:30"), pytest.approx(0.21))
    assert len(daily) == 4  # one row per day, rewritten each cycle
    after_restart = ChainAnalyzer.from_settings(settings(), store=db)
    third = after_restart.analyze(_at(_legs(0.20, 0.22), "2026-07-28 11:30"), 110.0, index="NIFTY",
                                  expiry="2026-07-28", bucket="this_week")
    assert third.iv_open == pytest.approx(0.17)  # the day's open survives a restart


def test_analyzer_is_off_when_live_analytics_are_off():
    analyzer = ChainAnalyzer.from_settings(settings(LIVE_ANALYTICS_ENABLED="false"))
    assert analyzer.analyze(_legs(0.16, 0.18), 110.0, index="NIFTY", expiry="2026-07-28") is None


def test_analyzer_buildup_uses_the_settings_thresholds():
    legs = [option(110, "CALL", oi=1030, oi_open=1000, day_change_percent=1.0)]
    assert ChainAnalyzer.from_settings(settings()).buildup(legs)[0].buildup is Buildup.LONG_BUILDUP
    strict = ChainAnalyzer.from_settings(settings(BUILDUP_OI_THRESHOLD_PERCENT=5))
    assert strict.buildup(legs)[0].buildup is Buildup.NEUTRAL
