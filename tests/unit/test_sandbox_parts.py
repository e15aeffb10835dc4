"""The simulator's pure parts: symbols, lot sizes, strikes, pricing, clock, sessions, rate limiter, market model."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from op_trading.market import calendar
from op_trading.sandbox import contracts, pricing
from op_trading.sandbox.clock import SimClock, default_start
from op_trading.sandbox.ratelimit import RateLimiter
from op_trading.sandbox.sessions import SessionStore, checksum, next_six_am


@pytest.mark.parametrize("underlying, expiry, strike, kind, monthly, symbol", [
    ("NIFTY", date(2020, 12, 17), 13600, "CE", False, "NIFTY20D1713600CE"),
    ("BANKNIFTY", date(2020, 2, 6), 30900, "CE", False, "BANKNIFTY2020630900CE"),
    ("BANKNIFTY", date(2024, 1, 31), 37500, "CE", False, "BANKNIFTY2413137500CE"),
    ("NIFTY", date(2025, 8, 14), 24500, "CE", False, "NIFTY2581424500CE"),
    ("SENSEX", date(2025, 10, 16), 82500, "CE", False, "SENSEX25O1682500CE"),
    ("NIFTY", date(2026, 11, 3), 26000, "PE", False, "NIFTY26N0326000PE"),
    ("NIFTY", date(2025, 8, 28), 24500, "CE", True, "NIFTY25AUG24500CE"),
    ("SENSEX", date(2025, 10, 30), 82500, "CE", True, "SENSEX25OCT82500CE"),
])
def test_option_symbols_match_kite_examples(underlying, expiry, strike, kind, monthly, symbol):
    assert contracts.option_symbol(underlying, expiry, strike, kind, monthly) == symbol


def test_future_symbol_and_strike_text():
    assert contracts.future_symbol("NIFTY", date(2026, 12, 29)) == "NIFTY26DECFUT"
    assert contracts.strike_text(24550.0) == "24550" and contracts.strike_text(12.5) == "12.5"


@pytest.mark.parametrize("underlying, expiry, lot", [
    ("NIFTY", date(2026, 1, 6), 65), ("NIFTY", date(2025, 12, 30), 75), ("BANKNIFTY", date(2025, 12, 30), 35),
    ("BANKNIFTY", date(2026, 1, 27), 30), ("MIDCPNIFTY", date(2025, 6, 26), 120), ("FINNIFTY", date(2026, 2, 24), 60),
    ("SENSEX", date(2026, 1, 1), 20),
])
def test_lot_size_follows_the_revision_for_the_expiry(underlying, expiry, lot):
    assert contracts.lot_size(underlying, expiry) == lot


def test_strike_grid_has_a_fine_centre_and_coarse_wings():
    strikes = contracts.strikes_around("BANKNIFTY", 59_040)
    assert 59_000 in strikes and 56_500 in strikes and 61_500 in strikes
    gaps = {b - a for a, b in zip(strikes, strikes[1:])}
    assert gaps <= {100.0, 500.0} and strikes[0] <= 59_000 - 2_500 - 6_000 + 500
    assert len(contracts.strikes_around("NIFTY", 26_010)) > 100


def test_black76_parity_monotonicity_and_smile():
    fwd, years = 26_000.0, 14 / 365
    call, put = pricing.black76(fwd, 25_800, years, 0.12, True), pricing.black76(fwd, 25_800, years, 0.12, False)
    assert call - put == pytest.approx(math.exp(-pricing.RATE * years) * (fwd - 25_800), abs=1e-6)
    calls = [pricing.option_value(26_000, k, years, 13, 1.0, True) for k in range(25_000, 27_001, 250)]
    assert calls == sorted(calls, reverse=True)
    atm = pricing.atm_volatility(13, 1.0, years)
    low, high, far = (pricing.smile_volatility(atm, fwd, k, years) for k in (24_500, 27_500, 29_000))
    assert low > atm > high and far > high  # put skew, and the call wing turns up again (curvature)
    assert pricing.atm_volatility(13, 1.0, 2 / 365) > pricing.atm_volatility(13, 1.0, 60 / 365)


def test_expired_options_are_worth_intrinsic_or_one_tick():
    assert pricing.option_value(26_100, 26_000, 0.0, 13, 1.0, True) == pytest.approx(100.0)
    assert pricing.option_value(26_100, 26_000, 0.0, 13, 1.0, False) == pricing.TICK
    close = calendar.market_close_at(date(2026, 11, 23))
    assert pricing.years_to_expiry(close + timedelta(minutes=5), date(2026, 11, 23)) == 0.0


def test_default_clock_start():
    ist = calendar.IST
    assert default_start(datetime(2026, 11, 21, 12, 0, tzinfo=ist)) == datetime(2026, 11, 20, 9, 15, tzinfo=ist)
    assert default_start(datetime(2026, 11, 23, 8, 0, tzinfo=ist)) == datetime(2026, 11, 20, 9, 15, tzinfo=ist)
    inside = datetime(2026, 11, 23, 10, 5, tzinfo=ist)
    assert default_start(inside) == inside
    assert default_start(datetime(2026, 11, 23, 16, 0, tzinfo=ist)) == datetime(2026, 11, 23, 9, 15, tzinfo=ist)
    # the last half hour: the session's own open (a run there would otherwise meet the close at once)
    assert default_start(datetime(2026, 11, 23, 15, 0, tzinfo=ist)) == datetime(2026, 11, 23, 15, 0, tzinfo=ist)
    assert default_start(datetime(2026, 11, 23, 15, 29, tzinfo=ist)) == datetime(2026, 11, 23, 9, 15, tzinfo=ist)


def test_clock_speed_set_and_freeze():
    ticks = [0.0]
    clock = SimClock("2026-11-20 09:15", speed=60, monotonic=lambda: ticks[0])
    ticks[0] = 10.0
    assert clock.now() == datetime(2026, 11, 20, 9, 25, tzinfo=calendar.IST)
    clock.freeze()
    ticks[0] = 99.0
    assert clock.now() == datetime(2026, 11, 20, 9, 25, tzinfo=calendar.IST) and clock.speed == 0
    clock.set("2026-11-19 15:00", speed=1)
    ticks[0] = 100.0
    assert clock.now() == datetime(2026, 11, 19, 15, 0, 1, tzinfo=calendar.IST)
    with pytest.raises(ValueError):
        SimClock(speed=-1)


def test_access_tokens_die_at_six_in_the_morning():
    ist = calendar.IST
    assert next_six_am(datetime(2026, 11, 20, 9, 0, tzinfo=ist)) == datetime(2026, 11, 21, 6, 0, tzinfo=ist)
    assert next_six_am(datetime(2026, 11, 20, 5, 59, tzinfo=ist)) == datetime(2026, 11, 20, 6, 0, tzinfo=ist)
    now = [datetime(2026, 11, 20, 23, 0, tzinfo=ist).timestamp()]
    store = SessionStore(1, wall_clock=lambda: now[0])
    session = store.issue()
    assert store.validate(store.api_key, session.access_token)
    now[0] += 6 * 3600 + 59 * 60  # 05:59
    assert store.validate(store.api_key, session.access_token)
    now[0] += 60
    with pytest.raises(Exception, match="Incorrect"):
        store.validate(store.api_key, session.access_token)


def test_checksum_is_kites():
    import hashlib

    assert checksum("key", "req", "secret") == hashlib.sha256(b"keyreqsecret").hexdigest()


def test_rate_limiter_sliding_window():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.allow("k", "/quote") and not limiter.allow("k", "/quote/ltp")
    assert limiter.allow("other-key", "/quote")  # per api_key
    now[0] = 0.99
    assert not limiter.allow("k", "/quote")
    now[0] = 1.0
    assert limiter.allow("k", "/quote")
    assert all(limiter.allow("k", "/instruments/historical/1/day") for _ in range(3))
    assert not limiter.allow("k", "/instruments/historical/1/day")
    assert sum(limiter.allow("k", "/user/profile") for _ in range(12)) == 10


def test_market_paths_join_the_daily_table_exactly():
    from op_trading.sandbox.market import ALL_KEYS, MarketModel

    market = MarketModel(8)
    day = date(2026, 11, 19)
    path = market.day_path(day)
    for row, key in enumerate(ALL_KEYS):
        assert path.levels[row][-1] == pytest.approx(market.close(key, day))
        assert market.previous_close(key, day) == pytest.approx(market.close(key, date(2026, 11, 18)))
    assert market.close("NIFTY", date(2025, 12, 31)) == pytest.approx(26_000.0)  # the anchor
    assert MarketModel(8).close("SENSEX", day) == market.close("SENSEX", day)
    assert MarketModel(9).close("SENSEX", day) != market.close("SENSEX", day)
    snapshot = market.snapshot("NIFTY", datetime(2026, 11, 19, 12, 0))
    assert snapshot.low <= snapshot.last <= snapshot.high and snapshot.low <= snapshot.average <= snapshot.high


def test_market_has_no_sessions_outside_its_table():
    from op_trading.sandbox.market import MarketModel, NoMarketData

    with pytest.raises(NoMarketData):
        MarketModel(1).close("NIFTY", date(2019, 6, 3))


def test_the_simulators_fast_randint_draws_the_same_numbers_as_random():
    """quotes.Draws writes randint out for speed; answers must stay those of random.Random for the same seed."""
    import random

    from op_trading.sandbox.quotes import Draws

    for seed in ("42:256265:739940:120", "7:x", 12345):
        ours, theirs = Draws(seed), random.Random(seed)
        for low, high in ((0, 0), (0, 4), (1, 3), (1, 10), (1, 40), (200, 5000), (0, 1 << 40)):
            assert [ours.randint(low, high) for _ in range(200)] == [theirs.randint(low, high) for _ in range(200)]
        assert ours.random() == theirs.random()  # and the stream stays in step afterwards
