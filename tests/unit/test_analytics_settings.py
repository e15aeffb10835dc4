"""Every analytics setting changes behaviour (the ones not already exercised by the other analytics tests)."""

from datetime import date, timedelta

from op_trading.analytics import participants as pa
from op_trading.analytics.alerts import AlertRules
from op_trading.analytics.cashflow import CashFlowTracker, FlowBucket
from op_trading.analytics.chain import Buildup
from op_trading.analytics.chain_history import ChainAnalyzer
from op_trading.analytics.common import CRORE
from op_trading.analytics.participant_import import ParticipantImporter
from op_trading.analytics.positions import PositionMonitor, Unusual
from op_trading.outcome import Status
from tests.fixtures_analytics import PARTICIPANT_FIXTURES, at, option, settings
from tests.support import free_port


def test_buildup_price_threshold():
    legs = [option(110, "CALL", oi=1100, oi_open=1000, day_change_percent=1.0)]
    assert ChainAnalyzer.from_settings(settings()).buildup(legs)[0].buildup is Buildup.LONG_BUILDUP
    strict = ChainAnalyzer.from_settings(settings(BUILDUP_PRICE_THRESHOLD_PERCENT=1.5))
    assert strict.buildup(legs)[0].buildup is Buildup.NEUTRAL
    assert PositionMonitor.from_settings(settings(BUILDUP_PRICE_THRESHOLD_PERCENT=1.5)).price_threshold_pct == 1.5


def test_volume_spike_multiplier():
    item = Unusual("volume_spike", "X CE", "NIFTY", at("2026-07-28 10:05"), "5m", 400, 100, 4.0, "mock")
    assert len(AlertRules.from_settings(settings()).unusual([item])) == 1
    assert AlertRules.from_settings(settings(VOLUME_SPIKE_MULTIPLIER=5)).unusual([item]) == []
    assert PositionMonitor.from_settings(settings(VOLUME_SPIKE_MULTIPLIER=5)).volume_multiplier == 5


def test_fii_and_pro_switches():
    assert pa.enabled_categories(settings(ENABLE_FII_ANALYSIS="false")) == ("Client", "DII", "Pro")
    assert pa.enabled_categories(settings(ENABLE_PRO_TRADER_ANALYSIS="false")) == ("Client", "DII", "FII")


def test_fii_switch_also_hides_fii_cash(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "fii_dii_14102025.json").write_bytes((PARTICIPANT_FIXTURES / "fii_dii_14102025.json").read_bytes())
    outcome = ParticipantImporter.from_settings(settings(PARTICIPANT_DATA_DIR=folder,
                                                         ENABLE_FII_ANALYSIS="false")).run(date(2025, 10, 15))
    assert [row[0] for row in outcome.tables[0].rows] == ["DII"]


def test_download_switch(tmp_path):
    root = f"http://127.0.0.1:{free_port()}"
    importer = ParticipantImporter.from_settings(settings(PARTICIPANT_DATA_DIR=tmp_path, PARTICIPANT_DOWNLOAD_ENABLED=
                                                          "true"), archive_root=root, nse_home=root, pause_seconds=0)
    checks = {check.name: check for check in importer.run(date(2025, 10, 15)).checks}
    assert checks["NSE download"].status is Status.WARN and "not reachable" in checks["NSE download"].detail


def test_cash_flow_alert_threshold():
    bucket = FlowBucket("5m", at("2026-07-28 10:00"), "NIFTY", 150 * CRORE, 0.0, 0.0, 3, "mock")
    assert len(AlertRules.from_settings(settings()).cash_flow([bucket])) == 1
    assert AlertRules.from_settings(settings(CASH_FLOW_ALERT_THRESHOLD_CRORES=200)).cash_flow([bucket]) == []


def test_cash_flow_retention():
    assert CashFlowTracker.from_settings(settings(CASH_FLOW_RETENTION_DAYS=7)).retention == timedelta(days=7)
