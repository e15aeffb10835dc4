"""Collection cycles against the local simulator through the official kiteconnect client and our Kite call layer.

Covers: API calls per cycle (counted by the simulator), record keys and types, bucket selection on an expiry day,
in the week of a monthly expiry and after it (2025 dates, NSE Tuesday / BSE Thursday, the Diwali holidays of
21-22 Oct moving a weekly expiry back), exact-underlying matching, baselines across a restart, token expiry.
"""

from datetime import date, datetime

import pytest

from op_trading.collectors.cycle import CycleStats
from op_trading.collectors.loop import TOKEN_EXPIRED_MESSAGE, run_loop
from op_trading.collectors.records import LEG_KEYS, OVERVIEW_KEYS
from op_trading.market.calendar import to_ist
from op_trading.market.indices import BY_KEY, OPTION_INDICES
from op_trading.storage.schema import points_from_records
from tests.fixtures_collect import quote_requests, sim_collector, start_simulator

LABEL_TO_INDEX = {index.label: index for index in OPTION_INDICES}


@pytest.fixture
def expiry_day_sim():
    sandbox = start_simulator("2025-10-14 11:00:05")  # Tuesday: NIFTY weekly expiry day
    yield sandbox
    sandbox.stop()


def expiries_by_bucket(collector, sandbox):
    now = to_ist(sandbox.clock.now())
    universe = collector.market.universe(now.date(), now)
    return {(chain.index.key, chain.bucket): chain.expiry for chain in universe.chains}


def test_cycles_cost_one_quote_call_after_the_first_and_records_have_the_right_shape(expiry_day_sim):
    sandbox = expiry_day_sim
    collector, feed = sim_collector(sandbox)
    first = collector.run_cycle()
    assert quote_requests(sandbox, feed) == 2  # first run ever: spots first, then the legs
    assert sandbox.count("GET /instruments/{exchange}") == 4 == first.stats.instrument_calls  # NFO BFO NSE BSE
    second = collector.run_cycle()
    assert quote_requests(sandbox, feed) == 3 and second.stats.quote_calls == 1
    assert sandbox.count("GET /instruments/{exchange}") == 4 and second.stats.instrument_calls == 0
    assert sandbox.count("GET /quote", 429) == 0
    assert second.stats.instruments_requested <= 500 and second.stats.instruments_missing == 0

    assert len(second.legs) == (4 + 4 + 2 + 2 + 2) * 5 * 2
    for leg in second.legs:
        assert list(leg) == list(LEG_KEYS)
        assert isinstance(leg["atm_strike"], int) and isinstance(leg["strike"], float)
        assert isinstance(leg["oi"], int) and isinstance(leg["volume"], int) and isinstance(leg["oi_open"], int)
        assert isinstance(leg["last_price"], float) and leg["source"] == "mock"
        assert leg["iv"] is None or 0.01 < leg["iv"] < 3
        assert leg["oi_change"] == leg["oi"] - leg["oi_open"]
        assert datetime.fromisoformat(leg["timestamp"]).second in (0, 30)
    assert len({leg["timestamp"] for leg in second.legs + second.overviews}) == 1
    assert [o["symbol"] for o in second.overviews] == ["NIFTY 50", "SENSEX", "NIFTY BANK", "NIFTY FIN SERVICE",
                                                       "NIFTY MID SELECT", "INDIA VIX"]
    assert all(list(o)[:len(OVERVIEW_KEYS)] == list(OVERVIEW_KEYS) for o in second.overviews)
    points, problems = points_from_records(second.records)
    assert problems == [] and len(points) == len(second.records)


def test_ivs_are_computed_and_plausible(expiry_day_sim):
    result = sim_collector(expiry_day_sim)[0].run_cycle()
    atm = [leg for leg in result.legs if leg["strike_offset"] == "atm"]
    assert sum(leg["iv"] is not None for leg in atm) >= len(atm) - 2
    for overview in result.overviews[:5]:
        assert 0.03 < overview["this_month_atm_iv"] < 1.0
        assert overview["this_month_iv_day_change"] == pytest.approx(0.0)  # first cycle of the day: the open


def test_expiry_day_buckets_and_a_holiday_moved_weekly(expiry_day_sim):
    collector, _ = sim_collector(expiry_day_sim)
    buckets = expiries_by_bucket(collector, expiry_day_sim)
    assert buckets[("NIFTY", "this_week")] == date(2025, 10, 14)  # expiring today: still this week
    assert buckets[("NIFTY", "next_week")] == date(2025, 10, 20)  # Tue 21 Oct is a holiday: moved to Monday
    assert buckets[("NIFTY", "this_month")] == date(2025, 10, 28)
    assert buckets[("NIFTY", "next_month")] == date(2025, 11, 25)
    assert buckets[("SENSEX", "this_week")] == date(2025, 10, 16)
    assert buckets[("SENSEX", "this_month")] == date(2025, 10, 30)
    for key in ("BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"):
        assert (key, "this_week") not in buckets and (key, "next_week") not in buckets
        assert buckets[(key, "this_month")] == date(2025, 10, 28)
    legs = collector.run_cycle().legs
    nifty_week = [leg for leg in legs if leg["index"] == "NIFTY" and leg["bucket"] == "this_week"]
    assert nifty_week and {leg["days_to_expiry"] for leg in nifty_week} == {0}


