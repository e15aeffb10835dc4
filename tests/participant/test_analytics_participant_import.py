"""Importing participant files from a folder, and downloading them politely (a local stand-in for NSE)."""

import json
import shutil
import time
from datetime import date

import pytest

from op_trading.analytics import participants as pa
from op_trading.analytics.alerts import AlertEngine
from op_trading.analytics.participant_import import MANIFEST, ParticipantImporter
from op_trading.outcome import Status
from tests.fixtures_analytics import PARTICIPANT_FIXTURES, NseStandIn, settings, store
from tests.support import free_port

TODAY = date(2025, 10, 20)


def folder_with(tmp_path, *names):
    folder = tmp_path / "participants"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(PARTICIPANT_FIXTURES / name, folder / name)
    return folder


def checks_by_name(result):
    return {check.name: check for check in result.checks}


def test_imports_every_fixture_and_reports_the_latest_day(tmp_path):
    folder = folder_with(tmp_path, *(path.name for path in PARTICIPANT_FIXTURES.iterdir()))
    (folder / "notes.txt").write_text("not a participant file")
    db = store(tmp_path)
    outcome = ParticipantImporter(folder, store=db, history_days=5000).run(TODAY)
    checks = checks_by_name(outcome)
    assert checks["fao_participant_oi_16102025.csv"].status is Status.WARN  # NSE's off-by-one
    assert checks["fao_participant_oi_14102025.csv"].status is Status.OK and "notes.txt" not in checks
    assert outcome.status is Status.WARN and outcome.data["latest_day"] == "2025-10-17"
    assert outcome.data["files"] == 9 and outcome.data["cash_days"] == 2
    assert outcome.data["points_written"] == 9 * 5 + 2 * 2
    participant_table, cash_table = outcome.tables
    assert "17-Oct-2025" in participant_table.caption and "15-Oct-2025" in cash_table.caption
    assert len(db.query(pa.MEASUREMENT, tags={"category": "FII", "kind": "oi"})) == 8


def test_history_window_leaves_old_files_out(tmp_path):
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv", "fao_participant_oi_10072020.csv",
                         "fao_participant_oi_14072015.csv")
    importer = ParticipantImporter.from_settings(settings(PARTICIPANT_DATA_DIR=folder, PARTICIPANT_HISTORY_DAYS=30))
    result = importer.import_folder(TODAY)
    assert [r.day for r in result.reports] == [date(2025, 10, 14)]
    assert checks_by_name(result)["History window"].detail == "2 file(s) older than 30 days left out"


def test_files_listed_by_the_simulator_are_imported_as_mock(tmp_path):
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv", "fao_participant_oi_15102025.csv")
    (folder / MANIFEST).write_text(json.dumps({"files": ["fao_participant_oi_15102025.csv"]}))
    result = ParticipantImporter(folder).import_folder(TODAY)
    assert {r.day.day: r.source for r in result.reports} == {14: "nse", 15: "mock"}
    latest, previous = result.latest("oi")
    assert (latest.day.day, latest.source, previous) == (15, "mock", None)  # no change of mock against NSE data


def test_day_over_day_comes_from_the_store_when_the_folder_lacks_the_previous_file(tmp_path):
    db = store(tmp_path)
    ParticipantImporter(folder_with(tmp_path / "a", "fao_participant_oi_14102025.csv"), store=db).run(TODAY)
    outcome = ParticipantImporter(folder_with(tmp_path / "b", "fao_participant_oi_15102025.csv"), store=db).run(TODAY)
    fii = [row for row in outcome.tables[0].rows if row[0] == "FII"][0]
    assert fii[2] == "+7,500"


def test_broken_file_fails_its_line_and_the_rest_is_imported(tmp_path):
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv")
    (folder / "fao_participant_oi_15102025.csv").write_text("<html>blocked</html>")
    outcome = ParticipantImporter(folder).run(TODAY)
    check = checks_by_name(outcome)["fao_participant_oi_15102025.csv"]
    assert check.status is Status.FAILED and "header row" in check.detail
    assert outcome.status is Status.FAILED and outcome.data["files"] == 1


def test_switched_off_and_missing_folder(tmp_path):
    off = ParticipantImporter.from_settings(settings(ENABLE_PARTICIPANT_ANALYSIS="false")).run(TODAY)
    assert off.status is Status.SKIPPED and "ENABLE_PARTICIPANT_ANALYSIS" in off.message
    missing = ParticipantImporter(tmp_path / "nowhere").run(TODAY)
    assert missing.status is Status.WARN and "does not exist" in checks_by_name(missing)["Participant folder"].detail


def test_relative_folder_from_settings_is_under_the_project_home(project_home):
    importer = ParticipantImporter.from_settings(settings())
    assert importer.folder == project_home / "data" / "participants" and importer.download_enabled is False


