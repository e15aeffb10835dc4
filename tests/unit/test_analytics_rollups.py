"""Rollup-seeded figures equal the ones recomputed from raw history: several days are built through the store,
the analyzers are restarted in the middle (they seed from the rollups), and every figure is compared with a raw
recomputation over all stored rows."""

import random
from datetime import datetime, timedelta

import pytest

from op_trading.analytics import cashflow as cf
from op_trading.analytics import common
from op_trading.analytics.breadth import VixHistory
from op_trading.analytics.chain import daily_closes
from op_trading.analytics.rollups import PremiumSlots, index_daily_points, weekday_average_from_raw
from op_trading.market.calendar import IST
from tests.fixtures_analytics import store

INSTRUMENTS = (("NIFTY26JUL24500CE", "NIFTY"), ("NIFTY26JUL24500PE", "NIFTY"),
               ("BANKNIFTY26JUL52000CE", "BANKNIFTY"), ("FINNIFTY26JUL23000PE", "NIFTY FIN SERVICE"))
DAYS = [datetime(2026, 7, 20, tzinfo=IST) + timedelta(days=offset) for offset in (0, 1, 2, 7, 8, 14, 15)]


def cycles(day: datetime, start=(9, 15), end=(10, 30)):
    moment = day.replace(hour=start[0], minute=start[1])
    while moment < day.replace(hour=end[0], minute=end[1]):
        yield moment
        moment += timedelta(seconds=30)


def test_cash_flow_running_sums_after_restarts_equal_the_raw_flows(tmp_path):
    db, rng = store(tmp_path), random.Random(7)
    volumes = {name: 0 for name, _ in INSTRUMENTS}
    prices = {name: 100.0 for name, _ in INSTRUMENTS}
    tracker, now = cf.CashFlowTracker(store=db), None
    for day in DAYS:
        volumes = dict.fromkeys(volumes, 0)
        for number, now in enumerate(cycles(day)):
            if number in (37, 101):  # the process stops mid-bucket and starts again: seeded from the rollup
                tracker = cf.CashFlowTracker(store=db)
            records = []
            for name, index in INSTRUMENTS:
                volumes[name] += rng.randrange(0, 5000)
                prices[name] = max(1.0, prices[name] + rng.choice((-1.5, 0.0, 0.5, 2.0)))
                records.append({"timestamp": now.isoformat(), "tradingsymbol": name, "index": index,
                                "volume": volumes[name], "last_price": prices[name], "source": "mock"})
            tracker.update(records)
    raw = cf.flows_from_rows(common.query(db, cf.MEASUREMENT))
    compared = 0
    for timeframe in ("1m", "5m", "15m", "1h", "1d", "1w"):
        for by in ("all", "index", "sector"):
            expected = [bucket for bucket in cf.aggregate(raw, timeframe, by)
                        if bucket.start == cf.bucket_start(now, timeframe)]
            got = tracker.summary(now, timeframe, by)
            assert [(b.group, b.flows, b.source) for b in got] == [(b.group, b.flows, b.source) for b in expected]
            for mine, theirs in zip(got, expected):
                assert (mine.inflow, mine.outflow, mine.unclassified) == pytest.approx(
                    (theirs.inflow, theirs.outflow, theirs.unclassified))
                compared += 1
    assert compared > 20


def test_weekday_premium_average_from_slot_rollups_equals_the_raw_recomputation(tmp_path):
    db, rng = store(tmp_path), random.Random(3)
    tags = {"index": "NIFTY", "bucket": "this_week", "source": "mock"}
    slots = PremiumSlots(db, weeks=8)
    checked = 0
    for day in DAYS + [DAYS[-1] + timedelta(days=7)]:
        for number, moment in enumerate(cycles(day)):
            if number == 45:  # a restart inside a slot: the running slot is re-read from today's raw rows
                slots = PremiumSlots(db, weeks=8)
            premium = None if number % 17 == 0 else rng.uniform(150, 260)
            average, days = slots.weekday_average(tags, moment)
            if day.date() == (DAYS[-1] + timedelta(days=7)).date():  # the last week: compare with raw history
                raw = common.query(db, "chain_metrics", tags=tags, end=moment - timedelta(microseconds=1))
                expected, expected_days = weekday_average_from_raw(raw, moment, weeks=8)
                assert days == expected_days
                assert average == pytest.approx(expected)
                checked += days > 0
            db.write([common.make_point("chain_metrics", {**tags, "expiry": "2026-07-30"},
                                        {"total_premium": premium}, moment)])
            db.write(slots.observe(tags, moment, premium))
    assert checked > 100  # three earlier same weekdays (days 0, 7, 14 of the cycle) had data at these times


def test_vix_closes_from_index_daily_equal_the_closing_rows_of_raw_overviews(tmp_path):
    db = store(tmp_path)
    days = [datetime(2026, 7, 20, tzinfo=IST) + timedelta(days=offset) for offset in range(0, 12)]
    days = [day for day in days if day.weekday() < 5]
    for number, day in enumerate(days):
        for moment in cycles(day, (15, 0), (15, 30)):
            row = {"timestamp": moment.isoformat(), "symbol": "INDIA VIX", "index": "INDIAVIX", "source": "mock",
                   "last_price": 12 + number + moment.minute / 100}
            db.write([common.make_point("index_overview", {"index": "INDIA VIX", "source": "mock"},
                                        {"last_price": row["last_price"]}, moment)])
            db.write(index_daily_points([row]))
    today = days[-1].date() + timedelta(days=1)
    rollup = VixHistory(db).closes(today, "mock")
    raw = daily_closes(common.closing_rows(db, "index_overview", [day.date() for day in days],
                                           tags={"index": "INDIA VIX", "source": "mock"}), "last_price")
    assert rollup == raw and len(raw) == len(days)


