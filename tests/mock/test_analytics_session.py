"""A simulated session end to end: the local Kite simulator through the official kiteconnect client, the collector,
the embedded store, and every analytic on top — chain metrics, cash flows, positions, breadth, alerts, participant
files from the simulator, and the next morning's pre-market capture with the overnight gap."""

from datetime import date, datetime, timedelta

import pytest

from op_trading.analytics import participants as pa
from op_trading.analytics.cashflow import aggregate
from op_trading.analytics.common import find_index, instrument_key
from op_trading.analytics.live import LiveAnalytics
from op_trading.analytics.participant_import import ParticipantImporter
from op_trading.market.calendar import IST
from op_trading.outcome import Status
from op_trading.sandbox import participants as sim
from op_trading.storage.schema import points_from_records
from tests.fixtures_analytics import settings, store

SESSION_DAY, NEXT_DAY = date(2026, 7, 27), date(2026, 7, 28)  # Monday, Tuesday
CYCLE = timedelta(minutes=30)


@pytest.fixture
def market(tmp_path):
    from kiteconnect import KiteConnect

    from op_trading.collectors.baselines import DayBaselines
    from op_trading.collectors.cycle import Collector
    from op_trading.collectors.iv import AnalyticsIv
    from op_trading.collectors.market_data import MarketData
    from op_trading.market.indices import OPTION_INDICES
    from op_trading.market.instruments import InstrumentCache
    from op_trading.sandbox.server import Sandbox

    sandbox = Sandbox(port=0, seed=42, speed=0.0, rate_limits=False, start_at=f"{SESSION_DAY} 09:15:00").start()
    kite = KiteConnect(api_key=sandbox.api_key, access_token=sandbox.issue_access_token(), root=sandbox.url)
    collector = Collector(kite.quote, MarketData(kite.instruments, InstrumentCache(None), OPTION_INDICES),
                          DayBaselines(tmp_path / "state", "mock"), AnalyticsIv(), source="mock",
                          clock=sandbox.clock.now)
    yield sandbox, collector
    sandbox.stop()


def run_cycle(sandbox, collector, db, moment):
    sandbox.clock.set(moment, speed=0)
    result = collector.run_cycle()
    points, problems = points_from_records(result.legs + result.overviews)
    assert problems == []
    db.write(points)
    return result


def check_chain_metrics(result, analytics):
    assert len(analytics.metrics) == 14 and {m.source for m in analytics.metrics} == {"mock"}
    overviews = {o["index"]: o for o in result.overviews}
    for metrics in analytics.metrics:
        legs = [leg for leg in result.legs if leg["bucket"] == metrics.bucket and leg["expiry"] == metrics.expiry
                and find_index(leg["index"]).key == metrics.index]
        overview = overviews[metrics.index]
        assert metrics.atm_strike == legs[0]["atm_strike"]  # same ATM as the collector
        assert metrics.max_pain in {leg["strike"] for leg in legs} and metrics.pcr_oi >= 0
        prefix = metrics.bucket
        # two implementations, one definition: CE+PE and ATM IV agree with the collector's overview aggregates
        assert metrics.total_premium == pytest.approx(overview[f"{prefix.upper()}_TP"])
        assert metrics.atm_iv == pytest.approx(overview[f"{prefix}_atm_iv"], rel=1e-9)
        assert metrics.iv_day_change == pytest.approx(overview[f"{prefix}_iv_day_change"], abs=1e-9)


