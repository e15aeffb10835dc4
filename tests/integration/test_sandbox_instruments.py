"""The instrument dump as the official client parses it: columns, types, token arithmetic and today's contracts."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from kiteconnect import exceptions as ex

from op_trading.market import calendar
from op_trading.market.indices import ALL_INDICES
from op_trading.sandbox import Sandbox
from tests.fixtures_sandbox import client, frozen_sandbox, kite, raw  # noqa: F401 - fixtures

HEADER = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size," \
         "instrument_type,segment,exchange"
SEGMENT_BYTE = {"NFO": 2, "BFO": 5, "INDICES": 9}


@pytest.fixture(scope="module")
def dump(frozen_sandbox):
    kite = client(frozen_sandbox, frozen_sandbox.issue_access_token())
    return {exchange: kite.instruments(exchange) for exchange in ("NSE", "BSE", "NFO", "BFO")}


def options(rows, name, expiry=None):
    return [r for r in rows if r["name"] == name and r["instrument_type"] in ("CE", "PE")
            and (expiry is None or r["expiry"] == expiry)]


def test_csv_header_and_content_type(frozen_sandbox):
    response = raw(frozen_sandbox, "GET", "/instruments/NFO", frozen_sandbox.issue_access_token())
    assert response.status_code == 200 and "csv" in response.headers["Content-Type"]
    assert response.headers.get("Content-Encoding") == "gzip"  # requests asked for gzip and decoded it
    assert response.text.splitlines()[0] == HEADER


def test_plain_csv_without_gzip(frozen_sandbox):
    response = raw(frozen_sandbox, "GET", "/instruments/BSE", frozen_sandbox.issue_access_token(),
                   headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert response.content.decode().splitlines() == [HEADER, "265,1,SENSEX,SENSEX,0,,0,0,0,EQ,INDICES,BSE"]


def test_client_types(dump):
    row = dump["NFO"][0]
    assert isinstance(row["instrument_token"], int) and isinstance(row["exchange_token"], str)
    assert all(isinstance(row[k], float) for k in ("last_price", "strike", "tick_size"))
    assert isinstance(row["lot_size"], int) and isinstance(row["expiry"], date)
    index = dump["NSE"][0]
    assert index["expiry"] == "" and index["strike"] == 0.0 and index["lot_size"] == 0


def test_token_arithmetic_and_uniqueness(dump):
    for exchange, rows in dump.items():
        for row in rows:
            segment = row["segment"].split("-")[0]
            assert row["instrument_token"] == int(row["exchange_token"]) * 256 + SEGMENT_BYTE[segment]
        tokens = [row["instrument_token"] for row in rows]
        assert len(tokens) == len(set(tokens))
        symbols = [row["tradingsymbol"] for row in rows]
        assert len(symbols) == len(set(symbols))


def test_index_rows_match_the_index_definitions(dump):
    rows = {f'{r["exchange"]}:{r["tradingsymbol"]}': r for r in dump["NSE"] + dump["BSE"]}
    assert set(rows) == {index.quote_key for index in ALL_INDICES}  # incl. NSE:INDIA VIX
    for index in ALL_INDICES:
        row = rows[index.quote_key]
        assert row["instrument_token"] == index.instrument_token and row["exchange_token"] == str(index.exchange_token)
        assert (row["instrument_type"], row["segment"], row["name"]) == ("EQ", "INDICES", index.tradingsymbol)


def test_nifty_has_weeklies_and_monthlies_with_the_right_symbol_forms(dump):
    nifty = options(dump["NFO"], "NIFTY")
    expiries = sorted({r["expiry"] for r in nifty})
    assert expiries == calendar.listed_expiries("NIFTY", date(2026, 11, 20))
    assert expiries[0] == date(2026, 11, 23)  # Nov monthly moved from the Tuesday holiday to Monday
    by_expiry = {r["expiry"]: r["tradingsymbol"] for r in nifty if r["strike"] == nifty[0]["strike"]
                 and r["instrument_type"] == "CE"}
    strike = int(nifty[0]["strike"])
    assert by_expiry[date(2026, 11, 23)] == f"NIFTY26NOV{strike}CE"
    assert by_expiry[date(2026, 12, 1)] == f"NIFTY26D01{strike}CE"
    assert by_expiry[date(2026, 12, 22)] == f"NIFTY26D22{strike}CE"
    assert by_expiry[date(2026, 12, 29)] == f"NIFTY26DEC{strike}CE"
    assert by_expiry[date(2027, 1, 25)] == f"NIFTY27JAN{strike}CE"  # 26 Jan 2027 is Republic Day


def test_october_and_november_weekly_codes_and_holiday_moves():
    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-10-05 10:00") as box:
        rows = client(box, box.issue_access_token()).instruments("NFO")
    nifty = {r["expiry"]: r["tradingsymbol"] for r in options(rows, "NIFTY") if r["instrument_type"] == "PE"}
    assert date(2026, 10, 19) in nifty and nifty[date(2026, 10, 19)].startswith("NIFTY26O19")  # 20 Oct Dussehra
    assert nifty[date(2026, 10, 27)].startswith("NIFTY26OCT")
    assert nifty[date(2026, 11, 3)].startswith("NIFTY26N03")
    assert date(2026, 10, 20) not in nifty


def test_sensex_trades_on_bfo_on_thursdays(dump):
    sensex = options(dump["BFO"], "SENSEX")
    assert sensex and not options(dump["NFO"], "SENSEX")
    assert {r["segment"] for r in sensex} == {"BFO-OPT"} and {r["exchange"] for r in sensex} == {"BFO"}
    expiries = sorted({r["expiry"] for r in sensex})
    assert expiries == calendar.listed_expiries("SENSEX", date(2026, 11, 20)) and len(expiries) == 7
    assert all(day.weekday() == calendar.THURSDAY for day in expiries)  # no Thursday holiday in this window
    weekly = next(r for r in sensex if r["expiry"] == date(2026, 12, 3))
    assert weekly["tradingsymbol"].startswith("SENSEX26D03")
    monthly = next(r for r in sensex if r["expiry"] == date(2026, 11, 26))
    assert monthly["tradingsymbol"].startswith("SENSEX26NOV")


@pytest.mark.parametrize("name", ["BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"])
def test_no_weeklies_for_the_other_indices(dump, name):
    expiries = sorted({r["expiry"] for r in options(dump["NFO"], name)})
    assert expiries == [date(2026, 11, 23), date(2026, 12, 29), date(2027, 1, 25)]  # not on Republic Day
    assert all(not r["tradingsymbol"][len(name) + 2].isdigit() for r in options(dump["NFO"], name))


@pytest.mark.parametrize("name, lot", [("NIFTY", 65), ("BANKNIFTY", 30), ("FINNIFTY", 60), ("MIDCPNIFTY", 120),
                                       ("SENSEX", 20)])
def test_lot_sizes_from_the_jan_2026_revision(dump, name, lot):
    rows = [r for r in dump["NFO"] + dump["BFO"] if r["name"] == name]
    assert {r["lot_size"] for r in rows} == {lot}
    assert {r["tick_size"] for r in rows if r["instrument_type"] != "FUT"} == {0.05}


FUTURE_TICKS = {"NIFTY": 0.1, "FINNIFTY": 0.1, "BANKNIFTY": 0.2, "MIDCPNIFTY": 0.05, "SENSEX": 0.05}
ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_DUMP = next((path.resolve() for path in (ROOT / ".." / "shared", ROOT / ".." / ".." / "shared")
                      if (path / "external" / "instruments").is_dir()), ROOT) / "external" / "instruments" / \
    "kite_NFO_BFO_2026-08-17.csv.gz"


@pytest.mark.parametrize("name, tick", sorted(FUTURE_TICKS.items()))
def test_futures_tick_sizes_as_in_kites_dumps(dump, name, tick):
    rows = [r for r in dump["NFO"] + dump["BFO"] if r["name"] == name and r["instrument_type"] == "FUT"]
    assert len(rows) == 3 and {r["tick_size"] for r in rows} == {tick}


def test_futures_tick_sizes_match_a_real_dump():
    """The table above against a real Kite dump (skips when ../shared/external is absent)."""
    import csv
    import gzip

    if not EXTERNAL_DUMP.exists():
        pytest.skip(f"real instrument dump not present: {EXTERNAL_DUMP}")
    with gzip.open(EXTERNAL_DUMP, "rt", encoding="utf-8") as handle:
        real = {(row["name"], float(row["tick_size"])) for row in csv.DictReader(handle)
                if row["instrument_type"] == "FUT" and row["name"] in FUTURE_TICKS}
    assert real == set(FUTURE_TICKS.items())


@pytest.mark.parametrize("name, step", [("NIFTY", 50), ("BANKNIFTY", 100), ("FINNIFTY", 50), ("MIDCPNIFTY", 25),
                                        ("SENSEX", 100)])
def test_strike_steps_and_range_around_the_previous_close(frozen_sandbox, dump, name, step):
    rows = options(dump["NFO"] + dump["BFO"], name)
    first = min(r["expiry"] for r in rows)
    strikes = sorted({r["strike"] for r in rows if r["expiry"] == first})
    spot = frozen_sandbox.market.close(name, date(2026, 11, 19))
    near = [s for s in strikes if abs(s - spot) < 10 * step]
    assert min(b - a for a, b in zip(near, near[1:])) == step
    assert strikes[0] < spot * 0.93 and strikes[-1] > spot * 1.07  # a realistic band, not just ATM
    assert Counter(r["instrument_type"] for r in rows if r["expiry"] == first) == {"CE": len(strikes),
                                                                                    "PE": len(strikes)}


def test_index_futures_rows(dump):
    futures = [r for r in dump["NFO"] if r["instrument_type"] == "FUT" and r["name"] == "NIFTY"]
    assert [r["tradingsymbol"] for r in futures] == ["NIFTY26NOVFUT", "NIFTY26DECFUT", "NIFTY27JANFUT"]
    assert {r["segment"] for r in futures} == {"NFO-FUT"} and {r["strike"] for r in futures} == {0.0}


def test_all_exchanges_dump_is_the_union(kite, dump):
    everything = kite.instruments()
    assert len(everything) == sum(len(rows) for rows in dump.values())


def test_unknown_and_unsimulated_exchanges(kite):
    assert kite.instruments("CDS") == []
    with pytest.raises(ex.InputException):
        kite.instruments("XYZ")


def test_instruments_need_a_session(frozen_sandbox):
    with pytest.raises(ex.TokenException):
        client(frozen_sandbox).instruments("NFO")