@pytest.mark.parametrize("start_at,expected", [
    ("2025-10-27 10:00", {("NIFTY", "this_week"): date(2025, 10, 28), ("NIFTY", "this_month"): date(2025, 10, 28),
                          ("NIFTY", "next_week"): date(2025, 11, 4), ("NIFTY", "next_month"): date(2025, 11, 25),
                          ("SENSEX", "this_week"): date(2025, 10, 30), ("SENSEX", "this_month"): date(2025, 10, 30),
                          ("BANKNIFTY", "this_month"): date(2025, 10, 28)}),
    ("2025-10-29 10:00", {("NIFTY", "this_week"): date(2025, 11, 4), ("NIFTY", "this_month"): date(2025, 11, 25),
                          ("NIFTY", "next_month"): date(2025, 12, 30), ("BANKNIFTY", "this_month"): date(2025, 11, 25),
                          ("BANKNIFTY", "next_month"): date(2025, 12, 30),
                          ("SENSEX", "this_month"): date(2025, 10, 30)}),
], ids=["week-of-monthly", "after-nse-monthly"])
def test_buckets_around_a_monthly_expiry(start_at, expected):
    sandbox = start_simulator(start_at)
    try:
        buckets = expiries_by_bucket(sim_collector(sandbox)[0], sandbox)
    finally:
        sandbox.stop()
    assert {key: buckets.get(key) for key in expected} == expected


def test_legs_use_only_contracts_of_their_own_underlying(expiry_day_sim):
    legs = sim_collector(expiry_day_sim)[0].run_cycle().legs
    listed = expiry_day_sim.universe()
    exchanges = {index.label: index.options_exchange for index in OPTION_INDICES}
    for leg in legs:
        contract = listed.resolve(f"{exchanges[leg['index']]}:{leg['tradingsymbol']}")
        assert contract is not None and contract.name == LABEL_TO_INDEX[leg["index"]].underlying
        assert contract.expiry.isoformat() == leg["expiry"] and contract.strike == leg["strike"]
        assert contract.instrument_token == leg["instrument_token"]
    nifty = [leg["tradingsymbol"] for leg in legs if leg["index"] == "NIFTY"]
    assert nifty and not [s for s in nifty if s.startswith(("BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"))]


def test_atm_is_the_listed_strike_nearest_the_spot(expiry_day_sim):
    result = sim_collector(expiry_day_sim)[0].run_cycle()
    for overview in result.overviews[:5]:
        index = BY_KEY[overview["index"]]
        legs = [leg for leg in result.legs if leg["index"] == index.label and leg["bucket"] == "this_month"]
        strikes = sorted({leg["strike"] for leg in legs})
        atm = overview["atm_strike"]
        assert strikes[2] == atm  # offsets -2..+2 around it
        assert abs(atm - overview["last_price"]) <= (strikes[3] - strikes[2]) / 2 + 1e-9


def test_baselines_and_spot_hints_survive_a_restart(expiry_day_sim, tmp_path):
    first_collector, first_feed = sim_collector(expiry_day_sim)
    first = first_collector.run_cycle()
    restarted, feed = sim_collector(expiry_day_sim)
    before = quote_requests(expiry_day_sim, first_feed)
    again = restarted.run_cycle()
    assert quote_requests(expiry_day_sim, first_feed, feed) == before + 1  # no spots-first call after a restart
    opens = {leg["tradingsymbol"]: leg["oi_open"] for leg in first.legs}
    for leg in again.legs:
        if leg["tradingsymbol"] in opens:
            assert leg["oi_open"] == opens[leg["tradingsymbol"]]


def test_dumps_are_cached_on_disk_per_day_when_asked(expiry_day_sim, project_home):
    collector, _ = sim_collector(expiry_day_sim, persistent_cache=True)
    collector.run_cycle()
    cached = sorted(path.name for path in (project_home / "data" / "cache" / "instruments").iterdir())
    assert cached == ["BFO_2025-10-14.csv", "INDICES_2025-10-14.csv", "NFO_2025-10-14.csv"]
    again, _ = sim_collector(expiry_day_sim, persistent_cache=True)
    assert again.run_cycle().stats.instrument_calls == 0


def test_token_expiry_stops_the_loop_with_one_message_and_no_retries():
    sandbox = start_simulator("2025-10-14 11:00:05", speed=60)  # the next :30 boundary comes in 0.4 s
    collector, feed = sim_collector(sandbox)
    seen = []

    def after_cycle(result):
        seen.append(result)
        sandbox.expire_tokens()

    try:
        result = run_loop(collector.run_cycle, interval=30, clock=feed.clock, cycles=None, on_cycle=after_cycle)
    finally:
        sandbox.stop()
    assert result.auth_failed and result.message == TOKEN_EXPIRED_MESSAGE and len(seen) == 1
    assert sandbox.count("GET /quote", 403) == 1  # rejected once, never retried


def test_cycle_stats_api_calls_add_up():
    stats = CycleStats(quote_calls=1, instrument_calls=4, wall_ms=10, network_ms=7)
    assert stats.api_calls == 5 and stats.processing_ms == 3
