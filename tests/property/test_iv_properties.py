"""Property-based tests (hypothesis) of implied volatility and the time-to-expiry convention."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
from hypothesis import assume, given, settings, strategies as st

from op_trading.analytics import black_scholes as bs
from op_trading.analytics.iv_conventions import MINUTES_PER_YEAR, time_to_expiry

EPS = np.finfo(float).eps
MINUTE = 1 / MINUTES_PER_YEAR

spots = st.floats(1.0, 1e6)
moneyness = st.floats(0.2, 5.0)
times = st.floats(MINUTE, 5.0)
rates = st.floats(-0.02, 0.20)
yields = st.floats(0.0, 0.10)
vols = st.floats(0.01, 3.0)
flags = st.sampled_from(["c", "p"])
PROPERTY = settings(max_examples=300, deadline=None)


def _time_value(price, spot, strike, t, r, q, flag):
    sign = 1 if flag == "c" else -1
    return price - max(sign * (spot * math.exp(-q * t) - strike * math.exp(-r * t)), 0.0)


@PROPERTY
@given(spots, moneyness, times, rates, yields, vols, flags)
def test_round_trip_recovers_sigma_as_far_as_the_price_pins_it(spot, m, t, r, q, sigma, flag):
    strike = spot * m
    price = bs.price(spot, strike, t, r, sigma, flag, q)
    # Only prices whose time value float64 can represent carry information about sigma.
    assume(price > 1e-280 and _time_value(price, spot, strike, t, r, q, flag) > 1e-8 * price)
    vega = bs.vega(spot, strike, t, r, sigma, flag, q) * 100  # per unit of sigma
    assume(vega > 0)
    iv = bs.implied_volatility(price, spot, strike, t, r, flag, q)
    # Input rounding of a few ulps of the largest magnitude involved, divided by vega: what sigma can be pinned to.
    pinned = 1e-9 + 16 * EPS * max(spot, strike) / vega
    assert abs(iv - sigma) <= pinned, (iv, sigma, pinned)


@PROPERTY
@given(spots, moneyness, times, rates, yields, vols, vols, flags)
def test_iv_is_monotone_in_price(spot, m, t, r, q, sigma_a, sigma_b, flag):
    strike = spot * m
    low, high = sorted((sigma_a, sigma_b))
    prices = bs.price(spot, strike, t, r, np.array([low, high]), flag, q)
    iv = bs.implied_volatility(prices, spot, strike, t, r, flag, q)
    assume(np.isfinite(iv).all())
    assert iv[0] <= iv[1] or (prices[0] == prices[1] and iv[0] == iv[1])


any_float = st.floats(allow_nan=True, allow_infinity=True)


@PROPERTY
@given(any_float, any_float, any_float, any_float, any_float, st.sampled_from(["c", "p", "CE", "x", ""]), any_float)
def test_any_input_gives_nan_or_a_sigma_that_reprices_it(price, spot, strike, t, r, flag, q):
    iv = bs.implied_volatility(price, spot, strike, t, r, flag, q)
    assert isinstance(iv, float)
    if math.isnan(iv):
        return
    assert iv > 0 and math.isfinite(iv)
    assert price > 0 and spot > 0 and strike > 0 and t > 0
    repriced = bs.price(spot, strike, t, r, iv, flag, q)
    assert abs(repriced - price) <= 1e-8 * price + 1e-12 * max(spot, strike)


@PROPERTY
@given(st.lists(st.tuples(spots, moneyness, times, rates, vols, flags), min_size=1, max_size=20))
def test_batch_equals_one_by_one(rows):
    spot, m, t, r, sigma, flag = (np.array(column) for column in zip(*rows))
    prices = bs.price(spot, spot * m, t, r, sigma, flag)
    batch = bs.implied_volatility(prices, spot, spot * m, t, r, flag)
    single = [bs.implied_volatility(*args) for args in zip(prices, spot, spot * m, t, r, flag)]
    np.testing.assert_array_equal(batch, np.array(single))


@PROPERTY
@given(spots, moneyness, times, rates, yields, vols)
def test_call_and_put_at_parity_have_one_iv_and_black76_agrees(spot, m, t, r, q, sigma):
    strike = spot * m
    call = bs.price(spot, strike, t, r, sigma, "c", q)
    put = call - spot * math.exp(-q * t) + strike * math.exp(-r * t)
    iv_call = bs.implied_volatility(call, spot, strike, t, r, "c", q)
    iv_put = bs.implied_volatility(put, spot, strike, t, r, "p", q)
    assume(math.isfinite(iv_call) and math.isfinite(iv_put))
    vega = bs.vega(spot, strike, t, r, sigma, "c", q) * 100
    pinned = 1e-9 + 32 * EPS * max(spot, strike) / vega
    assert abs(iv_call - iv_put) <= pinned
    forward = spot * math.exp((r - q) * t)
    assert abs(bs.implied_volatility_black76(call, forward, strike, t, r, "c") - iv_call) <= pinned


ist = timezone(timedelta(hours=5, minutes=30))
offsets = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31))


@PROPERTY
@given(moments, offsets, st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_time_to_expiry_is_minutes_to_1530_ist_whatever_the_zone(moment, zone, expiry):
    now = moment.replace(tzinfo=ist).astimezone(zone)  # one instant, written in any timezone
    close = datetime(expiry.year, expiry.month, expiry.day, 15, 30, tzinfo=ist)
    expected = max((close - now).total_seconds() / 60, 0) / MINUTES_PER_YEAR
    assert time_to_expiry(now, expiry) == expected
    later = time_to_expiry(now + timedelta(minutes=1), expiry)
    assert later <= expected and (expected == 0 or later == 0 or abs(expected - later - MINUTE) < 1e-15)