def test_simulated_session_end_to_end(market, tmp_path):
    sandbox, collector = market
    db = store(tmp_path)
    config = settings(POSITION_MONITOR_INTERVAL="30m", ALERT_COOLDOWN_MINUTES=60, IV_SPIKE_ALERT_POINTS=0.5,
                      PARTICIPANT_DATA_DIR=tmp_path / "participants")
    live = LiveAnalytics.from_settings(config, db)

    # Participant files of the previous sessions, written by the simulator in NSE's format, imported as mock.
    sim.write_history(tmp_path / "participants", SESSION_DAY - timedelta(days=1), 3)
    before = ParticipantImporter.from_settings(config, store=db).run(SESSION_DAY, alerts=live.alerts)
    assert before.status is Status.OK and before.data["latest_day"] == "2026-07-24"

    engines = []
    moment, cycles = datetime.combine(SESSION_DAY, datetime.min.time(), IST).replace(hour=9, minute=20), []
    while moment.time() < datetime.strptime("15:30", "%H:%M").time():
        result = run_cycle(sandbox, collector, db, moment)
        cycles.append((result, live.on_cycle(result.legs, result.overviews)))
        moment += CYCLE
        if moment.hour == 12 and moment.minute < 30:  # the service restarts at midday: history comes from the store
            engines.append(live.alerts)
            live = LiveAnalytics.from_settings(config, db)
            restarted = run_cycle(sandbox, collector, db, moment)
            after_restart = live.on_cycle(restarted.legs, restarted.overviews)
            both = {instrument_key(leg) for leg in restarted.legs} & {instrument_key(leg) for leg in cycles[-1][0].legs}
            changes = [c for c in after_restart.positions["changes"] if c.instrument in both]
            assert len(changes) == len(both) > 50 and {c.end for c in changes} == {moment}  # paired with stored rows
            assert all(m.iv_open == cycles[0][1].metrics[n].iv_open
                       for n, m in enumerate(after_restart.metrics))  # the day's open IV survives
            cycles.append((restarted, after_restart))
            moment += CYCLE
    result, analytics = cycles[-1]
    check_chain_metrics(result, analytics)
    assert len(db.query("chain_metrics", tags={"index": "NIFTY", "bucket": "this_week"})) == len(cycles)

    flows = [flow for _, step in cycles for flow in step.flows]
    assert flows and {flow.source for flow in flows} == {"mock"}
    for timeframe in ("15m", "1h", "1d"):
        buckets = aggregate(flows, timeframe, "sector")
        assert sum(b.inflow + b.outflow + b.unclassified for b in buckets) == pytest.approx(
            sum(f.inflow + f.outflow + f.unclassified for f in flows))
    assert len(db.query("cash_flow")) == len(flows)

    assert analytics.positions["changes"] and analytics.positions["net"]
    assert {c.source for c in analytics.positions["changes"]} == {"mock"}
    breadth = analytics.breadth
    assert breadth.advances + breadth.declines + breadth.unchanged == 5
    moves = {o["index"]: o["net_change"] for o in result.overviews}
    assert breadth.advances == sum(1 for key in ("NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")
                                   if moves[key] > 0)
    vix = next(o for o in result.overviews if o["index"] == "INDIAVIX")
    assert analytics.regime.vix == vix["last_price"] and analytics.regime.label in ("low", "normal", "elevated", "high")

    raised = [alert for engine in engines + [live.alerts] for alert in engine.recent]
    assert raised and {alert.source for alert in raised} == {"mock"}
    types = {alert.type for alert in raised}
    assert "iv_spike" in types and types & {"fii_cash", "dii_cash"}  # from the cycles and from the participant import
    last_seen = {}
    for alert in sorted(raised, key=lambda a: a.time):  # once per cool-down, across the restart too
        assert alert.key not in last_seen or alert.time - last_seen[alert.key] >= timedelta(minutes=60)
        last_seen[alert.key] = alert.time
    assert len(db.query("alerts")) == len(raised)
    titles = [table.title for table in live.tables(analytics)]
    assert titles[0] == "Option chain metrics" and titles[-1] == "Recent alerts"

    # After the close NSE publishes the day's files; the next morning the pre-market capture sums the session up.
    sim.write_day(tmp_path / "participants", SESSION_DAY)
    after = ParticipantImporter.from_settings(config, store=db).run(NEXT_DAY)
    assert after.data["latest_day"] == "2026-07-27" and "source: mock" in after.tables[0].caption
    assert live.tick(datetime.combine(NEXT_DAY, datetime.min.time(), IST).replace(hour=7, minute=59)) is None
    premarket = live.tick(datetime.combine(NEXT_DAY, datetime.min.time(), IST).replace(hour=8))
    summary = live.premarket.last
    assert premarket.status is Status.OK and summary.previous_session == SESSION_DAY
    assert len(summary.chain) == 14
    closing = {(m.index, m.bucket): m for m in analytics.metrics}
    for row in summary.chain:
        assert row["pcr_oi"] == pytest.approx(closing[(row["index"], row["bucket"])].pcr_oi)
    assert {p.day for p in summary.positions} == {SESSION_DAY} and summary.cash.day == SESSION_DAY

    opening = run_cycle(sandbox, collector, db, datetime.combine(NEXT_DAY, datetime.min.time(), IST).replace(
        hour=9, minute=15, second=30))
    gap_outcome = live.tick(datetime.combine(NEXT_DAY, datetime.min.time(), IST).replace(hour=9, minute=16))
    gaps = {gap.index: gap for gap in live.premarket.last.gaps}
    assert gap_outcome.status is Status.OK and set(gaps) == {"NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY",
                                                             "MIDCPNIFTY", "INDIAVIX"}
    for overview in opening.overviews:
        assert gaps[overview["index"]].points == pytest.approx(overview["open"] - overview["close"])
    assert len(db.query(pa.MEASUREMENT, tags={"kind": "oi", "category": "FII"})) == 4
