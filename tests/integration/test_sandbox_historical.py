"""Historical candles through the official client: shapes, the oi flag, agreement with quotes, Kite's limits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from kiteconnect import exceptions as ex

from tests.fixtures_sandbox import client, frozen_sandbox, kite  # noqa: F401 - fixtures

IST = timedelta(hours=5, minutes=30)


@pytest.fixture(scope="module")
def weekly_call(frozen_sandbox):
    rows = client(frozen_sandbox, frozen_sandbox.issue_access_token()).instruments("NFO")
    spot = frozen_sandbox.market.close("NIFTY", date(2026, 11, 19))
    calls = [r for r in rows if r["name"] == "NIFTY" and r["instrument_type"] == "CE"
             and r["expiry"] == date(2026, 12, 1)]
    return min(calls, key=lambda r: abs(r["strike"] - spot))  # near the money: traded in every bar


def test_minute_candles_of_an_index(kite):
    candles = kite.historical_data(256265, "2026-11-20 09:15:00", "2026-11-20 09:44:59", "minute")
    assert len(candles) == 30 and set(candles[0]) == {"date", "open", "high", "low", "close", "volume"}
    first = candles[0]
    assert first["date"].replace(tzinfo=None) == datetime(2026, 11, 20, 9, 15) and first["date"].utcoffset() == IST
    for candle in candles:
        assert candle["low"] <= min(candle["open"], candle["close"]) <= max(candle["open"], candle["close"]) \
            <= candle["high"]
        assert candle["volume"] == 0
    steps = [b["date"] - a["date"] for a, b in zip(candles, candles[1:])]
    assert set(steps) == {timedelta(minutes=1)}


def test_oi_flag_adds_the_seventh_field(kite, weekly_call):
    with_oi = kite.historical_data(weekly_call["instrument_token"], "2026-11-20 09:15:00", "2026-11-20 10:00:00",
                                   "15minute", oi=True)
    without = kite.historical_data(weekly_call["instrument_token"], "2026-11-20 09:15:00", "2026-11-20 10:00:00",
                                   "15minute")
    assert len(with_oi) == len(without) == 4
    assert all(c["oi"] > 0 and c["oi"] % weekly_call["lot_size"] == 0 for c in with_oi)
    assert all("oi" not in c for c in without)
    assert all(c["volume"] > 0 for c in without)


def test_candles_stop_at_the_simulated_now(kite):
    candles = kite.historical_data(256265, "2026-11-20 09:15:00", "2026-11-20 15:30:00", "60minute")
    assert [c["date"].hour for c in candles] == [9, 10]  # 09:15 and 10:15 (running) at 11:00
    friday = kite.historical_data(256265, "2026-11-19 00:00:00", "2026-11-19 23:59:59", "60minute")
    assert [(c["date"].hour, c["date"].minute) for c in friday] == [(9, 15), (10, 15), (11, 15), (12, 15), (13, 15),
                                                                    (14, 15), (15, 15)]


def test_day_candles_agree_with_the_quote(kite):
    days = kite.historical_data(256265, "2026-11-01", "2026-11-20", "day")
    assert [c["date"].date() for c in days][-3:] == [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
    assert all(c["date"].weekday() < 5 for c in days)
    quote = kite.quote("NSE:NIFTY 50")["NSE:NIFTY 50"]
    today, yesterday = days[-1], days[-2]
    assert today["open"] == quote["ohlc"]["open"] and today["high"] == quote["ohlc"]["high"]
    assert today["low"] == quote["ohlc"]["low"]
    assert yesterday["close"] == quote["ohlc"]["close"]


def test_minute_candles_aggregate_into_the_day(kite):
    minutes = kite.historical_data(260105, "2026-11-19 09:15:00", "2026-11-19 15:30:00", "minute")
    day = kite.historical_data(260105, "2026-11-19", "2026-11-19", "day")[0]
    assert len(minutes) == 375
    assert day["open"] == minutes[0]["open"] and day["close"] == minutes[-1]["close"]
    assert day["high"] == max(c["high"] for c in minutes) and day["low"] == min(c["low"] for c in minutes)


def test_option_candles_are_priced_off_the_index(kite, weekly_call):
    candles = kite.historical_data(weekly_call["instrument_token"], "2026-11-18 09:15:00", "2026-11-20 11:00:00",
                                   "30minute", oi=True)
    assert {c["date"].date() for c in candles} == {date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)}
    assert all(0.05 <= c["low"] <= c["high"] for c in candles)
    listed_from = weekly_call["expiry"] - timedelta(days=35)
    early = kite.historical_data(weekly_call["instrument_token"], "2026-10-01", "2026-11-20", "day")
    assert min(c["date"].date() for c in early) >= listed_from


@pytest.mark.parametrize("interval, start, end, message", [
    ("30 minute", "2026-11-19 09:15:00", "2026-11-19 10:00:00", "invalid interval"),
    ("week", "2026-11-19 09:15:00", "2026-11-19 10:00:00", "invalid interval"),
    ("minute", "2026-09-01 09:15:00", "2026-11-19 10:00:00", "60 days"),
    ("60minute", "2025-01-01 09:15:00", "2026-11-19 10:00:00", "400 days"),
    ("minute", "2026-11-19 10:00:00", "2026-11-19 09:15:00", "after"),
    ("minute", "19/11/2026", "2026-11-19 09:15:00", "from"),
])
def test_bad_requests_are_input_errors(kite, interval, start, end, message):
    with pytest.raises(ex.InputException, match=message):
        kite.historical_data(256265, start, end, interval)


def test_continuous_needs_the_day_interval_and_tokens_must_exist(kite):
    with pytest.raises(ex.InputException):
        kite.historical_data(256265, "2026-11-19 09:15:00", "2026-11-19 10:00:00", "minute", continuous=True)
    assert kite.historical_data(256265, "2026-11-10", "2026-11-19", "day", continuous=True)
    with pytest.raises(ex.InputException, match="token"):
        kite.historical_data(999999999, "2026-11-19", "2026-11-19", "day")
