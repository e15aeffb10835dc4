"""Daily split CSVs and JSON snapshots in the original layout; append-safe, no duplicate rows on replay."""

import csv
import json
from datetime import datetime, timedelta, timezone

from op_trading.storage.files import CSV_SPLIT_HEADER, CsvSplitSink, JsonSnapshotSink
from op_trading.storage.point import IST, Point
from op_trading.storage.schema import leg_point, points_from_records
from tests.fixtures_storage import cycle_records, leg_record, overview_record

MOMENT = datetime(2025, 8, 26, 10, 15, 30, tzinfo=IST)
HEADER_LINE = ("timestamp,index,expiry_code,strike_offset,call_strike,put_strike,call_last_price,put_last_price,"
               "call_iv,put_iv,call_volume,put_volume,call_oi,put_oi,tp_sum,group")


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_header_is_exactly_the_original():
    assert ",".join(CSV_SPLIT_HEADER) == HEADER_LINE


def test_call_and_put_merge_into_one_row_per_offset(tmp_path):
    sink = CsvSplitSink(tmp_path)
    points, _ = points_from_records(cycle_records(MOMENT, buckets=("this_week",)))
    result = sink.write(points)
    assert result.written == 10 and result.skipped == 1 and result.ok  # the overview point is not a leg
    folder = tmp_path / "NIFTY" / "this_week"
    assert sorted(path.name for path in folder.iterdir()) == ["atm", "atm_m1", "atm_m2", "atm_p1", "atm_p1m1",
                                                               "atm_p2", "atm_p2m2"]
    path = folder / "atm_p1" / "2025-08-26.csv"
    assert path.read_text().splitlines()[0] == HEADER_LINE
    [row] = rows(path)
    assert row["timestamp"] == "2025-08-26T10:15:30+05:30" and row["index"] == "NIFTY"
    assert row["expiry_code"] == "this_week" and row["strike_offset"] == "atm_p1" and row["group"] == "this_week"
    assert row["call_strike"] == row["put_strike"] == "24050.0"
    assert float(row["tp_sum"]) == float(row["call_last_price"]) + float(row["put_last_price"])
    assert row["call_volume"].isdigit() and row["call_oi"].isdigit() and row["call_iv"] == "0.1523"


def test_asymmetric_pairs_take_plus_k_call_and_minus_k_put(tmp_path):
    sink = CsvSplitSink(tmp_path)
    legs = [leg_point(leg_record(MOMENT, side=side, steps=steps)) for steps in (-3, -1, 1, 3)
            for side in ("CALL", "PUT")]
    sink.write(legs)
    by_label = {leg.tags["strike_offset"] + leg.tags["option_type"]: leg for leg in legs}
    for label, call, put in (("atm_p1m1", "atm_p1CE", "atm_m1PE"), ("atm_p3m3", "atm_p3CE", "atm_m3PE")):
        [row] = rows(tmp_path / "NIFTY" / "this_week" / label / "2025-08-26.csv")
        assert row["group"] == label and row["strike_offset"] == label
        assert float(row["call_strike"]) == by_label[call].fields["leg_strike"]
        assert float(row["put_strike"]) == by_label[put].fields["leg_strike"]


def test_a_missing_side_leaves_blanks_and_counts_as_zero_in_tp_sum(tmp_path):
    CsvSplitSink(tmp_path).write([leg_point({**leg_record(MOMENT, side="CALL"), "last_price": 80.5})])
    [row] = rows(tmp_path / "NIFTY" / "this_week" / "atm" / "2025-08-26.csv")
    assert row["put_last_price"] == "" and row["put_strike"] == "" and row["tp_sum"] == "80.5"


def test_file_date_is_the_ist_date_even_for_utc_times(tmp_path):
    late = datetime(2025, 8, 26, 19, 0, tzinfo=timezone.utc)  # 00:30 IST on the 27th
    record = {**leg_record(MOMENT), "timestamp": late.isoformat()}
    CsvSplitSink(tmp_path).write([leg_point(record)])
    [row] = rows(tmp_path / "NIFTY" / "this_week" / "atm" / "2025-08-27.csv")
    assert row["timestamp"] == "2025-08-27T00:30:00+05:30"


def test_replays_and_restarts_never_duplicate_rows_or_headers(tmp_path):
    points, _ = points_from_records(cycle_records(MOMENT, buckets=("this_week",)))
    later, _ = points_from_records(cycle_records(MOMENT + timedelta(seconds=30), buckets=("this_week",)))
    CsvSplitSink(tmp_path).write(points)
    CsvSplitSink(tmp_path).write(points + later)  # a new process replaying the old cycle with the new one
    sink = CsvSplitSink(tmp_path)
    sink.write(later)
    path = tmp_path / "NIFTY" / "this_week" / "atm" / "2025-08-26.csv"
    lines = path.read_text().splitlines()
    assert lines.count(HEADER_LINE) == 1 and len(lines) == 3
    assert [row["timestamp"] for row in rows(path)] == ["2025-08-26T10:15:30+05:30", "2025-08-26T10:16:00+05:30"]


