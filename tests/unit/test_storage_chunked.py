"""The embedded store's daily chunks: sealing keeps every value and type, downsampled series, latest_before,
series_tags, reading an old-layout store, and an in-place migration that survives being killed mid-way."""

import math
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from op_trading.storage.chunks import column, decode, encode
from op_trading.storage.embedded import EmbeddedStore
from op_trading.storage.legacy import LegacyStore
from op_trading.storage.point import IST, Point

ROOT = Path(__file__).resolve().parents[2]
DAY0 = datetime(2026, 3, 2, 9, 15, tzinfo=IST)


def _points(days: int = 3, cycles: int = 40, seed: int = 7) -> list[Point]:
    rng = random.Random(seed)
    points = []
    for day in range(days):
        for cycle in range(cycles):
            moment = DAY0 + timedelta(days=day, seconds=30 * cycle)
            for strike in ("100", "105"):
                fields = {"price": round(rng.uniform(1, 200) / 0.05) * 0.05, "iv": rng.random(),
                          "oi": rng.randint(0, 10 ** 7), "flag": rng.random() < 0.5, "note": f"n{cycle}"}
                if cycle % 7 == 3:
                    del fields["iv"]  # a missing value stays missing
                points.append(Point("m", {"strike": strike, "side": "CE"}, fields, moment))
    return points


def test_codec_round_trips_every_value_and_type_exactly():
    values = [1.1, None, 2.05, float(2 ** 60), -0.3333333333333333, 1e-12]
    differences = [123.45 - 120.1, 99.95 - 100.0, None, 0.05 - 0.1, 3.0, 2.5 - 0.05]  # not exact decimals
    times = np.array([0, 30, 60, 90, 120, 150], np.int64) * 10 ** 9
    columns = {"f": column(values), "d": column(differences), "i": column([1, 2, None, 2 ** 62, -5, 0]),
               "s": column(["a", None, "b", "c", "", "d"]), "b": column([True, False, None, True, True, False])}
    times_back, back = decode(encode(times, columns))
    assert times_back.tolist() == times.tolist()
    for name, (expected, present) in columns.items():
        got, got_present = back[name]
        assert got_present.tolist() == present.tolist()
        assert [value for value, ok in zip(got.tolist(), present) if ok] == \
               [value for value, ok in zip(expected.tolist(), present) if ok]
        assert {type(value) for value, ok in zip(got.tolist(), present) if ok} == \
               {type(value) for value, ok in zip(expected.tolist(), present) if ok}


def test_sealed_chunks_answer_exactly_like_the_buffer(tmp_path):
    store = EmbeddedStore(tmp_path)
    points = _points()
    for start in range(0, len(points), 80):  # one cycle per write, as the collector does
        assert store.write(points[start:start + 80]).ok
    buffered = store.query("m")
    assert store.compact(all_days=True) > 0 and store.stats()["buffered"] == 0
    assert store.query("m") == buffered and store.count("m") == len(points)
    assert buffered[0]["flag"] in (True, False) and type(buffered[0]["oi"]) is int
    # a rewrite of a sealed point updates its fields and keeps the others; count does not grow
    first = points[0]
    store.write([Point("m", first.tags, {"price": 999.0}, first.time)])
    [row] = store.query("m", start=first.time, end=first.time + timedelta(seconds=1), tags={"strike": "100"})
    assert row["price"] == 999.0 and row["oi"] == first.fields["oi"] and store.count("m") == len(points)
    store.compact(all_days=True)
    assert store.query("m", start=first.time, end=first.time + timedelta(seconds=1),
                       tags={"strike": "100"})[0]["price"] == 999.0


def test_writes_seal_past_days_by_themselves(tmp_path):
    store = EmbeddedStore(tmp_path)
    for point in _points(days=2, cycles=5):
        store.write([point])
    stats = store.stats()
    assert stats["chunks"] == 2 and stats["buffered"] == 10  # day 1 sealed (2 series), day 2 still open


def test_sealing_runs_at_most_once_a_second_however_many_writes_come(tmp_path, monkeypatch):
    """Every analyzer writes separately (~20 writes a cycle): a sealing budget per write would add up."""
    from op_trading.storage import embedded

    class Clock:  # 15 ms per reading: each pass seals one (series, day) within its 20 ms budget
        now = 1000.0

        def monotonic(self):
            self.now += 0.015
            return self.now

    fake = Clock()
    monkeypatch.setattr(embedded, "clock", fake)
    store = EmbeddedStore(tmp_path)
    day1, day2 = _points(days=2, cycles=3)[:6], _points(days=2, cycles=3)[6:]
    store.write(day1)
    for point in day2 * 5:  # ten quick writes on the next day
        store.write([point])
    assert store.stats()["chunks"] == 1  # one pass: the first write of the new day
    fake.now += 1.0
    store.write([day2[0]])
    assert store.stats()["chunks"] == 2  # a second later, the next pass


def test_series_downsampling_latest_before_and_tag_values(tmp_path):
    store = EmbeddedStore(tmp_path)
    points = _points(days=2, cycles=40)
    store.write(points)
    store.compact()
    [data] = store.series("m", ["price", "iv"], tags={"strike": "105"}, every=600, how="mean")
    raw = [p for p in points if p.tags["strike"] == "105"]
    first_bucket = [p.fields["price"] for p in raw if p.time < DAY0 + timedelta(minutes=15)]
    assert data.datetimes()[0] == DAY0.replace(minute=10)  # buckets aligned to the IST clock
    assert math.isclose(data.values["price"][0], sum(first_bucket[:10]) / 10)
    assert len(data.times) == 6  # 09:10, 09:20, 09:30 on each day
    [last] = store.series("m", "price", tags={"strike": "105"}, every=timedelta(minutes=10), how="last")
    assert last.values["price"][0] == first_bucket[9]
    cut = DAY0 + timedelta(days=1, seconds=45)
    row = store.latest_before("m", {"strike": "100"}, cut)
    assert row["time"] == DAY0 + timedelta(days=1, seconds=30)
    assert store.latest_before("m", {"strike": "100"}, DAY0 - timedelta(seconds=1)) is None
    assert store.latest("m")["time"] == points[-1].time
    assert store.series_tags("m", "strike") == ["100", "105"] and store.series_tags("nope", "x") == []


