"""One cycle over hand-made dumps and quotes: call count, keys, ATM and offsets, baselines, IV, top-up, traps."""

from datetime import datetime

import pytest

from op_trading.collectors.baselines import DayBaselines
from op_trading.collectors.cycle import Collector
from op_trading.collectors.iv import AnalyticsIv
from op_trading.collectors.market_data import InstrumentsUnavailable, MarketData
from op_trading.collectors.records import LEG_KEYS
from op_trading.market.calendar import IST
from op_trading.market.indices import NIFTY, OPTION_INDICES
from op_trading.market.instruments import InstrumentCache
from tests.fixtures_collect import FakeDumps, QuoteBook, standard_dumps

NOW = datetime(2025, 10, 14, 11, 0, 7, tzinfo=IST)


def make_collector(tmp_path, dumps=None, book=None, indices=OPTION_INDICES, offsets=range(-2, 3), batch=500):
    dumps = dumps or standard_dumps()
    book = book or QuoteBook(dumps)
    collector = Collector(book, MarketData(dumps, InstrumentCache(tmp_path / "cache"), indices),
                          DayBaselines(tmp_path / "state", "live"), AnalyticsIv(), offsets=offsets,
                          batch_size=batch, clock=lambda: NOW)
    return collector, dumps, book


def test_first_ever_cycle_learns_spots_then_every_cycle_is_one_quote_call(tmp_path):
    collector, dumps, book = make_collector(tmp_path)
    first = collector.run_cycle()
    assert (first.stats.quote_calls, first.stats.instrument_calls) == (2, 4)
    assert sorted(dumps.calls) == ["BFO", "BSE", "NFO", "NSE"]
    second = collector.run_cycle()
    assert (second.stats.quote_calls, second.stats.instrument_calls, len(book.calls)) == (1, 0, 3)
    assert second.stats.instruments_requested == len(book.calls[-1]) <= 500
    assert second.stats.instruments_missing == 0


def test_records_shape_and_counts(tmp_path):
    result = make_collector(tmp_path)[0].run_cycle()
    assert len(result.legs) == (4 + 4 + 2 + 2 + 2) * 5 * 2 == result.stats.legs
    assert all(list(leg) == list(LEG_KEYS) for leg in result.legs)
    assert {leg["timestamp"] for leg in result.legs + result.overviews} == {"2025-10-14T11:00:00+05:30"}
    assert [o["index"] for o in result.overviews] == ["NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY",
                                                      "INDIAVIX"]
    bank = result.overviews[2]
    assert "THIS_WEEK_TP" not in bank and bank["THIS_MONTH_TP"] is not None
    assert all(o["source"] == "live" for o in result.overviews)


def test_atm_is_nearest_strike_to_the_fresh_spot_and_offsets_are_listed_neighbours(tmp_path):
    result = make_collector(tmp_path)[0].run_cycle()
    nifty_week = [leg for leg in result.legs if leg["index"] == "NIFTY" and leg["bucket"] == "this_week"]
    assert {leg["atm_strike"] for leg in nifty_week} == {25200}  # spot 25212
    strikes = {leg["strike_offset"]: leg["strike"] for leg in nifty_week if leg["side"] == "CALL"}
    assert strikes == {"atm_m2": 25100.0, "atm_m1": 25150.0, "atm": 25200.0, "atm_p1": 25250.0, "atm_p2": 25300.0}
    assert {leg["atm_strike"] for leg in result.legs if leg["index"] == "NIFTY MID SELECT"} == {12900}


def test_nifty_legs_never_take_banknifty_or_finnifty_contracts(tmp_path):
    result = make_collector(tmp_path)[0].run_cycle()
    for leg in result.legs:
        root = {"NIFTY": "NIFTY", "BANKNIFTY": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
                "NIFTY MID SELECT": "MIDCPNIFTY", "SENSEX": "SENSEX"}[leg["index"]]
        assert leg["tradingsymbol"][:len(root)] == root and leg["tradingsymbol"][len(root)].isdigit()


def test_iv_is_computed_and_close_to_the_quoted_volatility(tmp_path):
    result = make_collector(tmp_path)[0].run_cycle()
    atm = [leg for leg in result.legs if leg["strike_offset"] == "atm" and leg["index"] != "NIFTY MID SELECT"
           and leg["days_to_expiry"] >= 7]
    assert atm and all(leg["iv"] == pytest.approx(0.14, abs=0.01) for leg in atm)
    nifty = result.overviews[0]
    assert nifty["this_month_atm_iv"] == pytest.approx(0.14, abs=0.01)
    assert nifty["this_month_iv_open"] == nifty["this_month_atm_iv"] and nifty["this_month_iv_day_change"] == 0