def test_a_late_row_is_added_once_even_when_newer_rows_exist(tmp_path):
    sink = CsvSplitSink(tmp_path)
    newer = [leg_point(leg_record(MOMENT + timedelta(seconds=60), side=side)) for side in ("CALL", "PUT")]
    late = [leg_point(leg_record(MOMENT, side=side)) for side in ("CALL", "PUT")]
    sink.write(newer)
    sink.write(late)
    sink.write(late + newer)
    stamps = [row["timestamp"] for row in rows(tmp_path / "NIFTY" / "this_week" / "atm" / "2025-08-26.csv")]
    assert stamps == ["2025-08-26T10:16:30+05:30", "2025-08-26T10:15:30+05:30"]


def test_a_torn_last_line_is_cut_back_before_appending(tmp_path):
    points, _ = points_from_records(cycle_records(MOMENT, buckets=("this_week",)))
    CsvSplitSink(tmp_path).write(points)
    path = tmp_path / "NIFTY" / "this_week" / "atm" / "2025-08-26.csv"
    with open(path, "a") as handle:
        handle.write("2025-08-26T10:16:00+05:30,NIFTY,this_w")  # a crash in the middle of a row
    later, _ = points_from_records(cycle_records(MOMENT + timedelta(seconds=30), buckets=("this_week",)))
    CsvSplitSink(tmp_path).write(later)
    table = rows(path)
    assert len(table) == 2 and all(len(row) == len(CSV_SPLIT_HEADER) and None not in row for row in table)
    assert table[1]["expiry_code"] == "this_week" and table[1]["group"] == "this_week"


def test_newest_time_is_the_latest_row_over_all_files_and_days(tmp_path):
    sink = CsvSplitSink(tmp_path)
    assert sink.newest_time() is None
    for moment in (MOMENT, MOMENT + timedelta(days=1), MOMENT + timedelta(days=1, seconds=30)):
        sink.write(points_from_records(cycle_records(moment, buckets=("this_week",)))[0])
    assert CsvSplitSink(tmp_path).newest_time() == MOMENT + timedelta(days=1, seconds=30)


def test_an_unwritable_folder_is_reported_as_failed(tmp_path):
    (tmp_path / "NIFTY").write_text("a file where a folder should be")
    result = CsvSplitSink(tmp_path).write([leg_point(leg_record(MOMENT))])
    assert result.failed == 1 and result.written == 0 and "NIFTY" in result.reason


def test_json_snapshots_use_the_original_names_and_hold_all_offsets(tmp_path):
    sink = JsonSnapshotSink(tmp_path)
    records = cycle_records(MOMENT, buckets=("this_week",))
    points, _ = points_from_records(records)
    other = Point("pipeline_tick", {}, {"loop_ms": 1.0}, MOMENT)
    result = sink.write(points + [other])
    assert result.written == len(points) and result.skipped == 1
    overview = json.loads((tmp_path / "overview" / "NIFTY_50_20250826_101530.json").read_text())
    assert overview["symbol"] == "NIFTY 50" and overview["THIS_WEEK_OI_CALL"] == 250000.0
    calls = json.loads((tmp_path / "options" / "this_week" /
                        "NIFTY_CALL_this_week_2026-11-24_20250826_101530.json").read_text())
    assert sorted(leg["strike_offset"] for leg in calls) == ["atm", "atm_m1", "atm_m2", "atm_p1", "atm_p2"]
    assert calls[0]["timestamp"] == "2025-08-26T10:15:30+05:30" and calls[0]["side"] == "CALL"
    sink.write(points)  # a replay rewrites the same files atomically
    assert len(list((tmp_path / "options" / "this_week").iterdir())) == 2
    assert not list(tmp_path.rglob("*.tmp"))


def test_json_snapshots_write_null_for_unknown_values_instead_of_dropping_the_key(tmp_path):
    overview = overview_record(MOMENT, buckets=("this_week", "next_month"))
    overview.update({"day_width": None, "THIS_WEEK_TP": None, "pcr_this_week": None, "this_week_atm_iv": float("nan")})
    leg = leg_record(MOMENT)
    leg.update({"iv": None, "oi_change": None})
    points, problems = points_from_records([overview, leg])
    assert not problems
    JsonSnapshotSink(tmp_path).write(points)
    written = json.loads((tmp_path / "overview" / "NIFTY_50_20250826_101530.json").read_text())
    assert written["day_width"] is None and written["THIS_WEEK_TP"] is None and written["pcr_this_week"] is None
    assert written["this_week_atm_iv"] is None and written["NEXT_MONTH_TP"] == 241.5
    assert {"atm_strike", "day_width_percent", "THIS_WEEK_OI_PUT", "this_week_iv_day_change",
            "this_week_days_to_expiry", "pcr_next_month"} <= set(written)
    assert "NEXT_WEEK_TP" not in written  # a bucket the index does not have stays absent, as in the original
    [call] = json.loads(next((tmp_path / "options").rglob("*.json")).read_text())
    assert call["iv"] is None and call["oi_change"] is None and call["last_price"] is not None


def test_overview_snapshot_name_from_symbol(tmp_path):
    JsonSnapshotSink(tmp_path).write(points_from_records([overview_record(MOMENT, "BANKNIFTY", "NIFTY BANK")])[0])
    assert (tmp_path / "overview" / "NIFTY_BANK_20250826_101530.json").exists()