def _legacy_store(path: Path, series: int, per_series: int) -> list[Point]:
    old = LegacyStore(path)
    points = []
    for number in range(series):
        for cycle in range(per_series):
            points.append(Point("leg", {"n": str(number)}, {"p": 100.0 + cycle * 0.05, "oi": cycle * 75},
                                DAY0 + timedelta(days=cycle // 20, seconds=30 * cycle)))
    old.write(points)
    old.close()
    return points


def test_an_old_store_is_readable_then_migrated_in_place_even_when_killed(tmp_path):
    points = _legacy_store(tmp_path, series=60, per_series=60)
    store = EmbeddedStore(tmp_path)
    original = store.query("leg")
    assert len(original) == len(points) and store.count("leg") == len(points)
    store.write([Point("leg", {"n": "0"}, {"p": 1.0}, points[0].time)])  # new data wins over the old row
    store.close()
    code = ("import sys, time; from op_trading.storage.embedded import EmbeddedStore\n"
            "from op_trading.storage.migrate import migrate\n"
            "def progress(done, total, moved):\n"
            "    print(done, flush=True); time.sleep(0.05)\n"
            "migrate(EmbeddedStore(sys.argv[1]), progress)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for _ in range(5):
        child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    halfway = EmbeddedStore(tmp_path)
    done = halfway._conn.execute("SELECT count(*) FROM legacy_done").fetchone()[0]
    assert 5 <= done < 60  # killed mid-way: some series moved, the rest still in the old tables
    assert halfway.count("leg") == len(points)
    halfway.close()
    command = [sys.executable, "-c", "from op_trading.cli import main; main()", "migrate-store",
               "--set", f"DATA_DIR={tmp_path}"]
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "migrating:" in again.stdout and "done by an earlier run" in again.stdout + again.stderr
    final = EmbeddedStore(tmp_path)
    expected = [dict(row, p=1.0) if row["n"] == "0" and row["time"] == points[0].time else row for row in original]
    assert final.count("leg") == len(points) and final.query("leg") == expected
    tables = {name for (name,) in final._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"field_columns", "m1", "legacy_done"} & tables


def test_retention_thins_old_raw_legs_and_keeps_everything_else(tmp_path):
    from op_trading.config.settings import load_settings
    from op_trading.storage.retention import apply_retention, retention

    store = EmbeddedStore(tmp_path)
    points = []
    for day in range(6):
        for cycle in range(60):  # 30 minutes of cycles a day
            moment = DAY0 + timedelta(days=day, seconds=30 * cycle)
            points.append(Point("atm_option_quote", {"index": "NIFTY"}, {"last_price": 100.0 + cycle}, moment))
            points.append(Point("index_overview", {"index": "NIFTY 50"}, {"last_price": 2.0 * cycle}, moment))
    store.write(points)
    now = DAY0 + timedelta(days=5, hours=5)
    assert retention(load_settings("production", {"DATA_DIR": str(tmp_path)}), now).chunks == 0  # default: forever
    result = apply_retention(store, keep_days=2, every_minutes=15, now=now)
    assert result.chunks == 3 and (result.points_before, result.points_after) == (180, 3 * 2)
    legs = store.query("atm_option_quote")
    old = [row for row in legs if row["time"] < DAY0 + timedelta(days=3)]
    assert [row["time"].strftime("%H:%M:%S") for row in old[:2]] == ["09:29:30", "09:44:30"]
    assert [row["last_price"] for row in old[:2]] == [129.0, 159.0]  # the last point of each 15 minutes, exact
    assert len(legs) - len(old) == 3 * 60 and store.count("index_overview") == 6 * 60
    assert apply_retention(store, keep_days=2, every_minutes=15, now=now).chunks == 0  # done once
    assert apply_retention(store, keep_days=4, every_minutes=0, now=now).chunks == 1  # day 0 (already thinned) deleted
    assert len(store.query("atm_option_quote")) == len(legs) - 2


def test_retention_runs_in_its_own_thread_from_the_settings(tmp_path):
    from op_trading.config.settings import load_settings
    from op_trading.storage.retention import start_background

    store = EmbeddedStore(tmp_path)
    old = DAY0 - timedelta(days=40)
    legs = [Point("atm_option_quote", {"index": "NIFTY"}, {"last_price": float(n)}, old + timedelta(seconds=30 * n))
            for n in range(10)]
    store.write(legs + [Point("atm_option_quote", {"index": "NIFTY"}, {"last_price": 1.0}, DAY0)])
    settings = load_settings("production", {"DATA_DIR": str(tmp_path), "EMBEDDED_RAW_RETENTION_DAYS": "5",
                                            "EMBEDDED_RAW_DOWNSAMPLE_MINUTES": "0"})
    thread = start_background(settings, DAY0)
    thread.join(timeout=60)
    assert not thread.is_alive() and thread.name == "op-retention"
    assert [row["time"] for row in store.query("atm_option_quote")] == [DAY0]  # the old day deleted, today kept
