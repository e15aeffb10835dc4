"""The embedded SQLite store: round trip with types, idempotent rewrites, tag/time/field queries, latest."""

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from op_trading.storage.embedded import EmbeddedStore
from op_trading.storage.point import Point
from op_trading.storage.schema import leg_point, overview_point, points_from_records
from tests.fixtures_storage import cycle_records, cycle_time, leg_record, overview_record

ROOT = Path(__file__).resolve().parents[2]


def test_leg_and_overview_round_trip_with_types(tmp_path):
    store = EmbeddedStore(tmp_path)
    moment = cycle_time(0)
    leg = leg_point(leg_record(moment, side="PUT", steps=1))
    overview = overview_point(overview_record(moment))
    assert store.write([leg, overview]).written == 2
    [row] = store.query("atm_option_quote")
    assert row["time"] == moment and row["time"].utcoffset() == timedelta(hours=5, minutes=30)
    assert row["option_type"] == "PE" and row["strike_offset"] == "atm_p1"
    assert {key: row[key] for key in leg.fields} == dict(leg.fields)
    assert type(row["volume"]) is int and type(row["last_price"]) is float
    assert row["leg_strike"] == 24050.0 and row["strike"] == "24000"  # leg strike field; ATM strike tag
    [over] = store.query("index_overview", tags={"index": "NIFTY 50"})
    assert type(over["THIS_WEEK_OI_CALL"]) is float and over["THIS_WEEK_OI_CALL"] == 250000.0
    assert type(over["this_week_days_to_expiry"]) is int


def test_rewriting_the_same_series_and_time_never_duplicates(tmp_path):
    store = EmbeddedStore(tmp_path)
    points, _ = points_from_records(cycle_records(cycle_time(0)))
    store.write(points)
    store.write(points)
    store.write(points[:10])
    assert store.count("atm_option_quote") == len(points) - 1
    assert store.count("index_overview") == 1


def test_a_later_write_updates_fields_and_keeps_the_others(tmp_path):
    store = EmbeddedStore(tmp_path)
    moment = cycle_time(0)
    store.write([Point("m", {"k": "a"}, {"x": 1.0, "y": 2}, moment)])
    store.write([Point("m", {"k": "a"}, {"x": 5.0, "z": "new"}, moment)])
    assert store.query("m") == [{"time": moment, "k": "a", "x": 5.0, "y": 2, "z": "new"}]
    result = store.write([Point("m", {"k": "b"}, {"x": None}, moment), Point("m", {"k": "c"}, {"x": 1.0}, moment)])
    assert (result.written, result.failed) == (1, 1) and "without fields" in result.reason


def test_queries_filter_by_tags_time_range_and_fields(tmp_path):
    store = EmbeddedStore(tmp_path)
    for cycle in range(4):
        store.write(points_from_records(cycle_records(cycle_time(cycle), indices=("NIFTY", "SENSEX")))[0])
    calls = store.query("atm_option_quote", tags={"index": "SENSEX", "option_type": "CE", "bucket": "this_week"})
    assert len(calls) == 4 * 5 and {row["index"] for row in calls} == {"SENSEX"}
    window = store.query("atm_option_quote", start=cycle_time(1), end=cycle_time(3), tags={"index": "NIFTY"})
    assert {row["time"] for row in window} == {cycle_time(1), cycle_time(2)}  # end is exclusive
    assert [row["time"] for row in window] == sorted(row["time"] for row in window)
    slim = store.query("atm_option_quote", tags={"strike_offset": "atm"}, fields=["iv", "unknown"])
    tag_keys = {"index", "option_type", "expiration", "strike", "bucket", "strike_offset", "source"}
    assert len(slim) == 4 * 2 * 4 * 2 and all(set(row) == {"time", "iv", *tag_keys} for row in slim)
    assert all(row["iv"] == 0.1523 for row in slim)
    assert store.query("nothing") == [] and store.query("atm_option_quote", tags={"index": "NOPE"}) == []


def test_latest_returns_the_newest_matching_row(tmp_path):
    store = EmbeddedStore(tmp_path)
    for cycle in (2, 0, 1):  # arrival order must not matter
        store.write([overview_point({**overview_record(cycle_time(cycle)), "last_price": 100.0 + cycle})])
    latest = store.latest("index_overview", {"index": "NIFTY 50"})
    assert latest["time"] == cycle_time(2) and latest["last_price"] == 102.0
    assert store.latest("index_overview", {"index": "SENSEX"}) is None


def test_data_survives_reopening_and_is_readable_by_another_process(tmp_path):
    store = EmbeddedStore(tmp_path)
    store.write(points_from_records(cycle_records(cycle_time(0)))[0])
    store.close()
    again = EmbeddedStore(tmp_path)
    assert again.count("atm_option_quote") == 40
    again.write(points_from_records(cycle_records(cycle_time(1)))[0])  # caches rebuilt from the file
    assert again.count("atm_option_quote") == 80
    code = ("import sys; from op_trading.storage.embedded import EmbeddedStore; "
            "print(len(EmbeddedStore(sys.argv[1]).query('atm_option_quote', tags={'option_type': 'CE'})))")
    output = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "40"


def test_store_lives_under_data_dir_store_and_uses_wal(tmp_path):
    store = EmbeddedStore(tmp_path / "data")
    assert store.path.parent == tmp_path / "data" / "store"
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_write_is_reported_and_rolled_back(tmp_path):
    store = EmbeddedStore(tmp_path)
    moment = cycle_time(0)
    store.write([Point("m", {"k": "a"}, {"x": 1.0}, moment)])
    blocker = sqlite3.connect(store.path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock: a real SQLite failure
    store._conn.execute("PRAGMA busy_timeout = 100")
    result = store.write([Point("m", {"k": "b"}, {"x": 2.0}, moment)])
    assert result.failed == 1 and result.written == 0 and "locked" in result.reason
    blocker.rollback()
    blocker.close()
    assert store.write([Point("m", {"k": "b"}, {"x": 2.0}, moment)]).written == 1
    assert [row["k"] for row in store.query("m")] == ["a", "b"]


def test_two_writers_on_one_file_add_series_and_fields_without_clashing(tmp_path):
    first, second = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)
    moment = cycle_time(0)
    for number in range(5):  # each writer keeps adding fields and series the other has not seen
        assert first.write([Point("m", {"w": "1", "n": str(number)}, {f"a{number}": 1.0}, moment)]).ok
        assert second.write([Point("m", {"w": "2", "n": str(number)}, {f"b{number}": 2}, moment)]).ok
        assert second.write([Point("m", {"w": "1", "n": str(number)}, {f"a{number}": 3.0}, moment)]).ok
    rows = first.query("m", tags={"w": "1"})
    assert len(rows) == 5 and {row["n"]: row[f"a{row['n']}"] for row in rows} == {str(n): 3.0 for n in range(5)}
    assert len(second.query("m", tags={"w": "2"})) == 5 and first.count("m") == 10


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    code = ("import sys; from op_trading.storage.embedded import EmbeddedStore; from op_trading.storage.point "
            "import Point; from tests.fixtures_storage import cycle_time\n"
            "store, who = EmbeddedStore(sys.argv[1]), sys.argv[2]\n"
            "for n in range(40):\n"
            "    r = store.write([Point('m', {'who': who, 'n': str(n % 7)}, {who + str(n % 5): float(n)},"
            " cycle_time(n))])\n"
            "    assert r.ok, r\n")
    workers = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), who], cwd=ROOT) for who in "xyz"]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0]
    assert EmbeddedStore(tmp_path).count("m") == 3 * 40
