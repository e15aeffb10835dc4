"""Pre-market capture: when it is due, what it takes from the store, the overnight gap after the open."""

from datetime import date

import pytest

from op_trading.analytics import premarket as pm
from op_trading.analytics.chain_history import ChainAnalyzer
from op_trading.analytics.common import make_point, write_points
from op_trading.analytics.participant_import import ParticipantImporter
from op_trading.outcome import Status
from op_trading.sandbox import participants as sim
from tests.fixtures_analytics import at, settings, store


@pytest.mark.parametrize("now, last, due", [
    ("2026-07-28 07:59", None, False), ("2026-07-28 08:00", None, True), ("2026-07-28 13:00", None, True),
    ("2026-07-28 08:30", date(2026, 7, 28), False), ("2026-07-25 09:00", None, False),  # Saturday
    ("2026-10-02 08:30", None, False)])  # holiday
def test_is_due(now, last, due):
    assert pm.is_due(at(now), "08:00", last) is due


def fill_previous_session(db, tmp_path):
    analyzer = ChainAnalyzer(0.5, 2.0, store=db)
    for when, pcr_puts, iv, price in (("2026-07-24 15:29", 200, 0.2, 150.0), ("2026-07-27 15:00", 80, 0.13, 125.0),
                                      ("2026-07-27 15:29:30", 95, 0.12, 105.0)):
        legs = [{"strike": strike, "side": side, "expiry": "2026-07-28", "oi": 100 if side == "CALL" else pcr_puts,
                 "iv": iv, "last_price": price, "timestamp": at(when).isoformat(), "source": "mock"}
                for strike in (24400.0, 24500.0, 24600.0) for side in ("CALL", "PUT")]
        analyzer.analyze(legs, 24510.0, index="NIFTY", expiry="2026-07-28", bucket="this_week")
    sim.write_history(tmp_path / "participants", date(2026, 7, 27), 2)
    ParticipantImporter(tmp_path / "participants", store=db).run(date(2026, 7, 27))


def test_capture_before_the_open(tmp_path):
    db = store(tmp_path)
    fill_previous_session(db, tmp_path)
    capture = pm.PremarketCapture.from_settings(settings(ENABLE_DII_ANALYSIS="false"), store=db)
    outcome = capture.capture(at("2026-07-28 08:00"))
    summary = capture.last
    assert outcome.status is Status.OK and summary.previous_session == date(2026, 7, 27)
    assert [(row["index"], row["pcr_oi"], row["max_pain"]) for row in summary.chain] == [("NIFTY", 0.95, 24500.0)]
    assert summary.chain[0]["time"] == at("2026-07-27 15:30")
    assert [p.category for p in summary.positions] == ["Client", "FII", "Pro"]
    assert all(p.day == date(2026, 7, 27) and p.fut_net_change is not None and p.source == "mock"
               for p in summary.positions)
    assert summary.cash.day == date(2026, 7, 27) and summary.gaps == () and not summary.gaps_final
    chain_table, participant_table, cash_table, gap_table = outcome.tables
    assert chain_table.title == "Previous session close (Mon 27-Jul-2026)"
    assert chain_table.rows == (("NIFTY", "this_week", "0.95", "24,500", "12.00", "210.00", "mock"),)
    assert "not open yet" in gap_table.caption
    stored = db.query(pm.MEASUREMENT)
    assert {row["part"] for row in stored} == {"chain", "participant", "cash"}
    assert all(row["time"] == at("2026-07-28 08:00") for row in stored)


def test_tick_captures_once_then_adds_the_gap_after_the_open(tmp_path):
    db = store(tmp_path)
    fill_previous_session(db, tmp_path)
    capture = pm.PremarketCapture.from_settings(settings(PREMARKET_CAPTURE_TIME="08:15"), store=db)
    assert capture.tick(at("2026-07-28 08:10")) is None
    assert capture.tick(at("2026-07-28 08:15")).status is Status.OK
    assert capture.tick(at("2026-07-28 08:20")) is None
    write_points(db, [make_point("index_overview", {"index": "NIFTY 50", "source": "mock"},
                                 {"open": 24650.0, "close": 24500.0, "last_price": 24660.0},
                                 at("2026-07-28 09:15:30")),
                      make_point("index_overview", {"index": "NIFTY 50", "source": "mock"},
                                 {"open": 24650.0, "close": 24500.0, "last_price": 24700.0},
                                 at("2026-07-28 09:16:00"))])
    assert capture.tick(at("2026-07-28 09:14")) is None
    outcome = capture.tick(at("2026-07-28 09:16"))
    (gap,) = capture.last.gaps
    assert (gap.index, gap.points, gap.pct) == ("NIFTY", 150.0, pytest.approx(100 * 150 / 24500))
    assert outcome.tables[-1].rows == (("NIFTY", "24,500.00", "24,650.00", "+150.00", "+0.61%", "mock"),)
    assert capture.tick(at("2026-07-28 09:20")) is None
    (row,) = db.query(pm.MEASUREMENT, tags={"part": "gap"})
    assert row["gap"] == 150.0 and row["time"] == at("2026-07-28 09:15")


def test_missing_parts_are_said_not_invented(tmp_path):
    outcome = pm.PremarketCapture(store=store(tmp_path)).capture(at("2026-07-28 08:00"))
    assert outcome.status is Status.WARN
    assert "missing: chain metrics, participants, FII/DII cash" in outcome.message
    assert outcome.tables[0].rows == () and "No chain metrics" in outcome.tables[0].caption


def test_switched_off():
    capture = pm.PremarketCapture.from_settings(settings(PREMARKET_CAPTURE_ENABLED="false"))
    assert capture.tick(at("2026-07-28 09:00")) is None and capture.last is None
