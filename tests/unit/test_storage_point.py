"""Line protocol as InfluxDB defines it: escaping, value types, ns timestamps, values it cannot hold."""

from datetime import datetime, timedelta, timezone

import pytest

from op_trading.storage.point import IST, Point, PointError, ns_to_time, time_to_ns

MOMENT = datetime(2025, 8, 26, 10, 15, 30, tzinfo=IST)
MOMENT_NS = 1756183530 * 10**9  # 2025-08-26T04:45:30Z


def test_line_has_sorted_tags_typed_fields_and_ns_time():
    point = Point("atm_option_quote", {"strike": "24800", "index": "NIFTY"},
                  {"last_price": 101.5, "volume": 1200, "ok": True, "note": "x"}, MOMENT)
    assert point.to_line_protocol() == (
        'atm_option_quote,index=NIFTY,strike=24800 last_price=101.5,volume=1200i,ok=true,note="x" '
        f"{MOMENT_NS}")


def test_whole_floats_keep_a_decimal_point_so_they_stay_floats():
    line = Point("index_overview", {"index": "NIFTY 50"}, {"THIS_WEEK_OI_CALL": 250000.0}, MOMENT).to_line_protocol()
    assert "THIS_WEEK_OI_CALL=250000.0 " in line


def test_escaping_of_measurement_tags_fields_and_strings():
    point = Point("my measure,x", {"tag key": "NIFTY 50", "a=b": "c,d"}, {"f k": 'say "hi" \\'}, MOMENT)
    assert point.to_line_protocol() == (
        r'my\ measure\,x,a\=b=c\,d,tag\ key=NIFTY\ 50 f\ k="say \"hi\" \\" ' + str(MOMENT_NS))


def test_none_nan_and_infinite_values_are_left_out():
    fields = {"a": 1.0, "b": None, "c": float("nan"), "d": float("inf")}
    assert " a=1.0 " in Point("m", {}, fields, MOMENT).to_line_protocol()


def test_point_without_writable_fields_is_refused():
    with pytest.raises(PointError, match="no writable fields"):
        Point("m", {}, {"iv": float("nan")}, MOMENT).to_line_protocol()


def test_empty_tag_values_are_left_out():
    assert Point("m", {"source": "", "index": "NIFTY"}, {"a": 1}, MOMENT).to_line_protocol().startswith(
        "m,index=NIFTY a=1i")


def test_naive_time_is_refused():
    with pytest.raises(PointError, match="no UTC offset"):
        Point("m", {}, {"a": 1}, datetime(2025, 8, 26, 10, 15))


def test_newline_in_a_tag_is_refused():
    with pytest.raises(PointError, match="newline"):
        Point("m", {"a": "x\ny"}, {"a": 1}, MOMENT).to_line_protocol()


def test_numpy_scalars_keep_their_kind():
    numpy = pytest.importorskip("numpy")
    line = Point("m", {}, {"i": numpy.int64(7), "f": numpy.float64(0.5)}, MOMENT).to_line_protocol()
    assert " i=7i,f=0.5 " in line


def test_time_conversion_round_trips_to_the_microsecond():
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=-4)))
    assert ns_to_time(time_to_ns(moment)) == moment
    assert ns_to_time(time_to_ns(moment)).utcoffset() == timedelta(hours=5, minutes=30)
    assert time_to_ns(MOMENT) == MOMENT_NS
