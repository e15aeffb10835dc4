"""`run_collection` end to end in mock mode: in-process simulator, the sinks, labels, reports, debug files."""

import threading

from op_trading.outcome import ExitCode, Status
from op_trading.runtime.collect import MOCK_LABEL, run_collection
from op_trading.storage import open_store
from tests.fixtures_collect import sim_settings

FAST = {"DATA_SOURCE_MODE": "mock", "SIMULATOR_SPEED": "120"}  # 30 simulated seconds pass in 0.25 s


def test_mock_run_collects_labels_and_stores_every_record(project_home):
    settings = sim_settings(**FAST, STORAGE_SINKS="embedded,csv")
    reports = []
    outcome = run_collection(settings, cycles=2, on_cycle=reports.append)
    assert outcome.status == Status.WARN  # mock data is always flagged, never a plain success
    assert MOCK_LABEL in outcome.message and outcome.checks[0].detail.startswith(MOCK_LABEL)
    assert outcome.data["source"] == "mock" and outcome.data["cycles"] == 2 and outcome.data["errors"] == 0
    assert [report.number for report in reports] == [1, 2] and all(report.ok for report in reports)
    assert reports[1].cycle.stats.quote_calls == 1
    assert reports[1].cycle.timestamp > reports[0].cycle.timestamp
    assert "[mock]" in reports[1].line() and "quote_calls=1" in reports[1].line()
    for report in reports:
        assert {write.sink for write in report.writes} == {"embedded", "csv"}
        assert all(write.failed == 0 for write in report.writes)

    store = open_store(settings)
    legs = store.query("atm_option_quote")
    overviews = store.query("index_overview")
    assert len(legs) == outcome.data["legs"] == 2 * 140 and len(overviews) == 2 * 6
    assert {row["source"] for row in legs + overviews} == {"mock"}
    assert {row["strike_offset"] for row in legs} == {"atm_m2", "atm_m1", "atm", "atm_p1", "atm_p2"}
    csv_root = project_home / "data" / "csv_data"
    assert (csv_root / "NIFTY").is_dir() and (csv_root / "NIFTY FIN SERVICE").is_dir()
    assert outcome.tables and outcome.tables[0].rows[0] == ("cycles", 2)


def test_mock_run_honours_indices_offsets_and_raw_quote_debug(project_home):
    settings = sim_settings(**FAST, INDICES="BANKNIFTY", STRIKE_OFFSETS="-3,0,3", DEBUG_SAVE_RAW_QUOTES="true",
                            STORAGE_SINKS="embedded")
    reports = []
    outcome = run_collection(settings, cycles=1, on_cycle=reports.append)
    legs = reports[0].cycle.legs
    assert {leg["index"] for leg in legs} == {"BANKNIFTY"} and len(legs) == 2 * 3 * 2
    assert {leg["strike_offset"] for leg in legs} == {"atm_m3", "atm", "atm_p3"}
    assert [o["symbol"] for o in reports[0].cycle.overviews] == ["NIFTY BANK", "INDIA VIX"]
    raw = list((project_home / "data" / "debug" / "quotes").glob("mock_*.json"))
    assert len(raw) == 1 and "NSE:NIFTY BANK" in raw[0].read_text()
    assert outcome.data["quote_calls"] == 2  # first run ever: spots first


def test_stop_event_ends_an_open_ended_run(project_home):
    settings = sim_settings(**FAST, STORAGE_SINKS="embedded")
    stop = threading.Event()

    def stop_after_first(report):
        stop.set()

    outcome = run_collection(settings, cycles=None, stop_event=stop, on_cycle=stop_after_first)
    assert outcome.data["reason"] == "stopped" and outcome.data["cycles"] == 1
    assert "(stopped)" in outcome.message


def test_bad_sink_configuration_is_a_usage_error_before_collecting():
    outcome = run_collection(sim_settings(**FAST, STORAGE_SINKS="influxdb"), cycles=1)
    assert outcome.status == Status.FAILED and outcome.exit_code == ExitCode.USAGE
    assert "INFLUXDB_URL" in outcome.message
