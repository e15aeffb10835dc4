"""Cash-flow estimate (tick rule on traded value) against hand-computed values; timeframe buckets; the tracker."""

import pytest

from op_trading.analytics import cashflow as cf
from op_trading.analytics.common import CRORE
from tests.fixtures_analytics import at, settings, store


def snap(when, volume, average, last, instrument="NIFTY26JUL24500CE", index="NIFTY", source="mock"):
    return {"timestamp": at(when).isoformat(), "tradingsymbol": instrument, "index": index, "volume": volume,
            "average_price": average, "last_price": last, "source": source}


SESSION = [
    snap("2026-07-27 09:20:00", 100, 10.0, 10.0),  # baseline: turnover 1000
    snap("2026-07-27 09:20:30", 150, 10.2, 10.5),  # 1530 - 1000 = 530, price up -> inflow
    snap("2026-07-27 09:21:00", 170, 10.2, 10.5),  # 1734 - 1530 = 204, no tick -> keeps buying
    snap("2026-07-27 09:21:30", 200, 10.1, 9.8),  # 2020 - 1734 = 286, price down -> outflow
    snap("2026-07-27 09:22:00", 200, 10.1, 9.7),  # nothing traded -> no flow
    snap("2026-07-28 09:15:30", 10, 9.5, 9.6),  # new session: 95 from zero, below 9.8 -> outflow
]


def test_tick_rule_flows_by_hand():
    flows = cf.estimate_flows(SESSION)
    assert [(f.inflow, f.outflow, f.unclassified) for f in flows] == [
        (pytest.approx(530), 0, 0), (pytest.approx(204), 0, 0), (0, pytest.approx(286), 0), (0, pytest.approx(95), 0)]
    assert {f.source for f in flows} == {"mock"} and flows[0].time == at("2026-07-27 09:20:30")


def test_unknown_direction_is_unclassified_and_missing_average_uses_last_price():
    records = [snap("2026-07-27 10:00", 10, None, 5.0, "X"), snap("2026-07-27 10:01", 30, None, 5.0, "X")]
    flows = cf.estimate_flows(records)
    assert [(f.inflow, f.outflow, f.unclassified) for f in flows] == [(0, 0, pytest.approx(100.0))]


def test_state_carries_across_calls_like_collection_cycles():
    state = {}
    first = cf.estimate_flows(SESSION[:2], state)
    second = cf.estimate_flows(SESSION[2:], state)
    assert first + second == cf.estimate_flows(SESSION)


def test_records_without_a_tradingsymbol_are_keyed_by_contract():
    leg = {"index": "NIFTY", "expiry": "2026-07-28", "strike": 24500.0, "side": "CALL"}
    stored = {"index": "NIFTY", "expiration": "2026-07-28", "strike": 24500.0, "option_type": "CE"}
    from op_trading.analytics.common import instrument_key
    assert instrument_key(leg) == instrument_key(stored) == "NIFTY 2026-07-28 24500 CE"


@pytest.mark.parametrize("timeframe, start", [
    ("1m", "2026-07-29 10:07:00"), ("5m", "2026-07-29 10:05:00"), ("15m", "2026-07-29 10:00:00"),
    ("30m", "2026-07-29 10:00:00"), ("1h", "2026-07-29 10:00:00"), ("1d", "2026-07-29 00:00:00"),
    ("1w", "2026-07-27 00:00:00")])
def test_buckets_align_to_ist(timeframe, start):
    assert cf.bucket_start(at("2026-07-29 10:07:45"), timeframe) == at(start)


def test_aggregation_by_hand():
    flows = cf.estimate_flows(SESSION)
    minutes = cf.aggregate(flows, "1m", by="all")
    assert [(b.start, b.inflow, b.outflow, b.flows) for b in minutes] == [
        (at("2026-07-27 09:20"), pytest.approx(530), 0, 1), (at("2026-07-27 09:21"), pytest.approx(204),
                                                             pytest.approx(286), 2),
        (at("2026-07-28 09:15"), 0, pytest.approx(95), 1)]
    assert minutes[1].net == pytest.approx(-82) and minutes[1].pressure_pct == pytest.approx(-82 / 490 * 100)
    week = cf.aggregate(flows, "1w", by="sector")
    assert len(week) == 1 and week[0].group == "broad market" and week[0].net == pytest.approx(734 - 381)
    assert week[0].end == at("2026-08-03 00:00")


def test_sectors_follow_the_index_definitions():
    assert cf.sector_of("NIFTY BANK") == cf.sector_of("BANKNIFTY") == "banks"
    assert cf.sector_of("NIFTY FIN SERVICE") == "financials" and cf.sector_of("SOMETHING") == "other"


def test_unknown_timeframe_or_grouping():
    with pytest.raises(ValueError, match="timeframe"):
        cf.aggregate([], "2m")
    with pytest.raises(ValueError, match="grouping"):
        cf.aggregate([], "1m", by="strike")


