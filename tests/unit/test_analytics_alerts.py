"""Alert rules against thresholds from settings, one alert per cool-down, logging, the store, the table."""

import logging
from dataclasses import replace

import pytest

from op_trading.analytics import alerts as al
from op_trading.analytics import participants as pa
from op_trading.analytics.cashflow import FlowBucket
from op_trading.analytics.chain import ChainMetrics
from op_trading.analytics.common import CRORE
from op_trading.analytics.positions import Unusual
from tests.fixtures_analytics import at, fixture_text, settings, store

METRICS = ChainMetrics(index="NIFTY", expiry="2026-07-28", bucket="this_week", as_of=at("2026-07-28 10:00"),
                       source="mock", spot=24510.0, atm_strike=24500.0, pcr_oi=0.9, pcr_volume=1.1, max_pain=24400.0,
                       atm_iv=0.18, iv_open=0.14, iv_day_change=0.04, iv_skew=0.02, iv_percentile=80.0, iv_rank=70.0,
                       total_premium=300.0, premium_weekday_avg=280.0, premium_weekday_days=4, options_used=10)


def spike(when):
    return al.AlertRules().iv_spike([replace(METRICS, as_of=at(when))])


def test_iv_spike_rule_and_severity():
    (alert,) = al.AlertRules(iv_spike_points=3).iv_spike([METRICS])
    assert (alert.type, alert.subject, alert.severity) == ("iv_spike", "NIFTY this_week", al.Severity.WARNING)
    assert "+4.00 vol points" in alert.message and alert.data["iv_change_points"] == pytest.approx(4.0)
    assert al.AlertRules(iv_spike_points=2).iv_spike([METRICS])[0].severity is al.Severity.CRITICAL
    assert al.AlertRules(iv_spike_points=5).iv_spike([METRICS]) == []
    assert al.AlertRules(iv_spike_points=0).iv_spike([METRICS]) == []  # 0 switches a rule off
    assert al.AlertRules().iv_spike([replace(METRICS, iv_day_change=None)]) == []


def test_cash_rules_use_fii_and_dii_thresholds():
    cash = pa.parse_fii_dii_json(fixture_text("fii_dii_14102025.json"), "x")  # FII -1732.77, DII +3555.39
    rules = al.AlertRules.from_settings(settings(FII_ALERT_THRESHOLD_CRORES=1000, DII_ALERT_THRESHOLD_CRORES=4000))
    (fii,) = rules.cash(cash)
    assert fii.type == "fii_cash" and fii.time == at("2025-10-14 15:30")
    assert fii.message == "FII net sold ₹1,732.77 cr in cash on 14-Oct-2025 (threshold ₹1,000.00 cr)"
    assert [a.subject for a in al.AlertRules(fii_crore=100, dii_crore=100).cash(cash, ("DII",))] == ["DII"]


def test_divergence_rule():
    day1 = pa.parse_participant_csv(fixture_text("fao_participant_oi_14102025.csv"), "fao_participant_oi_14102025.csv")
    day2 = pa.parse_participant_csv(fixture_text("fao_participant_oi_15102025.csv"), "fao_participant_oi_15102025.csv")
    divergence = pa.pro_client_divergence(day2, day1)  # gap -150,000, moved +7,500 (together)
    assert al.AlertRules(divergence_contracts=20000).divergence(divergence) == []
    (alert,) = al.AlertRules(divergence_contracts=5000).divergence(divergence)
    assert "moved 7,500 contracts together" in alert.message and alert.data["gap_change"] == 7500


