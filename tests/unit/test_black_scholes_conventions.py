"""IV conventions for the collector: time to 15:30 IST in minutes, the price used, synthetic forward, iv_for_legs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from op_trading.analytics import black_scholes as bs
from op_trading.analytics.iv_conventions import (
    MINUTES_PER_YEAR, iv_for_legs, iv_parameters_from_settings, option_price_for_iv, synthetic_forward,
    time_to_expiry)

IST = timezone(timedelta(hours=5, minutes=30))
EXPIRY = date(2026, 11, 24)

# --- time to expiry -------------------------------------------------------------------------------------------------


def test_minutes_to_1530_ist_over_365_days():
    assert time_to_expiry(datetime(2026, 11, 24, 9, 15, tzinfo=IST), EXPIRY) == 375 / MINUTES_PER_YEAR
    assert time_to_expiry(datetime(2026, 11, 23, 15, 30, tzinfo=IST), EXPIRY) == 24 * 60 / MINUTES_PER_YEAR
    assert time_to_expiry(datetime(2026, 11, 17, 15, 30, tzinfo=IST), EXPIRY) == pytest.approx(7 / 365, rel=1e-15)
    # seconds count too: calendar time, not whole minutes
    assert time_to_expiry(datetime(2026, 11, 24, 15, 29, 30, tzinfo=IST), EXPIRY) == 0.5 / MINUTES_PER_YEAR


def test_zero_at_and_after_expiry():
    assert time_to_expiry(datetime(2026, 11, 24, 15, 30, tzinfo=IST), EXPIRY) == 0.0
    assert time_to_expiry(datetime(2026, 11, 24, 15, 31, tzinfo=IST), EXPIRY) == 0.0
    assert time_to_expiry(datetime(2026, 12, 1, 10, 0, tzinfo=IST), EXPIRY) == 0.0


def test_same_instant_in_any_timezone_gives_the_same_t():
    ist = datetime(2026, 11, 24, 9, 15, tzinfo=IST)
    utc = ist.astimezone(timezone.utc)  # 03:45 UTC
    new_york = ist.astimezone(timezone(timedelta(hours=-5)))  # 22:45 the day before
    assert utc.date() == EXPIRY and new_york.date() == EXPIRY - timedelta(days=1)
    assert time_to_expiry(utc, EXPIRY) == time_to_expiry(new_york, EXPIRY) == time_to_expiry(ist, EXPIRY)


def test_expiry_as_string_date_or_datetime():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=IST)
    expected = time_to_expiry(now, EXPIRY)
    assert time_to_expiry(now, "2026-11-24") == expected
    assert time_to_expiry(now, datetime(2026, 11, 24)) == expected  # Kite dumps sometimes give midnight datetimes


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        time_to_expiry(datetime(2026, 11, 24, 9, 15), EXPIRY)


@pytest.mark.skipif(sys.platform == "win32", reason="sets the machine timezone through TZ and time.tzset (POSIX)")
@pytest.mark.parametrize("machine_tz", ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"])
def test_machine_timezone_is_irrelevant(machine_tz):
    code = ("import json, time; time.tzset(); from datetime import datetime, timezone, date;"
            "from op_trading.analytics.iv_conventions import time_to_expiry;"
            "now = datetime(2026, 11, 24, 3, 45, tzinfo=timezone.utc);"
            "print(json.dumps([time_to_expiry(now, date(2026, 11, 24)), time_to_expiry(now, '2026-11-25')]))")
    env = dict(os.environ, TZ=machine_tz, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [375 / MINUTES_PER_YEAR, (375 + 1440) / MINUTES_PER_YEAR]


# --- price used for IV -----------------------------------------------------------------------------------------------


def _quote(bid, ask, last):
    return {"last_price": last, "depth": {"buy": [{"price": bid, "quantity": 50, "orders": 1}] * 5,
                                          "sell": [{"price": ask, "quantity": 50, "orders": 1}] * 5}}


def test_mid_when_both_sides_quoted():
    assert option_price_for_iv(_quote(101.0, 103.5, 110.0)) == 102.25


@pytest.mark.parametrize("quote", [
    _quote(0, 103.5, 110.0),  # no bid
    _quote(101.0, 0, 110.0),  # no ask
    _quote(104.0, 103.0, 110.0),  # crossed book: not a market
    {"last_price": 110.0},  # no depth at all (index-like quote)
    {"last_price": 110.0, "depth": {"buy": [], "sell": []}},
    {"last_price": 110.0, "depth": None},
    {"last_price": 110.0, "depth": {"buy": [{"price": None}], "sell": [{"price": "x"}]}},
])
def test_last_price_otherwise(quote):
    assert option_price_for_iv(quote) == 110.0


@pytest.mark.parametrize("quote", [None, {}, {"last_price": 0}, {"last_price": None}, {"last_price": float("nan")},
                                   {"last_price": True}, _quote(0, 0, 0)])
def test_nan_when_nothing_is_quoted(quote):
    assert math.isnan(option_price_for_iv(quote))


# --- synthetic forward ----------------------------------------------------------------------------------------------


def test_synthetic_forward_recovers_the_carry_forward():
    spot, t, r, q = 24500.0, 7 / 365, 0.065, 0.012
    strikes = np.arange(24000.0, 25001.0, 100.0)
    calls = bs.price(spot, strikes, t, r, 0.14, "c", q)
    puts = bs.price(spot, strikes, t, r, 0.14, "p", q)
    assert synthetic_forward(strikes, calls, puts, r, t) == pytest.approx(spot * math.exp((r - q) * t), rel=1e-12)


def test_synthetic_forward_uses_the_pair_with_smallest_call_put_gap():
    # 24500 has |C-P| = 5, 24400 has 90: the forward comes from 24500 only.
    result = synthetic_forward([24400, 24500, 24600], [180.0, 120.0, 60.0], [90.0, 115.0, 200.0], 0.0, 0.02)
    assert result == 24505.0


def test_synthetic_forward_skips_unquoted_pairs_and_is_nan_without_any():
    assert synthetic_forward([24400, 24500], [0.0, 120.0], [90.0, 115.0], 0.0, 0.02) == 24505.0
    assert math.isnan(synthetic_forward([24400, 24500], [0.0, np.nan], [90.0, 115.0], 0.0, 0.02))
    assert math.isnan(synthetic_forward([], [], [], 0.065, 0.02))


# --- iv_for_legs -----------------------------------------------------------------------------------------------------

def _cycle(q=0.0, sigma=0.14):
    """Two indices x two expiries of ATM +-2 legs, priced with Black-Scholes at (r=6.5%, q)."""
    legs = []
    for spot, step in ((24512.3, 50.0), (52040.0, 100.0)):
        for days in (2, 30):
            atm = round(spot / step) * step
            for offset in range(-2, 3):
                for flag in ("CE", "PE"):
                    legs.append((spot, atm + offset * step, days / 365, flag))
    spot, strikes, t, flags = (np.array(column) for column in zip(*legs))
    prices = bs.price(spot, strikes, t, 0.065, sigma, flags, q)
    return prices, spot, strikes, t, list(flags)


def test_black_scholes_model_uses_r_and_q():
    prices, spot, strikes, t, flags = _cycle(q=0.01)
    iv = iv_for_legs(prices, spot, strikes, t, flags, model="black_scholes", r=0.065, q=0.01)
    np.testing.assert_allclose(iv, 0.14, rtol=1e-10)
    assert not np.allclose(iv_for_legs(prices, spot, strikes, t, flags, r=0.065, q=0.0), 0.14, rtol=1e-4)


def test_nse_model_is_black_scholes_at_ten_percent():
    prices, spot, strikes, t, flags = _cycle()
    iv = iv_for_legs(prices, spot, strikes, t, flags, model="nse", r=0.065, q=0.03)  # r and q ignored
    np.testing.assert_array_equal(iv, bs.implied_volatility(prices, spot, strikes, t, 0.10, flags, 0.0))
    assert not np.allclose(iv, 0.14, rtol=1e-4)


def test_black76_on_synthetic_forward_absorbs_an_unknown_dividend_yield():
    prices, spot, strikes, t, flags = _cycle(q=0.015)
    iv = iv_for_legs(prices, spot, strikes, t, flags, model="black76", r=0.065)
    np.testing.assert_allclose(iv, 0.14, rtol=1e-9)


def test_black76_with_an_explicit_forward():
    prices, spot, strikes, t, flags = _cycle()
    iv = iv_for_legs(prices, spot, strikes, t, flags, model="black76", r=0.065, forward=spot * np.exp(0.065 * t))
    np.testing.assert_allclose(iv, 0.14, rtol=1e-10)


def test_black76_group_without_a_call_put_pair_is_nan_and_other_groups_are_not():
    prices, spot, strikes, t, flags = _cycle()
    lonely = (spot == spot[0]) & (t == t[0])
    prices = np.where(lonely & (np.array(flags) == "PE"), 0.0, prices)  # that group's puts are unquoted
    iv = iv_for_legs(prices, spot, strikes, t, flags, model="black76", r=0.065)
    assert np.isnan(iv[lonely]).all()
    np.testing.assert_allclose(iv[~lonely], 0.14, rtol=1e-9)


def test_black76_explicit_groups_keep_indices_apart():
    # Two indices that happen to share spot and t: without labels they would share one forward (and be wrong).
    prices_a, spot, strikes, t, flags = _cycle(q=0.0)
    prices_b = bs.price(spot, strikes, t, 0.065, 0.14, flags, 0.03)
    prices = np.concatenate([prices_a, prices_b])
    groups = [("A", s, x) for s, x in zip(spot, t)] + [("B", s, x) for s, x in zip(spot, t)]
    iv = iv_for_legs(prices, np.concatenate([spot, spot]), np.concatenate([strikes, strikes]),
                     np.concatenate([t, t]), flags + flags, model="black76", r=0.065, groups=groups)
    np.testing.assert_allclose(iv, 0.14, rtol=1e-9)
    merged = iv_for_legs(prices, np.concatenate([spot, spot]), np.concatenate([strikes, strikes]),
                         np.concatenate([t, t]), flags + flags, model="black76", r=0.065)
    assert not np.allclose(merged, 0.14, rtol=1e-4, equal_nan=False)
    with pytest.raises(ValueError, match="labels"):
        iv_for_legs(prices, spot[0], 24500.0, t[0], "c", model="black76", groups=groups[:3])


def test_bad_legs_are_nan_and_scalar_in_gives_float_out():
    prices, spot, strikes, t, flags = _cycle()
    prices[[0, 3]] = [np.nan, -1.0]
    t = t.copy()
    t[5] = 0.0  # expired
    iv = iv_for_legs(prices, spot, strikes, t, flags)
    assert np.isnan(iv[[0, 3, 5]]).all() and np.isfinite(np.delete(iv, [0, 3, 5])).all()
    single = iv_for_legs(float(prices[1]), float(spot[1]), float(strikes[1]), float(t[1]), flags[1])
    assert type(single) is float and single == pytest.approx(0.14, rel=1e-10)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown IV model"):
        iv_for_legs([100.0], 24500, [24500], 0.02, ["c"], model="heston")


def test_parameters_from_settings():
    from op_trading.config.settings import load_settings

    settings = load_settings("development", overrides={"IV_MODEL": "black76", "IV_RISK_FREE_RATE": "0.07",
                                                        "IV_DIVIDEND_YIELD": "0.01"})
    assert iv_parameters_from_settings(settings) == {"model": "black76", "r": 0.07, "q": 0.01}
    defaults = iv_parameters_from_settings(load_settings("development"))
    assert defaults == {"model": "black_scholes", "r": 0.065, "q": 0.0}