def test_oi_change_against_day_open_survives_a_restart(tmp_path):
    collector, dumps, book = make_collector(tmp_path)
    collector.run_cycle()
    book.oi_shift = 500
    restarted = make_collector(tmp_path, dumps, book)[0]
    result = restarted.run_cycle()
    assert result.stats.quote_calls == 1  # the last spots came back from the baselines file
    assert {leg["oi_change"] for leg in result.legs} == {500}
    assert all(leg["oi"] - leg["oi_open"] == 500 for leg in result.legs)


def test_a_spot_jump_beyond_the_margin_costs_one_top_up_call(tmp_path):
    collector, dumps, book = make_collector(tmp_path)
    collector.run_cycle()
    book.spots["NSE:NIFTY 50"] += 400  # 8 strikes of 50: beyond the 3-strike margin
    result = collector.run_cycle()
    assert result.stats.quote_calls == 2
    nifty = [leg for leg in result.legs if leg["index"] == "NIFTY"]
    assert len(nifty) == 40 and {leg["atm_strike"] for leg in nifty} == {25600}
    book.spots["NSE:NIFTY 50"] += 100  # 2 strikes: inside the margin
    assert collector.run_cycle().stats.quote_calls == 1


def test_chunked_only_above_the_batch_size(tmp_path):
    collector, _, book = make_collector(tmp_path, batch=100)
    collector.run_cycle()
    result = collector.run_cycle()
    assert result.stats.quote_calls == 2 and max(len(call) for call in book.calls) <= 100
    assert len(result.legs) == 140


def test_missing_quotes_skip_legs_and_are_counted(tmp_path):
    collector, dumps, book = make_collector(tmp_path, indices=[NIFTY])
    collector.run_cycle()
    book.hidden = {key for key, row in book.contracts.items()
                   if row["name"] == "NIFTY" and row["strike"] == 25200 and row["instrument_type"] == "CE"}
    result = collector.run_cycle()
    assert result.stats.instruments_missing == 4  # one 25200 CE per NIFTY expiry bucket, asked for once
    assert result.stats.quote_calls == 1
    assert len(result.legs) == 40 - 4
    assert result.overviews[0]["THIS_WEEK_TP"] is None and result.overviews[0]["THIS_WEEK_OI_PUT"] is not None


def test_spot_without_quote_skips_that_index_with_a_warning(tmp_path):
    collector, dumps, book = make_collector(tmp_path)
    collector.run_cycle()
    book.hidden = {"NSE:NIFTY BANK"}
    result = collector.run_cycle()
    assert not [leg for leg in result.legs if leg["index"] == "BANKNIFTY"]
    assert any("NIFTY BANK" in warning for warning in result.warnings)


def test_no_options_dump_and_no_older_copy_is_a_clear_error(tmp_path):
    dumps = FakeDumps({})
    collector = make_collector(tmp_path, dumps=dumps, book=QuoteBook(standard_dumps()))[0]
    with pytest.raises(InstrumentsUnavailable, match="NFO instrument dump"):
        collector.run_cycle()


def test_offsets_without_atm_still_fill_the_overview(tmp_path):
    collector = make_collector(tmp_path, indices=[NIFTY], offsets=[-3, 3])[0]
    result = collector.run_cycle()
    assert {leg["strike_offset"] for leg in result.legs} == {"atm_m3", "atm_p3"}
    assert result.overviews[0]["THIS_WEEK_TP"] is not None


def test_cpu_and_wall_times_are_reported(tmp_path):
    collector = make_collector(tmp_path)[0]
    collector.run_cycle()
    stats = collector.run_cycle().stats
    assert stats.wall_ms > 0 and stats.cpu_ms > 0 and stats.network_ms > 0
    assert stats.processing_ms == pytest.approx(stats.wall_ms - stats.network_ms)


def test_a_day_beyond_the_holiday_calendar_is_a_cycle_warning(tmp_path):
    from op_trading.market import calendar

    collector, _, _ = make_collector(tmp_path)
    assert not any("holiday calendar" in warning for warning in collector.run_cycle().warnings)  # 2025: covered
    collector.clock = lambda: datetime(2028, 10, 17, 11, 0, 7, tzinfo=IST)
    warnings = collector.run_cycle().warnings
    assert calendar.coverage_warning(datetime(2028, 10, 17)) in warnings
