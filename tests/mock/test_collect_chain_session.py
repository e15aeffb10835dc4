"""Chain snapshots against the simulator through the official kiteconnect client and our Kite call layer (the shared
1 request/s quote limiter paces every call, so each quote call here costs about a second): quote calls as the server
counts them, coverage checked against the simulator's own instrument list, shared bucket labels, due timing, the
switch, a failing snapshot, and the metrics the service's analyzer computes from the snapshot."""

import math
from datetime import date

import pytest

from op_trading.market.expiries import assign_buckets
from op_trading.runtime.analysis import CycleAnalyzer
from op_trading.runtime.collect import CollectionSession, build_snapshotter, run_collection
from op_trading.storage import open_sinks, open_store
from tests.fixtures_collect import quote_requests, sim_collector, sim_settings, start_simulator

START = "2025-10-14 11:00:05"  # a Tuesday session, NIFTY weekly expiry day


@pytest.fixture
def sandbox():
    simulator = start_simulator(START, speed=0.0)  # frozen: the test moves the clock
    yield simulator
    simulator.stop()


def session_for(sandbox, sinks=(), **overrides):
    session, settings, _ = session_and_feed(sandbox, sinks, **overrides)
    return session, settings


def session_and_feed(sandbox, sinks=(), **overrides):
    settings = sim_settings(**{"DATA_SOURCE_MODE": "mock", **overrides})
    collector, feed = sim_collector(sandbox, settings)
    session = CollectionSession(collector, list(sinks), "mock", None, build_snapshotter(settings, collector))
    return session, settings, feed


def expected_symbols(sandbox, day, overviews, window=20):
    """From the simulator's own dump: every strike listing CE and PE within ±window of the ATM, for each expiry that
    has an expiry bucket today."""
    spots = {row["symbol"]: row["last_price"] for row in overviews}
    names = {"NIFTY": "NIFTY 50", "SENSEX": "SENSEX", "BANKNIFTY": "NIFTY BANK", "FINNIFTY": "NIFTY FIN SERVICE",
             "MIDCPNIFTY": "NIFTY MID SELECT"}
    contracts = {}
    for row in sandbox.universe(day).instruments:
        if row.name in names and row.instrument_type in ("CE", "PE") and names[row.name] in spots:
            contracts.setdefault((row.name, row.expiry), {}).setdefault(row.strike, {})[row.instrument_type] = row
    bucketed = {(name, expiry) for name in names
                for expiry in assign_buckets({e for n, e in contracts if n == name}, day).values()}
    wanted = set()
    for (name, expiry), by_strike in contracts.items():
        if (name, expiry) not in bucketed:
            continue
        strikes = sorted(strike for strike, sides in by_strike.items() if len(sides) == 2)
        spot = spots[names[name]]
        centre = min(range(len(strikes)), key=lambda pos: (abs(strikes[pos] - spot), -strikes[pos]))
        for strike in strikes[max(0, centre - window):centre + window + 1]:
            wanted |= {by_strike[strike]["CE"].tradingsymbol, by_strike[strike]["PE"].tradingsymbol}
    return wanted


def test_default_universe_snapshot_quote_calls_and_coverage(sandbox):
    session, _, feed = session_and_feed(sandbox)
    report = session.run_cycle()
    chain, cycle = report.chain, report.cycle
    stats = chain.stats
    assert quote_requests(sandbox, feed) == cycle.stats.quote_calls + stats.quote_calls
    assert cycle.stats.quote_calls == 2  # the cycle's own figure (first run: spots first), snapshot calls apart
    assert stats.quote_calls == math.ceil(stats.instruments_requested / 500) and stats.instruments_missing == 0
    symbols = [option["tradingsymbol"] for option in chain.options]
    assert len(symbols) == len(set(symbols)) == chain.size == stats.instruments_requested + stats.instruments_reused
    assert set(symbols) == expected_symbols(sandbox, date(2025, 10, 14), cycle.overviews)
    assert len(chain.expiries) == len({(e.index, e.expiry) for e in chain.expiries}) == 14
    assert {option["source"] for option in chain.options} == {"mock"}
    assert sum(option["iv"] is not None for option in chain.options) > 0.9 * chain.size
    line = report.line()
    assert "quote_calls=2" in line and f"chain={chain.size} options/14 expiries in {stats.quote_calls} quote" in line
    assert session.totals.quote_calls == 2 and session.totals.snapshot_quote_calls == stats.quote_calls


def test_a_shared_expiry_is_fetched_once_and_carries_both_bucket_labels(sandbox):
    sandbox.clock.set("2025-10-27 11:00:05", speed=0)  # Monday before the monthly: this week's is the month's
    session, _, feed = session_and_feed(sandbox, INDICES="NIFTY,SENSEX")
    report = session.run_cycle()
    chain = report.chain
    buckets = {(e.index, e.expiry): e.buckets for e in chain.expiries}
    assert buckets[("NIFTY", date(2025, 10, 28))] == ("this_week", "this_month")
    assert buckets[("SENSEX", date(2025, 10, 30))] == ("this_week", "this_month")
    assert len(chain.expiries) == 6 and sorted(len(b) for b in buckets.values()) == [1, 1, 1, 1, 2, 2]
    assert chain.chain_for("NIFTY", "this_month") is chain.chain_for("NIFTY", "this_week")
    symbols = [option["tradingsymbol"] for option in chain.options]
    assert len(symbols) == len(set(symbols)) == chain.stats.instruments_requested + chain.stats.instruments_reused
    assert set(symbols) == expected_symbols(sandbox, date(2025, 10, 27), report.cycle.overviews)
    assert quote_requests(sandbox, feed) == report.cycle.stats.quote_calls + chain.stats.quote_calls