def big_session(instrument="NIFTY26JUL24500CE", index="NIFTY"):
    # 2 crore of buying then 0.5 crore of selling
    return [snap("2026-07-27 10:00:00", 0, 100.0, 100.0, instrument, index),
            snap("2026-07-27 10:00:30", 1, 100.0, 100.0, instrument, index),
            snap("2026-07-27 10:01:00", 200_001, 100.0, 101.0, instrument, index),
            snap("2026-07-27 10:01:30", 250_001, 100.0, 99.0, instrument, index)]


def test_flows_table_panels_and_units():
    buckets = cf.aggregate(cf.estimate_flows(big_session()), "1h")
    table = cf.flows_table(buckets, "1h", ["net", "buying"])
    assert table.columns == ("Group", "From", "Buying (₹ cr)", "Net (₹ cr)", "Pressure", "Unclassified (₹ cr)")
    assert table.rows == (("NIFTY", "2026-07-27 10:00 IST", "2.00", "+1.50", "+60%", "0.00"),)
    assert "tick rule" in table.caption and "mock" in table.caption


def test_tracker_from_settings_with_the_embedded_store(tmp_path):
    db = store(tmp_path)
    tracker = cf.CashFlowTracker.from_settings(settings(CASH_FLOW_TIMEFRAMES="5m,1d", CASH_FLOW_PANELS="net"), db)
    for record in big_session() + big_session("BANKNIFTY26JUL55000PE", "NIFTY BANK"):
        tracker.update([record])
    assert len(db.query(cf.MEASUREMENT)) == 6
    now = at("2026-07-27 10:01:30")
    by_index = {b.group: b for b in tracker.summary(now, "1d")}
    assert by_index["NIFTY"].inflow == pytest.approx(2 * CRORE) and by_index["NIFTY BANK"].outflow == pytest.approx(
        0.5 * CRORE)
    assert [b.group for b in tracker.summary(now, "1d", by="sector")] == ["banks", "broad market"]
    assert [b.start for b in tracker.summary(now, "5m")] == [at("2026-07-27 10:00")] * 2
    with pytest.raises(ValueError, match="switched off"):
        tracker.summary(now, "1m")
    tables = tracker.tables(now)
    assert [t.title for t in tables] == ["Estimated cash flow by index, 5m", "Estimated cash flow by sector, 5m"]
    assert tables[0].columns[2] == "Net (₹ cr)" and len(tables[0].columns) == 5


def test_tracker_switches(tmp_path):
    off = cf.CashFlowTracker.from_settings(settings(ENABLE_CASH_FLOW_TRACKING="false"))
    assert off.update(big_session()) == [] and off.tables(at("2026-07-27 10:02")) == []
    no_sectors = cf.CashFlowTracker.from_settings(settings(CASH_FLOW_SECTOR_ANALYSIS="false"))
    no_sectors.update(big_session())
    assert len(no_sectors.tables(at("2026-07-27 10:02"), "1h")) == 1
    with pytest.raises(ValueError, match="sector analysis is off"):
        no_sectors.summary(at("2026-07-27 10:02"), "1h", by="sector")


def test_running_sums_keep_only_the_current_bucket():
    tracker = cf.CashFlowTracker(timeframes=["1m", "1d"])
    tracker.update(big_session())
    tracker.update([snap("2026-07-28 10:00:00", 300_000, 100.0, 98.0)])  # next day: 3 crore of selling
    assert {key[0] for key in tracker._current[("1d", "index")]} == {at("2026-07-28 00:00")}
    (day,) = tracker.summary(at("2026-07-28 10:00"), "1d", by="all")
    assert (day.inflow, day.outflow) == (0, pytest.approx(3 * CRORE))
    assert tracker.summary(at("2026-07-28 10:00"), "1m", by="instrument")[0].group == "NIFTY26JUL24500CE"


def test_a_restart_seeds_the_running_sums_from_the_store_without_double_counting(tmp_path):
    db = store(tmp_path)
    session = big_session()
    cf.CashFlowTracker(store=db).update(session[:3])  # 2 crore bought, then the process stops
    restarted = cf.CashFlowTracker(store=db)
    restarted.update(session[3:])  # the first snapshot after a start only sets the baseline
    restarted.update([snap("2026-07-27 10:02:00", 260_001, 100.0, 100.0)])  # 0.1 crore more, price up from 99
    (today,) = restarted.summary(at("2026-07-27 10:02"), "1d")
    assert (today.inflow, today.outflow, today.flows) == (pytest.approx(2.1 * CRORE), 0, 3)
    short_memory = cf.CashFlowTracker(store=db, retention_days=1, timeframes=["1w"])
    short_memory.update([snap("2026-07-29 09:30:00", 10, 100.0, 100.0)])
    assert short_memory.summary(at("2026-07-29 09:30"), "1w") == []  # flows beyond the retention are not read