def test_alerts_from_cash_and_divergence(tmp_path):
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv", "fao_participant_oi_15102025.csv",
                         "fii_dii_14102025.json")
    engine = AlertEngine.from_settings(settings(PRO_CLIENT_DIVERGENCE_CONTRACTS=5000, DII_ALERT_THRESHOLD_CRORES=4000))
    ParticipantImporter(folder).run(TODAY, alerts=engine)
    assert sorted(alert.type for alert in engine.recent) == ["fii_cash", "pro_client_divergence"]


def nse_files(*names):
    return {f"/content/nsccl/{name}": (PARTICIPANT_FIXTURES / name).read_bytes() for name in names}


def test_download_fetches_missing_recent_files_with_browser_headers(tmp_path):
    files = nse_files("fao_participant_oi_14102025.csv", "fao_participant_vol_14102025.csv",
                      "fao_participant_oi_15102025.csv")
    files["/api/fiidiiTradeReact"] = (PARTICIPANT_FIXTURES / "fii_dii_15102025.json").read_bytes()
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv")
    with NseStandIn(files) as nse:
        importer = ParticipantImporter(folder, download_enabled=True, archive_root=nse.url + "/content/nsccl",
                                       nse_home=nse.url, download_days=2, pause_seconds=0)
        outcome = importer.run(date(2025, 10, 15))
    checks = checks_by_name(outcome)
    assert checks["Download fao_participant_vol_14102025.csv"].status is Status.OK
    assert checks["Download fao_participant_oi_15102025.csv"].detail == "downloaded (15-Oct-2025)"
    assert checks["Download fao_participant_vol_15102025.csv"].status is Status.SKIPPED
    assert checks["Download FII/DII cash"].status is Status.OK and (folder / "fii_dii_15102025.json").exists()
    requested = [path for path, _ in nse.requests]
    assert "/content/nsccl/fao_participant_oi_14102025.csv" not in requested  # already in the folder
    assert requested[-2:] == ["/", "/api/fiidiiTradeReact"]
    assert all("Mozilla/5.0" in headers["User-Agent"] for _, headers in nse.requests)
    assert outcome.data["latest_day"] == "2025-10-15" and outcome.status is Status.OK


def test_download_does_not_save_a_block_page_or_a_refusal(tmp_path):
    files = {"/content/nsccl/fao_participant_oi_15102025.csv": b"<html>Access Denied</html>"}
    folder = tmp_path / "p"
    with NseStandIn(files, statuses={"/content/nsccl/fao_participant_vol_15102025.csv": 403}) as nse:
        checks = ParticipantImporter(folder, archive_root=nse.url + "/content/nsccl", nse_home=nse.url,
                                     download_days=1, pause_seconds=0).download(date(2025, 10, 15))
    by_name = {check.name: check for check in checks}
    assert by_name["Download fao_participant_oi_15102025.csv"].status is Status.WARN
    assert "HTTP 403" in by_name["Download fao_participant_vol_15102025.csv"].detail
    assert "by hand" in by_name["Download fao_participant_vol_15102025.csv"].detail
    assert by_name["Download FII/DII cash"].status is Status.SKIPPED
    assert sorted(path.name for path in folder.iterdir()) == []


def test_offline_is_one_clear_warning_not_a_traceback(tmp_path):
    root = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    folder = folder_with(tmp_path, "fao_participant_oi_14102025.csv")
    importer = ParticipantImporter(folder, download_enabled=True, archive_root=root, nse_home=root,
                                   pause_seconds=0, timeout=2)
    outcome = importer.run(date(2025, 10, 15))
    offline = checks_by_name(outcome)["NSE download"]
    assert offline.status is Status.WARN and "NSE not reachable" in offline.detail
    assert "working from the files already in" in offline.detail
    assert outcome.status is Status.WARN and outcome.data["latest_day"] == "2025-10-14"


def test_a_slow_site_times_out_quickly(tmp_path):
    with NseStandIn({}, delay=1.5) as nse:
        started = time.monotonic()
        checks = ParticipantImporter(tmp_path / "p", archive_root=nse.url, nse_home=nse.url, download_days=1,
                                     pause_seconds=0, timeout=0.3).download(date(2025, 10, 15))
        assert time.monotonic() - started < 1.4
    assert checks[-1].status is Status.WARN and "NSE not reachable" in checks[-1].detail


@pytest.mark.parametrize("day", [date(2025, 10, 18), date(2025, 10, 21)])  # Saturday; Diwali holiday
def test_download_skips_days_without_a_session(tmp_path, day):
    with NseStandIn({}) as nse:
        ParticipantImporter(tmp_path / "p", archive_root=nse.url, nse_home=nse.url, download_days=1,
                            pause_seconds=0).download(day)
    assert f"_{day:%d%m%Y}.csv" not in " ".join(path for path, _ in nse.requests)
