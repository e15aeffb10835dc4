"""Day-open baselines: first value wins, persisted per day and source, survive a restart, tolerate a bad file."""

from datetime import date

from op_trading.collectors.baselines import DayBaselines

DAY = date(2025, 10, 14)


def test_first_oi_and_iv_of_the_day_win(tmp_path):
    baselines = DayBaselines(tmp_path, "live")
    baselines.use_day(DAY)
    assert baselines.observe_oi("NFO:X", 100) == 100
    assert baselines.observe_oi("NFO:X", 150) == 100
    assert baselines.observe_oi("NFO:Y", None) is None
    assert baselines.observe_iv("NIFTY", "this_week", float("nan")) is None
    assert baselines.observe_iv("NIFTY", "this_week", 0.13) == 0.13
    assert baselines.observe_iv("NIFTY", "this_week", 0.15) == 0.13


def test_baselines_survive_a_restart_and_reset_on_a_new_day(tmp_path):
    first = DayBaselines(tmp_path, "live")
    first.use_day(DAY)
    first.observe_oi("NFO:X", 100)
    first.observe_iv("NIFTY", "this_week", 0.13)
    first.note_spot("NIFTY", 25212.5)
    assert first.save() and not first.save()  # nothing new: no rewrite
    restarted = DayBaselines(tmp_path, "live")
    restarted.use_day(DAY)
    assert restarted.observe_oi("NFO:X", 999) == 100
    assert restarted.iv_open == {"NIFTY_this_week_iv_open": 0.13}
    assert restarted.spots == {"NIFTY": 25212.5}
    restarted.use_day(date(2025, 10, 15))
    assert restarted.observe_oi("NFO:X", 999) == 999
    assert restarted.spots == {"NIFTY": 25212.5}  # spots stay as a hint for planning the first call


def test_mock_and_live_baselines_never_mix(tmp_path):
    mock = DayBaselines(tmp_path, "mock")
    mock.use_day(DAY)
    mock.observe_oi("NFO:X", 1)
    mock.save()
    live = DayBaselines(tmp_path, "live")
    live.use_day(DAY)
    assert live.observe_oi("NFO:X", 2) == 2
    assert (tmp_path / "mock_2025-10-14.json").exists()


def test_unreadable_file_starts_the_day_afresh(tmp_path):
    (tmp_path / "live_2025-10-14.json").write_text("{not json")
    baselines = DayBaselines(tmp_path, "live")
    baselines.use_day(DAY)
    assert baselines.observe_oi("NFO:X", 5) == 5
    assert baselines.save()


def test_old_files_are_pruned(tmp_path):
    baselines = DayBaselines(tmp_path, "live", keep_days=2)
    for day in range(10, 15):
        baselines.use_day(date(2025, 10, day))
        baselines.observe_oi("NFO:X", day)
        baselines.save()
    assert sorted(p.name for p in tmp_path.glob("live_*")) == ["live_2025-10-13.json", "live_2025-10-14.json"]
