"""OI position changes over the monitoring interval, net positions, unusual activity and buildup patterns."""

from collections import Counter

import pytest

from op_trading.analytics import positions as ps
from op_trading.analytics.chain import Buildup
from op_trading.analytics.common import write_points
from tests.fixtures_analytics import at, settings, store


def common_time(record):
    return at(record["timestamp"][:19].replace("T", " "))


def leg(when, strike, side, oi, price, volume=0, index="NIFTY", expiry="2026-07-28", source="mock"):
    return {"timestamp": at(when).isoformat(), "index": index, "expiry": expiry, "strike": strike, "side": side,
            "oi": oi, "last_price": price, "volume": volume, "source": source}


HISTORY = [leg("2026-07-27 10:00", 24500, "CALL", 1000, 100.0), leg("2026-07-27 10:02", 24500, "CALL", 1040, 101.0),
           leg("2026-07-27 10:05", 24500, "CALL", 1100, 102.0), leg("2026-07-27 10:00", 24500, "PUT", 2000, 80.0),
           leg("2026-07-27 10:05", 24500, "PUT", 1900, 78.0), leg("2026-07-27 10:04", 24600, "CALL", 500, 60.0)]
THRESHOLDS = {"price_threshold_pct": 0.5, "oi_threshold_pct": 2.0}


def test_changes_over_the_interval_by_hand():
    changes = ps.position_changes(HISTORY, "5m", at("2026-07-27 10:05"), **THRESHOLDS)
    assert [c.instrument for c in changes] == ["NIFTY 2026-07-28 24500 CE", "NIFTY 2026-07-28 24500 PE"]
    call, put = changes
    assert (call.oi_change, call.oi_change_pct, call.price_change_pct) == (100, pytest.approx(10.0), pytest.approx(2.0))
    assert call.buildup is Buildup.LONG_BUILDUP and call.start == at("2026-07-27 10:00")
    assert (put.oi_change, put.buildup) == (-100, Buildup.LONG_UNWINDING)
    one_minute = ps.position_changes(HISTORY, "1m", at("2026-07-27 10:05"), **THRESHOLDS)
    assert one_minute[0].oi_change == 60 and one_minute[0].start == at("2026-07-27 10:02")
    later = ps.position_changes(HISTORY, "5m", at("2026-07-27 10:11"), **THRESHOLDS)
    assert later == []  # no snapshot within the last interval: no longer collected


def test_net_positions_by_hand():
    nets = ps.net_positions(ps.position_changes(HISTORY, "5m", at("2026-07-27 10:05"), **THRESHOLDS))
    assert len(nets) == 1
    net = nets[0]
    assert (net.call_oi, net.put_oi, net.call_oi_change, net.put_oi_change) == (1100, 1900, 100, -100)
    assert net.net_change == -200 and net.source == "mock"


def minute_volumes(cumulative, strike=24500, day="2026-07-27"):
    return [leg(f"{day} 10:{minute:02d}:30", strike, "CALL", 1000, 100.0, volume)
            for minute, volume in enumerate(cumulative)]


def test_interval_volumes_skip_each_days_first_bucket():
    records = minute_volumes([100, 200, 350]) + minute_volumes([50, 80], day="2026-07-28")
    assert [v for _, v in ps.interval_volumes(records, "1m")] == [100, 150, 30]


def test_volume_spike_against_the_same_days_average():
    history = minute_volumes([100, 200, 300, 400, 1000])
    spikes = ps.unusual_activity(history, "1m", at("2026-07-27 10:04:59"), volume_multiplier=3, oi_change_pct=10)
    assert [(u.kind, u.value, u.baseline, u.ratio) for u in spikes] == [("volume_spike", 600, 100, 6.0)]
    calm = ps.unusual_activity(history, "1m", at("2026-07-27 10:04:59"), volume_multiplier=7, oi_change_pct=10)
    assert calm == []
    too_early = ps.unusual_activity(history[:4], "1m", at("2026-07-27 10:04"), volume_multiplier=1, oi_change_pct=0)
    assert too_early == []
    stale = ps.unusual_activity(history, "1m", at("2026-07-27 10:05:10"), volume_multiplier=3, oi_change_pct=10)
    assert stale == []  # nothing traded in the interval running now: yesterday's news is not a spike


def test_oi_spike_over_the_interval():
    found = ps.unusual_activity(HISTORY, "5m", at("2026-07-27 10:05"), volume_multiplier=3, oi_change_pct=5)
    assert [(u.kind, u.instrument, u.value) for u in found] == [("oi_spike", "NIFTY 2026-07-28 24500 CE",
                                                                 pytest.approx(10.0)), ("oi_spike",
                                                                                        "NIFTY 2026-07-28 24500 PE",
                                                                                        pytest.approx(-5.0))]