def test_unusual_and_cash_flow_rules():
    items = [Unusual("volume_spike", "X CE", "NIFTY", at("2026-07-28 10:05"), "5m", 900, 100, 9.0, "mock"),
             Unusual("volume_spike", "Y CE", "NIFTY", at("2026-07-28 10:05"), "5m", 250, 100, 2.5, "mock"),
             Unusual("oi_spike", "Z PE", "NIFTY", at("2026-07-28 10:05"), "5m", -12.0, 1000, 12.0, "mock")]
    found = al.AlertRules.from_settings(settings()).unusual(items)  # multiplier 3, OI 10 %
    assert [(a.type, a.subject, a.severity.value) for a in found] == [("volume_spike", "X CE", "critical"),
                                                                      ("oi_change", "Z PE", "warning")]
    assert "-12.0% in 5m" in found[1].message
    bucket = FlowBucket("15m", at("2026-07-28 10:00"), "NIFTY", 250 * CRORE, 100 * CRORE, 0.0, 12, "mock")
    (flow,) = al.AlertRules(cash_flow_crore=100).cash_flow([bucket])
    assert flow.subject == "NIFTY 15m" and flow.time == at("2026-07-28 10:15") and "inflow ₹150.00 cr" in flow.message
    assert al.AlertRules(cash_flow_crore=200).cash_flow([bucket]) == []


def test_fires_once_per_cooldown():
    engine = al.AlertEngine(cooldown_minutes=15)
    raised = [engine.submit(spike(when)) for when in ("2026-07-28 10:00", "2026-07-28 10:05", "2026-07-28 10:14:59",
                                                       "2026-07-28 10:15", "2026-07-28 10:20", "2026-07-28 10:31")]
    assert [len(batch) for batch in raised] == [1, 0, 0, 1, 0, 1]
    assert engine.submit(spike("2026-07-28 10:31")) == []  # the same alert again
    other = replace(METRICS, index="BANKNIFTY", as_of=at("2026-07-28 10:32"))
    assert len(engine.submit(engine.rules.iv_spike([other]))) == 1  # another subject is another alert


def test_zero_cooldown_still_drops_exact_repeats():
    engine = al.AlertEngine(cooldown_minutes=0)
    assert len(engine.submit(spike("2026-07-28 10:00") + spike("2026-07-28 10:00"))) == 1
    assert len(engine.submit(spike("2026-07-28 10:00:30"))) == 1


def test_disabled_engine_raises_nothing():
    engine = al.AlertEngine.from_settings(settings(ALERTS_ENABLED="false"))
    assert engine.submit(spike("2026-07-28 10:00")) == [] and not engine.recent


def test_log_store_and_restart_inside_the_cooldown(tmp_path, caplog):
    db = store(tmp_path)
    engine = al.AlertEngine.from_settings(settings(ALERT_COOLDOWN_MINUTES=30), store=db)
    with caplog.at_level(logging.WARNING, logger="op_trading.analytics.alerts"):
        engine.submit(spike("2026-07-28 10:00"))
    assert "alert iv_spike [warning] NIFTY this_week ATM IV +4.00" in caplog.text and "source mock" in caplog.text
    (row,) = db.query(al.MEASUREMENT)
    assert (row["type"], row["subject"], row["severity"], row["source"]) == ("iv_spike", "NIFTY this_week",
                                                                             "warning", "mock")
    assert row["message"].startswith("NIFTY this_week ATM IV") and row["iv_change_points"] == pytest.approx(4.0)
    restarted = al.AlertEngine.from_settings(settings(ALERT_COOLDOWN_MINUTES=30), store=db)
    assert restarted.submit(spike("2026-07-28 10:20")) == []
    assert len(restarted.submit(spike("2026-07-28 10:30"))) == 1
    assert len(db.query(al.MEASUREMENT)) == 2


def test_alerts_table_newest_first():
    engine = al.AlertEngine(cooldown_minutes=0)
    engine.submit(spike("2026-07-28 10:00") + spike("2026-07-28 11:00"))
    table = al.alerts_table(engine.recent)
    assert table.columns == ("Time", "Severity", "Type", "Subject", "Message", "Source")
    assert [row[0] for row in table.rows] == ["2026-07-28 11:00 IST", "2026-07-28 10:00 IST"]
    assert table.rows[0][1] == "WARNING" and al.alerts_table([]).caption == "No alerts"
