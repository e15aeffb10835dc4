"""Instrument dump: parsing, Kite-compatible CSV, exact underlying matching, strike steps, the per-day cache."""

from datetime import date

import pytest

from op_trading.market.instruments import (COLUMNS, InstrumentCache, OptionIndex, instrument_from_row, parse_csv,
                                           strike_step, to_csv)
from tests.fixtures_collect import index_rows, ladder, option_rows

KITE_HEADER = ("instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,"
               "instrument_type,segment,exchange")
KITE_CSV = KITE_HEADER + """
256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE
12345602,48225,NIFTY25O1425200CE,NIFTY,0,2025-10-14,25200,0.05,75,CE,NFO-OPT,NFO
9347074,36512,BANKNIFTY25OCT56500PE,BANKNIFTY,0,2025-10-28,56500,0.05,35,PE,NFO-OPT,NFO
"""


def test_parse_kite_csv_types():
    spot, nifty, bank = parse_csv(KITE_CSV)
    assert spot.expiry is None and spot.segment == "INDICES" and spot.quote_key == "NSE:NIFTY 50"
    assert not spot.is_option
    assert nifty.instrument_token == 12345602 and nifty.exchange_token == "48225"
    assert nifty.expiry == date(2025, 10, 14) and nifty.strike == 25200.0 and nifty.lot_size == 75
    assert nifty.is_option and nifty.quote_key == "NFO:NIFTY25O1425200CE"
    assert bank.name == "BANKNIFTY" and bank.instrument_type == "PE"


def test_rows_from_the_kiteconnect_client_and_from_csv_agree():
    from kiteconnect import KiteConnect

    parsed_by_client = KiteConnect("key")._parse_instruments(KITE_CSV.encode())
    assert [instrument_from_row(row) for row in parsed_by_client] == parse_csv(KITE_CSV)


def test_our_csv_is_readable_by_the_kiteconnect_client_and_round_trips():
    from kiteconnect import KiteConnect

    items = parse_csv(KITE_CSV)
    text = to_csv(items)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert parse_csv(text) == items
    assert [instrument_from_row(row) for row in KiteConnect("key")._parse_instruments(text.encode())] == items


def test_options_are_matched_on_the_exact_underlying_name():
    rows = [instrument_from_row(row) for row in
            option_rows("NIFTY", "NFO", [date(2025, 10, 28)], [25200]) +
            option_rows("BANKNIFTY", "NFO", [date(2025, 10, 28)], [25200]) +
            option_rows("FINNIFTY", "NFO", [date(2025, 10, 28)], [25200]) + index_rows()]
    options = OptionIndex(rows)
    assert {row.name for row in options.contracts("NIFTY")} == {"NIFTY"}
    assert len(options.contracts("NIFTY")) == 2
    assert options.contracts("NIFTY", "BFO") == []
    assert options.underlyings() == ["BANKNIFTY", "FINNIFTY", "NIFTY"]
    assert options.lot_size("NIFTY", date(2025, 10, 28)) == 75


def test_strike_step_is_the_smallest_gap_near_the_money():
    strikes = [24000, 24100, 24200] + ladder(25000, 50, 6) + [26000, 26100]
    assert strike_step(strikes, near=25010) == 50
    assert strike_step([24000, 24100, 24200], near=24100) == 100
    assert strike_step([25000]) is None


class CountingFetch:
    def __init__(self, rows):
        self.rows, self.calls = rows, 0

    def __call__(self):
        self.calls += 1
        if isinstance(self.rows, Exception):
            raise self.rows
        return [instrument_from_row(row) for row in self.rows]


def nfo_rows(expiry=date(2025, 10, 28)):
    return option_rows("NIFTY", "NFO", [expiry], [25100, 25200])


def test_cache_fetches_once_per_day_and_again_on_a_new_day(tmp_path):
    cache = InstrumentCache(tmp_path)
    fetch = CountingFetch(nfo_rows())
    first = cache.load("NFO", date(2025, 10, 14), fetch)
    second = cache.load("NFO", date(2025, 10, 14), fetch)
    assert (first.origin, second.origin, fetch.calls) == ("fetched", "cache", 1)
    assert second.instruments == first.instruments
    assert (tmp_path / "NFO_2025-10-14.csv").exists()
    assert cache.load("NFO", date(2025, 10, 15), fetch).origin == "fetched" and fetch.calls == 2
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_yesterdays_dump_with_expired_contracts_is_used_but_not_cached(tmp_path):
    cache = InstrumentCache(tmp_path)
    loaded = cache.load("NFO", date(2025, 10, 29), CountingFetch(nfo_rows(date(2025, 10, 28))))
    assert loaded.origin == "provisional" and not loaded.current
    assert not (tmp_path / "NFO_2025-10-29.csv").exists()


def test_failed_fetch_falls_back_to_the_newest_older_file(tmp_path):
    cache = InstrumentCache(tmp_path)
    cache.load("NFO", date(2025, 10, 13), CountingFetch(nfo_rows()))
    cache.load("NFO", date(2025, 10, 14), CountingFetch(nfo_rows()))
    loaded = cache.load("NFO", date(2025, 10, 15), CountingFetch(ConnectionError("down")))
    assert loaded.origin == "fallback" and loaded.path.name == "NFO_2025-10-14.csv" and not loaded.current
    with pytest.raises(ConnectionError):
        InstrumentCache(tmp_path / "empty").load("NFO", date(2025, 10, 15), CountingFetch(ConnectionError("down")))


def test_old_cache_files_are_pruned(tmp_path):
    cache = InstrumentCache(tmp_path, keep_days=2)
    for day in range(10, 15):
        cache.load("NFO", date(2025, 10, day), CountingFetch(nfo_rows()))
    assert sorted(path.name for path in tmp_path.glob("NFO_*")) == ["NFO_2025-10-13.csv", "NFO_2025-10-14.csv"]


def test_memory_only_cache_writes_nothing(tmp_path):
    loaded = InstrumentCache(None).load("NFO", date(2025, 10, 14), CountingFetch(nfo_rows()))
    assert loaded.origin == "fetched" and loaded.path is None and len(loaded.instruments) == 4
