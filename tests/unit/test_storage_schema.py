"""Records -> points with the original measurement names, tags and exact field types (upstream §D.6)."""

from datetime import datetime

import pytest

from op_trading.storage.point import IST
from op_trading.storage.schema import (SchemaError, leg_point, leg_record, overview_point,
                                       points_from_records)
from tests.fixtures_storage import leg_record as make_leg, overview_record

MOMENT = datetime(2025, 8, 26, 10, 15, 30, tzinfo=IST)
FLOATS = ("last_price", "average_price", "ohlc_open", "ohlc_high", "ohlc_low", "ohlc_close", "net_change",
          "net_change_percent", "day_change", "day_change_percent", "iv", "leg_strike", "bid", "ask")
INTS = ("volume", "oi", "oi_open", "oi_change", "days_to_expiry", "atm_strike_val")


def test_leg_tags_keep_the_original_ones_and_add_offset_and_source():
    point = leg_point(make_leg(MOMENT, "NIFTY", "this_week", "PUT", steps=-2, atm=24800))
    assert point.measurement == "atm_option_quote"
    assert point.tags == {"index": "NIFTY", "option_type": "PE", "expiration": "2026-11-24", "strike": "24800",
                          "bucket": "this_week", "strike_offset": "atm_m2", "source": "mock"}
    assert point.time == MOMENT


def test_leg_fields_have_the_original_types():
    record = make_leg(MOMENT)
    record["volume"] = 1200.0  # a float that is a whole number is stored as the int the schema wants
    point = leg_point(record)
    assert {name for name in FLOATS if type(point.fields[name]) is float} == set(FLOATS)
    assert {name for name in INTS if type(point.fields[name]) is int} == set(INTS)
    assert point.fields["atm_strike_val"] == 24000 and point.fields["volume"] == 1200
    assert point.fields["ohlc_open"] == 110.0
    assert "volume=1200i" in point.to_line_protocol() and "strike=24000.0" in point.to_line_protocol()


def test_offsets_are_separate_series_and_not_clamped():
    points = [leg_point(make_leg(MOMENT, steps=steps)) for steps in (-5, -3, -2, 2, 3, 5)]
    assert [point.tags["strike_offset"] for point in points] == ["atm_m5", "atm_m3", "atm_m2", "atm_p2", "atm_p3",
                                                                 "atm_p5"]
    assert len({point.series_key() for point in points}) == 6


def test_missing_and_nan_values_are_dropped_not_zeroed():
    record = make_leg(MOMENT)
    record.update(iv=float("nan"), bid=None, oi_change=None)
    fields = leg_point(record).fields
    assert "iv" not in fields and "bid" not in fields and "oi_change" not in fields


def test_bad_leg_records_name_the_problem():
    with pytest.raises(SchemaError, match="side 'BUY'"):
        leg_point({**make_leg(MOMENT), "side": "BUY"})
    with pytest.raises(SchemaError, match="missing atm_strike"):
        leg_point({**make_leg(MOMENT), "atm_strike": None})
    with pytest.raises(SchemaError, match="no UTC offset"):
        leg_point({**make_leg(MOMENT), "timestamp": "2025-08-26T10:15:30"})
    with pytest.raises(SchemaError, match="whole number"):
        leg_point({**make_leg(MOMENT), "oi": 12.5})
    with pytest.raises(SchemaError, match="not a number"):
        leg_point({**make_leg(MOMENT), "last_price": "abc"})


def test_overview_types_match_the_original():
    point = overview_point(overview_record(MOMENT, buckets=("this_week", "this_month")))
    assert point.measurement == "index_overview"
    assert point.tags == {"index": "NIFTY 50", "source": "mock"}
    fields = point.fields
    assert type(fields["atm_strike"]) is int
    assert type(fields["THIS_WEEK_OI_CALL"]) is float and type(fields["THIS_MONTH_OI_PUT"]) is float
    assert type(fields["pcr_this_week"]) is float and type(fields["this_month_atm_iv"]) is float
    assert type(fields["this_week_days_to_expiry"]) is int
    assert "index" not in fields and "symbol" not in fields and "NEXT_WEEK_TP" not in fields
    assert "THIS_WEEK_OI_CALL=250000.0" in point.to_line_protocol()


def test_points_from_records_splits_kinds_and_reports_bad_ones():
    records = [make_leg(MOMENT), overview_record(MOMENT), {**make_leg(MOMENT), "expiry": None}]
    points, problems = points_from_records(records)
    assert [point.measurement for point in points] == ["atm_option_quote", "index_overview"]
    assert len(problems) == 1 and "missing expiry" in problems[0]


def test_leg_record_restores_the_collector_keys():
    original = make_leg(MOMENT, side="PUT", steps=1)
    restored = leg_record(leg_point(original))
    for key in ("timestamp", "index", "bucket", "side", "expiry", "atm_strike", "strike", "strike_offset",
                "last_price", "volume", "oi", "ohlc.open", "ohlc.close", "iv", "source"):
        assert restored[key] == original[key], key