def test_buildup_pattern_counts_day_closes():
    days = [("2026-07-21", 1000, 100.0), ("2026-07-22", 1100, 105.0), ("2026-07-23", 1200, 100.0),
            ("2026-07-24", 1100, 95.0), ("2026-07-27", 1000, 100.0)]
    history = [leg(f"{day} 15:29", 24500, "CALL", oi, price) for day, oi, price in days]
    history.append(leg("2026-07-22 10:00", 24500, "CALL", 5000, 500.0))  # not the close: ignored
    pattern = ps.buildup_pattern(history, 20, at("2026-07-27 16:00").date(), **THRESHOLDS)
    assert pattern == {"NIFTY": Counter({Buildup.LONG_BUILDUP: 1, Buildup.SHORT_BUILDUP: 1,
                                         Buildup.LONG_UNWINDING: 1, Buildup.SHORT_COVERING: 1})}
    assert ps.buildup_pattern(history, 0, at("2026-07-27 16:00").date(), **THRESHOLDS) == {}
    short = ps.buildup_pattern(history, 4, at("2026-07-27 16:00").date(), **THRESHOLDS)
    assert sum(short["NIFTY"].values()) == 2


def stored(records):
    return [dict(record, atm_strike=24500, bucket="this_week", strike_offset="atm") for record in records]


def test_monitor_seeds_its_window_from_the_store_then_follows_cycles(tmp_path):
    from op_trading.storage.schema import leg_point

    db = store(tmp_path)
    now = at("2026-07-27 10:05")
    earlier = [record for record in HISTORY if common_time(record) < now]
    write_points(db, [leg_point(record) for record in stored(HISTORY)])  # the collector stored this cycle too
    monitor = ps.PositionMonitor.from_settings(settings(POSITION_MONITOR_INTERVAL="5m", OI_CHANGE_ALERT_PERCENT=8),
                                               store=db)
    monitor.observe([record for record in HISTORY if common_time(record) == now], now)
    assert len(monitor.recent()) == len(HISTORY) == len(earlier) + 2  # seeded strictly before now: no duplicates
    report = monitor.report(monitor.recent(), now, monitor.closing_history(now))
    assert [c.oi_change for c in report["changes"]] == [100, -100]
    assert [u.instrument for u in report["unusual"]] == ["NIFTY 2026-07-28 24500 CE"]
    assert report["net"][0].net_change == -200
    titles = [table.title for table in monitor.tables(report)]
    assert titles == ["OI position changes over 5m", "Net option positions, change over 5m", "Unusual activity",
                      "Buildup pattern, last 20 days (contract-days)"]
    assert monitor.tables(report)[0].rows[0][:6] == ("NIFTY 2026-07-28 24500 CE", "1,100", "+100", "+10.0%", "+2.0%",
                                                     "long buildup")
    monitor.observe([], at("2026-07-27 12:00"))
    assert monitor.recent() == []  # the window rolls: memory stays flat over a long run


def test_closing_history_is_read_once_a_day_from_session_closes(tmp_path):
    from op_trading.storage.schema import leg_point

    db = store(tmp_path)
    closes = [leg("2026-07-23 15:25", 24500, "CALL", 1000, 100.0), leg("2026-07-24 15:25", 24500, "CALL", 1100, 105.0),
              leg("2026-07-24 11:00", 24500, "CALL", 9999, 1.0)]  # midday rows are not read
    write_points(db, [leg_point(record) for record in stored(closes)])
    monitor = ps.PositionMonitor.from_settings(settings(), store=db)
    closing = monitor.closing_history(at("2026-07-27 10:00"))
    assert sorted(row["oi"] for row in closing) == [1000, 1100]
    write_points(db, [leg_point(record) for record in stored([leg("2026-07-22 15:25", 24500, "CALL", 5, 1.0)])])
    assert monitor.closing_history(at("2026-07-27 11:00")) is closing  # cached for the day
    today = [leg("2026-07-27 10:00", 24500, "CALL", 1000, 100.0)]
    pattern = monitor.report(today, at("2026-07-27 10:00"), closing)["pattern"]
    assert pattern["NIFTY"] == Counter({Buildup.LONG_BUILDUP: 1, Buildup.LONG_UNWINDING: 1})


def test_monitor_switches():
    assert ps.PositionMonitor.from_settings(settings(ENABLE_POSITION_MONITORING="false")).report(
        HISTORY, at("2026-07-27 10:05")) == {}
    monitor = ps.PositionMonitor.from_settings(settings(NET_POSITION_ENABLED="false", POSITION_PATTERN_LOOKBACK_DAYS=0))
    report = monitor.report(HISTORY, at("2026-07-27 10:05"))
    assert report["net"] == [] and report["pattern"] == {}
    assert [t.title for t in monitor.tables(report)] == ["OI position changes over 5m", "Unusual activity"]
    with pytest.raises(ValueError, match="monitoring interval"):
        ps.PositionMonitor(price_threshold_pct=0.5, oi_threshold_pct=2, interval="2m")


def test_unusual_table_reads_well():
    found = ps.unusual_activity(minute_volumes([100, 200, 300, 400, 1000]), "1m", at("2026-07-27 10:04:40"),
                                volume_multiplier=3, oi_change_pct=10)
    assert ps.unusual_table(found).rows[0][1:6] == ("volume spike", "1m", "600", "100", "6.0×")
    assert ps.unusual_table([]).caption == "Nothing unusual"
