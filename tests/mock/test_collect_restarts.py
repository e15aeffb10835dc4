"""Restarts continue, they do not replay: several mock runs in a row into the same sinks, then the embedded store and
the CSV files are compared row by row (and each timestamp holds one ATM set)."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta

from op_trading.market import calendar
from op_trading.runtime.collect import mock_start, run_collection, slot_after_stored
from op_trading.storage import open_store
from tests.fixtures_collect import sim_settings

MOCK = {"DATA_SOURCE_MODE": "mock", "SIMULATOR_SPEED": "120", "STORAGE_SINKS": "embedded,csv",
        "CHAIN_SNAPSHOT_SECONDS": "0", "INDICES": "NIFTY"}
LEGS_PER_CYCLE = 2 * 5 * 4  # CALL+PUT x 5 offsets x NIFTY's 4 buckets


def csv_rows(project_home) -> dict[tuple, list[str]]:
    """(timestamp, index, bucket, offset) -> the row, for the plain offset folders (not the atm_pKmK pairs)."""
    rows = {}
    for path in (project_home / "data" / "csv_data").rglob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["group"] == row["expiry_code"]:  # a plain offset (pairs are grouped by their label)
                    key = (row["timestamp"], row["index"], row["expiry_code"], row["strike_offset"])
                    assert key not in rows, f"{key} twice in the CSV files"
                    rows[key] = row
    return rows


def test_restarted_mock_runs_continue_the_clock_and_store_equals_csv(project_home):
    settings = sim_settings(**MOCK)
    seen: list[str] = []
    for cycles in (1, 1, 1):
        outcome = run_collection(settings, cycles=cycles, on_cycle=lambda report: seen.append(report.cycle.timestamp))
        assert outcome.data["cycles"] == cycles and outcome.data["errors"] == 0
    assert seen == sorted(set(seen)) and len(seen) == 3  # every run went on after the last: no time twice
    assert any(check.name == "Simulated clock" and "after the stored mock data" in check.detail
               for check in outcome.checks)

    store = open_store(settings)
    try:
        legs = store.query("atm_option_quote")
    finally:
        store.close()
    assert len(legs) == 3 * LEGS_PER_CYCLE
    atm_sets = defaultdict(set)
    by_key = {}
    for leg in legs:
        stamp = leg["time"].isoformat()
        atm_sets[(stamp, leg["index"], leg["bucket"])].add(leg["atm_strike_val"])
        by_key[(stamp, leg["index"], leg["bucket"], leg["strike_offset"], leg["option_type"])] = leg
    assert all(len(strikes) == 1 for strikes in atm_sets.values())  # one ATM set per index/bucket/timestamp

    rows = csv_rows(project_home)
    assert {key[0] for key in rows} == set(seen) == {key[0] for key in by_key}
    assert len(rows) * 2 == len(by_key)
    for (stamp, index, bucket, offset), row in rows.items():
        call, put = by_key[(stamp, index, bucket, offset, "CE")], by_key[(stamp, index, bucket, offset, "PE")]
        assert (row["call_last_price"], row["put_last_price"]) == (repr(call["last_price"]), repr(put["last_price"]))
        assert (row["call_oi"], row["put_oi"]) == (str(call["oi"]), str(put["oi"]))


def test_a_restart_inside_a_stored_slot_waits_for_the_next_boundary():
    stored = datetime(2026, 11, 20, 10, 15, tzinfo=calendar.IST)
    assert slot_after_stored(stored, stored + timedelta(seconds=12), 30) == stored + timedelta(seconds=30)
    assert slot_after_stored(stored, stored + timedelta(seconds=30), 30) is None  # the next slot is new
    assert slot_after_stored(stored, stored - timedelta(hours=3), 30) is None  # a clock behind never stalls
    assert slot_after_stored(None, stored, 30) is None


def test_the_simulator_continues_after_stored_data_and_starts_a_new_session_after_the_close():
    day = calendar.next_trading_day(calendar.latest_session_day(calendar.now_ist()))
    morning = calendar.market_open_at(day) + timedelta(minutes=40)
    assert mock_start(morning, 30) == morning + timedelta(seconds=30)
    last_slot = calendar.market_close_at(day) - timedelta(seconds=30)
    assert mock_start(last_slot, 30) == calendar.market_open_at(calendar.next_trading_day(day))
    assert mock_start(None, 30) is None
    assert mock_start(morning - timedelta(days=30), 30) is None  # older than the simulator's own start


def test_a_stored_slot_just_before_now_is_continued():
    """In market hours the simulator would start at "now"; the newest stored slot (floored to 30 s) of a run that
    ended a moment ago is a little earlier and must be continued, not replaced by a fresh start."""
    from op_trading.sandbox.clock import default_start

    start = default_start()
    stored = max(start - timedelta(seconds=20), calendar.market_open_at(start.date()))
    assert mock_start(stored, 30) is not None and mock_start(stored, 30) > stored
