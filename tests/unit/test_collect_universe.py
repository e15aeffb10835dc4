"""The cycle's universe: chains per bucket, exact underlying matching, ATM choice and the one-call request plan."""

from datetime import date

from op_trading.collectors.universe import (MAX_MARGIN, build_chain, build_universe, instruments_needed,
                                            overfetch_margin, request_keys)
from op_trading.market.indices import BANKNIFTY, FINNIFTY, NIFTY, OPTION_INDICES, SENSEX
from op_trading.market.instruments import OptionIndex, instrument_from_row
from tests.fixtures_collect import SPOTS, option_rows, standard_dumps

TODAY = date(2025, 10, 14)


def options():
    dumps = standard_dumps(TODAY)
    return OptionIndex(instrument_from_row(row) for rows in (dumps.rows["NFO"], dumps.rows["BFO"]) for row in rows)


def test_weekly_indices_get_four_buckets_monthly_only_get_two():
    universe = build_universe(OPTION_INDICES, options(), TODAY)
    buckets = {index.key: [chain.bucket for chain in universe.chains_for(index)] for index in OPTION_INDICES}
    assert buckets["NIFTY"] == buckets["SENSEX"] == ["this_week", "next_week", "this_month", "next_month"]
    assert buckets["BANKNIFTY"] == buckets["FINNIFTY"] == buckets["MIDCPNIFTY"] == ["this_month", "next_month"]
    assert [index.key for index in universe.spots] == ["NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY",
                                                       "INDIAVIX"]
    assert universe.warnings == ()


def test_nifty_chains_hold_only_nifty_contracts_despite_identical_strikes_elsewhere():
    universe = build_universe([NIFTY, BANKNIFTY, FINNIFTY], options(), TODAY)
    for chain in universe.chains:
        names = {pair.call.name for pair in chain.pairs} | {pair.put.name for pair in chain.pairs}
        assert names == {chain.index.underlying}
    nifty_month = [c for c in universe.chains_for(NIFTY) if c.bucket == "this_month"][0]
    assert nifty_month.step == 50 and nifty_month.lot_size == 75


def test_sensex_contracts_come_from_bfo():
    chain = build_universe([SENSEX], options(), TODAY).chains[0]
    assert chain.pairs[0].call.exchange == "BFO" and chain.expiry == date(2025, 10, 16)


def test_index_without_contracts_is_reported_not_fatal():
    universe = build_universe([NIFTY, SENSEX], OptionIndex([]), TODAY)
    assert universe.chains == ()
    assert len(universe.warnings) == 2 and "NIFTY" in universe.warnings[0]


def test_atm_is_the_nearest_listed_strike_and_a_tie_goes_up():
    rows = [instrument_from_row(r) for r in option_rows("NIFTY", "NFO", [TODAY], [25100, 25150, 25200, 25300])]
    chain = build_chain(NIFTY, "this_week", TODAY, rows)
    strike_at = lambda spot: chain.strikes[chain.atm_position(spot)]  # noqa: E731
    assert strike_at(25174.9) == 25150
    assert strike_at(25175.0) == 25200  # exact tie: the higher strike (round half up)
    assert strike_at(25240) == 25200  # 25250 is not listed: nearest listed strike
    assert strike_at(10) == 25100 and strike_at(99999) == 25300


def test_strikes_missing_one_side_are_not_part_of_the_chain():
    rows = [instrument_from_row(r) for r in option_rows("NIFTY", "NFO", [TODAY], [25100, 25200])]
    rows = [row for row in rows if not (row.strike == 25200 and row.instrument_type == "PE")]
    assert build_chain(NIFTY, "this_week", TODAY, rows).strikes == (25100.0,)


def test_request_keys_cover_spots_and_each_window_once():
    universe = build_universe(OPTION_INDICES, options(), TODAY)
    references = {"NIFTY": SPOTS["NSE:NIFTY 50"], "SENSEX": SPOTS["BSE:SENSEX"]}
    keys = request_keys(universe, references, range(-2, 3), margin=1)
    assert keys[:6] == [index.quote_key for index in universe.spots]
    assert len(keys) == len(set(keys)) == 6 + (4 + 4) * 7 * 2  # BANKNIFTY etc. left out: no reference spot
    assert "NFO:NIFTY25101425200CE" in keys and "NFO:NIFTY25101425000CE" not in keys


def test_overfetch_margin_fills_the_call_without_adding_one():
    universe = build_universe(OPTION_INDICES, options(), TODAY)
    offsets = range(-2, 3)
    assert overfetch_margin(universe, offsets, 500) == MAX_MARGIN
    assert instruments_needed(universe, offsets, MAX_MARGIN) <= 500
    wide = range(-10, 11)  # 14 chains x 21 strikes x 2 = 588 > 500: two calls anyway, margin up to the 2nd call
    assert instruments_needed(universe, wide, 0) > 500
    assert overfetch_margin(universe, wide, 500) == MAX_MARGIN
    assert overfetch_margin(universe, offsets, 150) == 0  # 146 needed: any margin would cost a second call