def test_live_position_report_equals_the_report_over_the_raw_window(tmp_path):
    from op_trading.analytics import positions as ps
    from op_trading.storage.schema import leg_point
    from tests.fixtures_analytics import settings

    db, rng = store(tmp_path), random.Random(11)
    contracts = [(strike, side) for strike in (24500, 24600) for side in ("CALL", "PUT")]
    state = {contract: [1000.0, 0.0, 100.0] for contract in contracts}  # oi, cumulative volume, price

    def legs(moment):
        rows = []
        for (strike, side), values in state.items():
            values[0] = max(0.0, values[0] + rng.choice((-60, -10, 0, 15, 80)))
            values[1] += rng.choice((100, 200, 300, 2500))
            values[2] = max(1.0, values[2] + rng.choice((-2.0, 0.0, 1.0, 3.0)))
            rows.append({"timestamp": moment.isoformat(), "index": "NIFTY", "expiry": "2026-07-30", "strike": strike,
                         "side": side, "oi": int(values[0]), "volume": int(values[1]), "last_price": values[2],
                         "source": "mock", "atm_strike": 24500, "bucket": "this_week",
                         "strike_offset": "atm" if strike == 24500 else "+1"})
        return rows

    for day in DAYS[:4]:  # earlier sessions, stored: the closing history
        for values in state.values():
            values[1] = 0.0
        for moment in cycles(day, (14, 45), (15, 30)):
            rows = legs(moment)
            db.write([leg_point(row) for row in rows] + ps.close_points(rows))
    monitor = ps.PositionMonitor.from_settings(settings(POSITION_MONITOR_INTERVAL="5m", VOLUME_SPIKE_MULTIPLIER=1.5,
                                                        OI_CHANGE_ALERT_PERCENT=3), store=db)
    for values in state.values():
        values[1] = 0.0
    earlier = common.query(db, "atm_option_quote")
    assert len(monitor.closing_history(DAYS[4])) == len(contracts) * 4  # the rollup: one row per contract and day
    compared = 0
    for moment in cycles(DAYS[4]):
        rows = legs(moment)
        db.write([leg_point(row) for row in rows])
        monitor.observe(rows, moment)
        live = monitor.live_report(moment)
        raw = monitor.report(monitor.recent(), moment, earlier)  # every raw leg of the earlier days
        assert [(c.instrument, c.oi_change, c.buildup, c.start) for c in live["changes"]] == \
               [(c.instrument, c.oi_change, c.buildup, c.start) for c in raw["changes"]]
        assert sorted((u.kind, u.instrument, u.value) for u in live["unusual"]) == \
               sorted((u.kind, u.instrument, u.value) for u in raw["unusual"])
        assert live["net"] == raw["net"] and live["pattern"] == raw["pattern"]
        compared += len(raw["changes"]) + len(raw["unusual"])
    assert compared > 100 and any(raw["pattern"].values())


def test_stores_from_before_the_rollups_read_raw_closes_once_and_then_the_rollup_rows(tmp_path):
    """A store written before `index_daily` and `position_close` existed: the first reader falls back to the raw
    closing windows and writes the rollup rows, so every later start reads one small query instead."""
    from op_trading.analytics import positions as ps
    from op_trading.storage.schema import leg_point
    from tests.fixtures_analytics import settings

    db, days = store(tmp_path), [day for day in DAYS[:5] if day.weekday() < 5]
    for number, day in enumerate(days):
        for moment in cycles(day, (15, 10), (15, 30)):
            db.write([common.make_point("index_overview", {"index": "INDIA VIX", "source": "mock"},
                                        {"last_price": 12 + number + moment.minute / 100}, moment)])
            db.write([leg_point({"timestamp": moment.isoformat(), "index": "NIFTY", "expiry": "2026-07-30",
                                 "strike": 24500, "side": side, "oi": 1000 + number * 10 + moment.minute,
                                 "volume": 500, "last_price": 100.0 + moment.minute, "source": "mock",
                                 "atm_strike": 24500, "bucket": "this_week", "strike_offset": "atm"})
                      for side in ("CALL", "PUT")])
    today = DAYS[5].date()
    assert common.query(db, "index_daily") == [] and common.query(db, ps.CLOSE_MEASUREMENT) == []
    raw_vix = VixHistory(db).closes(today, "mock")
    assert raw_vix == [12 + number + 0.29 for number in range(len(days))]
    assert [row["close"] for row in common.query(db, "index_daily")] == raw_vix  # written by the fallback
    assert VixHistory(db).closes(today, "mock") == raw_vix  # now from the rollup

    monitor = ps.PositionMonitor.from_settings(settings(), store=db)
    raw = monitor.closing_history(DAYS[5])
    stored = common.query(db, ps.CLOSE_MEASUREMENT)
    assert len(stored) == 2 * len(days) and {row["oi"] for row in stored} == \
        {1000 + number * 10 + 29 for number in range(len(days))}  # each contract's last snapshot of each day
    again = ps.PositionMonitor.from_settings(settings(), store=db).closing_history(DAYS[5])
    assert len(again) == len(stored) < len(raw)  # one rollup row per contract and day, not the raw window
