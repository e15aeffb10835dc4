"""Leg and overview records: original keys in original order, fixed signs, None instead of made-up numbers."""

from datetime import date, datetime, timedelta, timezone

import pytest

from op_trading.collectors.records import (LEG_KEYS, OVERVIEW_KEYS, LegContext, bucket_summary, cycle_timestamp,
                                           floor_half_minute, leg_record, offset_label, overview_record)
from op_trading.market.calendar import IST
from op_trading.market.indices import FINNIFTY, INDIA_VIX, NIFTY

ORIGINAL_LEG_KEYS = ["timestamp", "index", "bucket", "side", "expiry", "atm_strike", "strike", "strike_offset",
                     "last_price", "days_to_expiry", "average_price", "volume", "oi", "oi_open", "oi_change",
                     "ohlc.open", "ohlc.high", "ohlc.low", "ohlc.close", "net_change", "net_change_percent",
                     "day_change", "day_change_percent", "iv"]

QUOTE = {"last_price": 120.0, "average_price": 118.5, "volume": 125000, "oi": 2400000.0,
         "ohlc": {"open": 100.0, "high": 130.0, "low": 95.0, "close": 150.0},
         "depth": {"buy": [{"price": 119.9, "quantity": 75, "orders": 2}], "sell": [{"price": 120.2}]}}


def context(**changes):
    values = dict(timestamp="2025-10-14T11:00:30+05:30", index=NIFTY, bucket="this_week", side="CE",
                  expiry=date(2025, 10, 14), atm_strike=25200, strike=25250.0, offset=1, days_to_expiry=0,
                  tradingsymbol="NIFTY25O1425250CE", instrument_token=12345602, source="mock")
    values.update(changes)
    return LegContext(**values)


def test_leg_keys_are_the_originals_in_order_then_the_new_ones():
    record = leg_record(context(), QUOTE, oi_open=2500000, iv=0.1312)
    assert list(record)[:24] == ORIGINAL_LEG_KEYS
    assert list(record) == list(LEG_KEYS)
    assert list(record)[24:] == ["source", "tradingsymbol", "instrument_token", "bid", "ask"]


def test_leg_values_and_types():
    record = leg_record(context(), QUOTE, oi_open=2500000, iv=0.1312)
    assert record["index"] == "NIFTY" and record["side"] == "CALL" and record["expiry"] == "2025-10-14"
    assert record["strike_offset"] == "atm_p1" and record["strike"] == 25250.0 and record["atm_strike"] == 25200
    assert isinstance(record["oi"], int) and record["oi"] == 2400000 and isinstance(record["volume"], int)
    assert record["oi_change"] == -100000  # FIXED sign: current - open (OI fell)
    assert record["net_change"] == -30.0 and record["net_change_percent"] == pytest.approx(-20.0)
    assert record["day_change"] == 20.0 and record["day_change_percent"] == pytest.approx(20.0)
    assert (record["bid"], record["ask"], record["iv"], record["source"]) == (119.9, 120.2, 0.1312, "mock")


def test_new_indices_use_their_kite_label_and_puts_are_put():
    record = leg_record(context(index=FINNIFTY, side="PE"), QUOTE, None, None)
    assert record["index"] == "NIFTY FIN SERVICE" and record["side"] == "PUT"


def test_missing_inputs_and_zero_divisors_give_none():
    quote = {"last_price": 10.0, "oi": None, "ohlc": {"open": 0, "close": None},
             "depth": {"buy": [{"price": 0}], "sell": []}}
    record = leg_record(context(), quote, oi_open=None, iv=float("nan"))
    assert record["oi"] is None and record["oi_change"] is None and record["oi_open"] is None
    assert record["net_change"] is None and record["net_change_percent"] is None
    assert record["day_change"] == 10.0 and record["day_change_percent"] is None  # open 0: no percentage
    assert record["iv"] is None and record["bid"] is None and record["ask"] is None
    assert leg_record(context(), {}, None, None)["last_price"] is None


@pytest.mark.parametrize("offset,label", [(0, "atm"), (-1, "atm_m1"), (-2, "atm_m2"), (2, "atm_p2"),
                                          (3, "atm_p3"), (-5, "atm_m5")])
def test_offset_labels_are_not_clamped(offset, label):
    assert offset_label(offset) == label


def test_timestamp_is_floored_to_half_minutes_in_ist():
    assert cycle_timestamp(datetime(2025, 10, 14, 11, 0, 29, 999999, tzinfo=IST)) == "2025-10-14T11:00:00+05:30"
    assert cycle_timestamp(datetime(2025, 10, 14, 11, 0, 30, tzinfo=IST)) == "2025-10-14T11:00:30+05:30"
    utc = datetime(2025, 10, 14, 5, 30, 59, tzinfo=timezone.utc)
    assert floor_half_minute(utc).isoformat() == "2025-10-14T11:00:30+05:30"
    assert floor_half_minute(utc).utcoffset() == timedelta(hours=5, minutes=30)


def leg(side, price, oi, iv):
    return {"side": side, "last_price": price, "oi": oi, "iv": iv}


def test_bucket_summary_fixed_iv_change_sign_and_pcr():
    summary = bucket_summary("this_week", leg("CALL", 100.0, 200, 0.12), leg("PUT", 90.0, 300, 0.14), 0.15, 0)
    assert summary.tp == 190.0 and summary.pcr == 1.5
    assert summary.atm_iv == pytest.approx(0.13)
    assert summary.iv_day_change == pytest.approx(-0.02)  # FIXED sign: current - open


def test_bucket_summary_is_none_where_inputs_are_missing():
    summary = bucket_summary("this_month", leg("CALL", None, 0, 0.12), leg("PUT", 90.0, 300, None), None, 14)
    assert summary.tp is None  # the original reported 0 here
    assert summary.pcr is None and summary.atm_iv is None and summary.iv_day_change is None
    assert bucket_summary("next_month", None, None, None, 42).oi_call is None


def test_overview_keys_in_original_order_with_buckets_then_index_and_source():
    spot = {"last_price": 25212.0, "ohlc": {"open": 25000.0, "high": 25300.0, "low": 24900.0, "close": 25100.0}}
    buckets = [bucket_summary(name, leg("CALL", 100.0, 200, 0.12), leg("PUT", 90.0, 300, 0.14), 0.13, 3)
               for name in ("this_week", "this_month")]
    record = overview_record("2025-10-14T11:00:00+05:30", NIFTY, 25200, spot, buckets, "live")
    assert list(record)[:14] == list(OVERVIEW_KEYS)
    assert list(record)[14:22] == ["THIS_WEEK_TP", "THIS_WEEK_OI_CALL", "THIS_WEEK_OI_PUT", "pcr_this_week",
                                   "this_week_iv_open", "this_week_iv_day_change", "this_week_atm_iv",
                                   "this_week_days_to_expiry"]
    assert list(record)[-2:] == ["index", "source"] and "NEXT_WEEK_TP" not in record
    assert record["symbol"] == "NIFTY 50" and record["index"] == "NIFTY"
    assert record["day_width"] == 400.0 and record["day_width_percent"] == pytest.approx(1.6)
    assert record["net_change"] == 112.0 and record["day_change"] == 212.0


def test_vix_overview_has_no_strike_and_no_buckets():
    record = overview_record("t", INDIA_VIX, None, {"last_price": 11.5, "ohlc": {}}, [], "mock")
    assert record["symbol"] == "INDIA VIX" and record["atm_strike"] is None and record["open"] is None
    assert len(record) == len(OVERVIEW_KEYS) + 2