def test_snapshots_follow_the_interval_and_none_when_switched_off(sandbox):
    session, _, on = session_and_feed(sandbox, INDICES="NIFTY", CHAIN_SNAPSHOT_SECONDS="300")
    assert session.run_cycle().chain is not None  # the first cycle
    calls = quote_requests(sandbox, on)
    sandbox.clock.set("2025-10-14 11:04:35", speed=0)
    report = session.run_cycle()
    assert report.chain is None and quote_requests(sandbox, on) == calls + 1  # the cycle's own call only
    sandbox.clock.set("2025-10-14 11:05:05", speed=0)
    report = session.run_cycle()
    assert report.chain is not None and report.chain.timestamp == "2025-10-14T11:05:00+05:30"
    assert session.totals.snapshots == 2 and session.totals.quote_calls == 4

    sandbox.reset_stats()
    off, _, feed = session_and_feed(sandbox, INDICES="NIFTY", CHAIN_SNAPSHOT_SECONDS="0")
    reports = [off.run_cycle() for _ in range(2)]
    assert all(r.chain is None and "chain=" not in r.line() for r in reports)
    assert quote_requests(sandbox, feed) == sum(r.cycle.stats.quote_calls for r in reports)
    assert off.totals.snapshot_quote_calls == 0


def test_a_failing_snapshot_is_a_warning_and_the_cycle_records_are_stored(sandbox):
    session, settings = session_for(sandbox, INDICES="NIFTY", STORAGE_SINKS="embedded")
    session.sinks = open_sinks(settings)
    collector = session.collector
    run = collector.run_cycle

    def cycle_then_market_data_denied():
        result = run()
        sandbox.set_faults("permission_rate=1")  # every quote call after the cycle's own: 403 PermissionException
        return result

    collector.run_cycle = cycle_then_market_data_denied
    report = session.run_cycle()
    for sink in session.sinks:
        sink.flush()
    assert report.chain is None and report.cycle is not None and report.ok
    assert report.warnings == ["chain snapshot failed: PermissionException (HTTP 403): Insufficient permission for "
                               "that call."]
    assert report.warnings[0] in report.line() and report.warnings[0] in session.totals.warnings
    store = open_store(settings)
    assert len(store.query("atm_option_quote")) == len(report.cycle.legs) == 4 * 5 * 2
    assert len(store.query("index_overview")) == len(report.cycle.overviews)
    store.close()
    for sink in session.sinks:
        sink.close()
    session.sinks, collector.run_cycle = [], run
    sandbox.set_faults("")
    sandbox.clock.set("2025-10-14 11:00:35", speed=0)
    assert session.run_cycle().chain is None  # retried one interval later, not at every cycle
    sandbox.clock.set("2025-10-14 11:05:05", speed=0)
    assert session.run_cycle().chain.size > 0


def test_the_service_analyzer_computes_chain_metrics_from_the_snapshot(sandbox):
    session, settings = session_for(sandbox, INDICES="FINNIFTY", LIVE_ANALYTICS_ENABLED="true")
    report = session.run_cycle()
    analyzer = CycleAnalyzer(settings)
    try:
        analyzer(report)
        metrics = analyzer.last.metrics
        assert [(m.index, m.bucket, m.basis) for m in metrics] == [("FINNIFTY", "this_month", "chain"),
                                                                   ("FINNIFTY", "next_month", "chain")]
        for m in metrics:
            options = report.chain.chain_for(m.index, m.bucket).options
            assert m.max_pain in {option["strike"] for option in options} and m.options_used == len(options)
            assert m.as_of.isoformat() == report.chain.timestamp and m.source == "mock"
        assert "from chain" in analyzer.tables()[0].caption
    finally:
        analyzer.close()


def test_run_collection_attaches_snapshots_and_counts_their_calls_apart(project_home):
    settings = sim_settings(DATA_SOURCE_MODE="mock", SIMULATOR_SPEED="120", STORAGE_SINKS="embedded",
                            INDICES="MIDCPNIFTY", CHAIN_SNAPSHOT_SECONDS="3600")
    reports = []
    outcome = run_collection(settings, cycles=2, on_cycle=reports.append)
    assert reports[0].chain is not None and reports[1].chain is None  # the first cycle's, then not due
    assert outcome.data["snapshots"] == 1 and outcome.data["quote_calls"] == 3  # the cycles' own: 2 + 1
    assert outcome.data["snapshot_quote_calls"] == reports[0].chain.stats.quote_calls == 1
    assert "1 chain snapshot(s) in 1 more quote call(s)" in outcome.message
    assert ("quote calls per chain snapshot", 1.0) in outcome.tables[0].rows
