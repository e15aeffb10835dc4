"""Black-Scholes / Black-76 prices, greeks and implied volatility: textbook values, identities, finite differences,
round trips and the NaN contract for inputs no volatility can explain."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from op_trading.analytics import black_scholes as bs

# --- textbook values (Hull, Options, Futures and Other Derivatives), quoted to the book's rounding -----------------


def test_hull_call_and_put_prices():
    # Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5 -> c = 4.76, p = 0.81
    assert bs.price(42, 40, 0.5, 0.10, 0.20, "c") == pytest.approx(4.76, abs=0.005)
    assert bs.price(42, 40, 0.5, 0.10, 0.20, "p") == pytest.approx(0.81, abs=0.005)


def test_hull_index_option_with_dividend_yield():
    # Example 17.1: index 930, K=900, r=8%, q=3%, sigma=20%, T=2 months -> c = 51.83
    assert bs.price(930, 900, 2 / 12, 0.08, 0.20, "c", q=0.03) == pytest.approx(51.83, abs=0.005)


def test_hull_futures_option_black76():
    # Futures-options chapter, crude oil example: F=K=20, r=9%, sigma=25%, T=4 months, European put -> 1.12
    assert bs.black76_price(20, 20, 4 / 12, 0.09, 0.25, "p") == pytest.approx(1.12, abs=0.005)


def test_hull_greeks_example():
    # Ch. 19 running example: S=49, K=50, r=5%, sigma=20%, T=20 weeks; call worth 2.40 (per option).
    t = 20 / 52
    values = bs.greeks(49, 50, t, 0.05, 0.20, "c")
    assert bs.price(49, 50, t, 0.05, 0.20, "c") == pytest.approx(2.40, abs=0.005)
    assert values["delta"] == pytest.approx(0.522, abs=0.0005)
    assert values["gamma"] == pytest.approx(0.066, abs=0.0005)
    assert values["theta"] * 365 == pytest.approx(-4.31, abs=0.005)  # Hull: -4.31 per year
    assert values["vega"] * 100 == pytest.approx(12.1, abs=0.05)  # Hull: 12.1 per 1.00 of sigma
    assert values["rho"] * 100 == pytest.approx(8.91, abs=0.005)  # Hull: 8.91 per 1.00 of rate


def test_hull_implied_volatility_example():
    # Section "Implied volatilities": c=1.875, S=21, K=20, r=10%, T=0.25 -> 0.235
    assert bs.implied_volatility(1.875, 21, 20, 0.25, 0.10, "c") == pytest.approx(0.235, abs=0.0005)


# --- identities -----------------------------------------------------------------------------------------------------

GRID = np.array(np.meshgrid(
    [18000.0, 24500.0, 52000.0],  # spot
    [0.6, 0.9, 1.0, 1.1, 1.5],  # strike / spot
    [1 / (365 * 24 * 60), 1 / 365, 7 / 365, 0.25, 2.0],  # t: one minute to two years
    [0.05, 0.15, 0.6, 2.5],  # sigma
    [-0.01, 0.065, 0.10],  # r
    [0.0, 0.02],  # q
)).reshape(6, -1)


def grid():
    spot, moneyness, t, sigma, r, q = GRID
    return spot, spot * moneyness, t, sigma, r, q


def test_put_call_parity_over_grid():
    spot, strike, t, sigma, r, q = grid()
    calls = bs.price(spot, strike, t, r, sigma, "c", q)
    puts = bs.price(spot, strike, t, r, sigma, "p", q)
    parity = spot * np.exp(-q * t) - strike * np.exp(-r * t)
    assert np.all(np.abs(calls - puts - parity) <= 1e-9 * spot)


def test_prices_within_no_arbitrage_bounds():
    spot, strike, t, sigma, r, q = grid()
    calls = bs.price(spot, strike, t, r, sigma, "c", q)
    forward_value = spot * np.exp(-q * t)
    assert np.all(calls >= np.maximum(forward_value - strike * np.exp(-r * t), 0) - 1e-9 * spot)
    assert np.all(calls <= forward_value)


def test_black76_equals_black_scholes_on_the_forward():
    spot, strike, t, sigma, r, q = grid()
    forward = spot * np.exp((r - q) * t)
    for flag in ("c", "p"):
        np.testing.assert_allclose(bs.black76_price(forward, strike, t, r, sigma, flag),
                                   bs.price(spot, strike, t, r, sigma, flag, q), rtol=1e-12, atol=1e-10)
    value = bs.price(spot, strike, t, r, sigma, "c", q)
    iv_spot = bs.implied_volatility(value, spot, strike, t, r, "c", q)
    iv_forward = bs.implied_volatility_black76(value, forward, strike, t, r, "c")
    np.testing.assert_allclose(iv_forward, iv_spot, rtol=1e-9, equal_nan=True)


def test_black76_greeks_match_black_scholes_where_they_should():
    spot, strike, t, sigma, r, q = grid()
    forward = spot * np.exp((r - q) * t)
    b76 = bs.black76_greeks(forward, strike, t, r, sigma, "c")
    bsm = bs.greeks(spot, strike, t, r, sigma, "c", q)
    np.testing.assert_allclose(b76["vega"], bsm["vega"], rtol=1e-9, atol=1e-12)
    # dV/dS = dV/dF * dF/dS
    np.testing.assert_allclose(b76["delta"] * np.exp((r - q) * t), bsm["delta"], rtol=1e-9, atol=1e-12)


# --- greeks against finite differences -----------------------------------------------------------------------------


def _central(function, x, h):
    return (function(x + h) - function(x - h)) / (2 * h)


@pytest.mark.parametrize("flag", ["c", "p"])
def test_greeks_match_finite_differences(flag):
    spot, strike, t, r, sigma, q = 24500.0, np.array([22000.0, 24500, 27000]), 30 / 365, 0.065, 0.18, 0.01
    g = bs.greeks(spot, strike, t, r, sigma, flag, q)

    def value(**change):
        args = dict(spot=spot, strike=strike, t=t, r=r, sigma=sigma, q=q) | change
        return bs.price(args["spot"], args["strike"], args["t"], args["r"], args["sigma"], flag, args["q"])

    np.testing.assert_allclose(g["delta"], _central(lambda s: value(spot=s), spot, 0.5), rtol=1e-6, atol=1e-8)
    gamma_fd = (value(spot=spot + 5) - 2 * value() + value(spot=spot - 5)) / 25
    np.testing.assert_allclose(g["gamma"], gamma_fd, rtol=1e-4)
    np.testing.assert_allclose(g["vega"], 0.01 * _central(lambda v: value(sigma=v), sigma, 1e-4), rtol=1e-6)
    np.testing.assert_allclose(g["rho"], 0.01 * _central(lambda x: value(r=x), r, 1e-5), rtol=1e-6)
    # theta: value lost per calendar day that passes, i.e. -dV/dt / 365
    np.testing.assert_allclose(g["theta"], -_central(lambda x: value(t=x), t, 1e-5) / 365, rtol=1e-5)
    for name, function in (("delta", bs.delta), ("gamma", bs.gamma), ("theta", bs.theta), ("vega", bs.vega),
                           ("rho", bs.rho)):
        np.testing.assert_array_equal(function(spot, strike, t, r, sigma, flag, q), g[name])


def test_black76_greeks_match_finite_differences():
    forward, strike, t, r, sigma = 24600.0, np.array([23000.0, 24500, 26000]), 20 / 365, 0.07, 0.2
    g = bs.black76_greeks(forward, strike, t, r, sigma, "p")

    def value(f=forward, tt=t, rr=r, v=sigma):
        return bs.black76_price(f, strike, tt, rr, v, "p")

    np.testing.assert_allclose(g["delta"], _central(lambda f: value(f=f), forward, 0.5), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g["gamma"], (value(f=forward + 5) - 2 * value() + value(f=forward - 5)) / 25, rtol=1e-4)
    np.testing.assert_allclose(g["vega"], 0.01 * _central(lambda v: value(v=v), sigma, 1e-4), rtol=1e-6)
    np.testing.assert_allclose(g["rho"], 0.01 * _central(lambda x: value(rr=x), r, 1e-5), rtol=1e-6)
    np.testing.assert_allclose(g["theta"], -_central(lambda x: value(tt=x), t, 1e-6) / 365, rtol=1e-5)


def test_greeks_are_nan_where_undefined():
    g = bs.greeks([24500, 24500, -1, 24500], 24500, [0.0, 0.1, 0.1, 0.1], 0.07, [0.2, 0.0, 0.2, 0.2],
                  ["c", "p", "c", "x"])
    for name, values in g.items():
        assert np.isnan(values).all(), name


# --- shapes, scalars, flags -----------------------------------------------------------------------------------------


def test_scalar_in_float_out_and_arrays_agree():
    value = bs.price(24500, 24600, 7 / 365, 0.065, 0.14, "c")
    assert type(value) is float
    array = bs.price(np.array([24500.0]), 24600, 7 / 365, 0.065, 0.14, "c")
    assert isinstance(array, np.ndarray) and array.shape == (1,)
    assert array[0] == value
    iv = bs.implied_volatility(value, 24500, 24600, 7 / 365, 0.065, "c")
    assert type(iv) is float
    batch = bs.implied_volatility([value, value], 24500, 24600, 7 / 365, 0.065, ["c", "c"])
    assert batch.shape == (2,) and batch[0] == iv and batch[1] == iv
    assert type(bs.greeks(24500, 24600, 0.02, 0.065, 0.14, "p")["gamma"]) is float


def test_broadcasting_two_dimensions():
    strikes = np.array([24000.0, 24500, 25000])[:, None]
    sigmas = np.array([0.1, 0.2])[None, :]
    values = bs.price(24500, strikes, 0.1, 0.065, sigmas, "c")
    assert values.shape == (3, 2)
    back = bs.implied_volatility(values, 24500, strikes, 0.1, 0.065, "c")
    np.testing.assert_allclose(back, np.broadcast_to(sigmas, (3, 2)), rtol=1e-10)


@pytest.mark.parametrize("call, put", [("c", "p"), ("C", "P"), ("CE", "PE"), ("call", "put"), ("Call", "Put"),
                                       ("CALL", "PUT"), (1, -1)])
def test_flag_spellings(call, put):
    assert bs.price(100, 100, 1, 0.05, 0.2, call) == pytest.approx(10.450583572185565, rel=1e-12)
    assert bs.price(100, 100, 1, 0.05, 0.2, put) == pytest.approx(5.573526022256971, rel=1e-12)


def test_unknown_flag_gives_nan_for_that_element_only():
    values = bs.price(100, 100, 1, 0.05, 0.2, np.array(["c", "straddle", "p"]))
    assert math.isnan(values[1]) and values[0] > values[2] > 0


def test_price_limits_at_expiry_and_zero_vol():
    assert bs.price(110, 100, 0.0, 0.05, 0.2, "c") == 10.0
    assert bs.price(90, 100, 0.0, 0.05, 0.2, "c") == 0.0
    assert bs.price(110, 100, 1.0, 0.05, 0.0, "c") == pytest.approx(110 - 100 * math.exp(-0.05))
    assert math.isnan(bs.price(110, 100, -0.1, 0.05, 0.2, "c"))
    assert math.isnan(bs.price(110, 100, 0.1, 0.05, -0.2, "c"))


def test_deep_otm_prices_keep_relative_precision():
    # ln(price) computed independently from the asymptotic series c ~ F n(d1) / (d1 (d1 + sigma sqrt t)) shows
    # prices far below float spacing of spot are still right, which the textbook formula cannot give.
    spot, strike, t, sigma = 100.0, 300.0, 0.1, 0.2
    value = bs.price(spot, strike, t, 0.0, sigma, "c")
    vol = sigma * math.sqrt(t)
    d1 = (math.log(spot / strike) + 0.5 * vol * vol) / vol
    d2 = d1 - vol
    # c = S N(d1) - K N(d2) with both tails from the Mills-ratio series to 6 terms
    def tail(d):
        z = -d
        series = sum((-1) ** n * math.prod(range(1, 2 * n, 2)) / z ** (2 * n) for n in range(6))
        return math.exp(-0.5 * z * z) / (z * math.sqrt(2 * math.pi)) * series
    expected = spot * tail(d1) - strike * tail(d2)
    assert value > 0 and value == pytest.approx(expected, rel=1e-6)


# --- implied volatility: round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["c", "p"])
def test_round_trip_over_grid(flag):
    spot, strike, t, sigma, r, q = grid()
    value = bs.price(spot, strike, t, r, sigma, flag, q)
    iv = bs.implied_volatility(value, spot, strike, t, r, flag, q)
    vega = bs.vega(spot, strike, t, r, sigma, flag, q) * 100
    intrinsic = np.maximum((1 if flag == "c" else -1) * (spot * np.exp(-q * t) - strike * np.exp(-r * t)), 0)
    # Where the time value is representable (not lost in the last digits of an ITM price) sigma comes back.
    representable = (value - intrinsic > 1e-9 * value) & (value > 1e-250)
    assert representable.sum() > 0.6 * representable.size  # the grid is not vacuous
    # The input price carries float rounding of a few ulps of spot/strike; divided by vega that is how far sigma
    # can honestly be pinned. The solver must get within that (plus 1e-10) everywhere.
    with np.errstate(divide="ignore"):  # a vega that underflows to 0 pins nothing
        pinned = 1e-10 + 8 * np.finfo(float).eps * np.maximum(spot, strike) / vega
    assert np.all(np.abs(iv - sigma)[representable] <= pinned[representable])
    assert np.median(np.abs(iv - sigma)[representable]) < 1e-14
    # and everywhere a sigma is returned it reprices the input
    solved = np.isfinite(iv)
    assert solved[representable].all()
    repriced = bs.price(spot, strike, t, r, iv, flag, q)
    assert np.all(np.abs(repriced - value)[solved] <= 1e-9 * value[solved] + 1e-12 * spot[solved])


def test_round_trip_market_like_chain_accuracy():
    rng = np.random.default_rng(7)
    n = 20_000
    spot = 24500 * (1 + rng.uniform(-0.01, 0.01, n))
    strike = np.round(spot / 50) * 50 + 50 * rng.integers(-40, 41, n)
    t, sigma, r = rng.integers(1, 61, n) / 365, rng.uniform(0.08, 0.6, n), rng.uniform(0.065, 0.10, n)
    flag = np.where(rng.random(n) < 0.5, "c", "p")
    value = bs.price(spot, strike, t, r, sigma, flag)
    sign = np.where(flag == "c", 1, -1)
    well_posed = value - np.maximum(sign * (spot - strike * np.exp(-r * t)), 0) >= 0.05  # one tick of time value
    iv = bs.implied_volatility(value, spot, strike, t, r, flag)
    assert np.max(np.abs(iv[well_posed] - sigma[well_posed])) <= 1e-9


@pytest.mark.parametrize("spot, strike, t, sigma", [
    (24500, 26500, 3 / 365, 0.12),  # deep OTM, 3 days: a call worth ~1e-30
    (24500, 24500, 1 / (365 * 24 * 60), 0.14),  # one minute to expiry
    (24500, 24500, 1e-8, 0.2),  # ~0.3 s to expiry
    (24500, 24500, 30 / 365, 0.01),
    (24500, 24500, 30 / 365, 6.0),  # 600 % vol: outside most bracketing solvers
    (100, 40, 0.25, 0.1),  # the put is worth ~6e-79, the call is almost all intrinsic
])
def test_extreme_but_valid_inputs(spot, strike, t, sigma):
    solved = 0
    for flag in ("c", "p"):
        value = bs.price(spot, strike, t, 0.07, sigma, flag)
        intrinsic = max((1 if flag == "c" else -1) * (spot - strike * math.exp(-0.07 * t)), 0)
        if value < 1e-300 or value - intrinsic < 1e-9 * value:
            continue  # the time value is not representable in float64: nothing to recover
        assert bs.implied_volatility(value, spot, strike, t, 0.07, flag) == pytest.approx(sigma, rel=1e-8)
        solved += 1
    assert solved >= 1


def test_one_tick_quote_reprices():
    iv = bs.implied_volatility(0.05, 24500, 26500, 3 / 365, 0.07, "c")
    assert 0.2 < iv < 0.3
    assert bs.price(24500, 26500, 3 / 365, 0.07, iv, "c") == pytest.approx(0.05, rel=1e-12)


def test_iv_is_monotone_in_price():
    values = np.linspace(0.5, 400, 200)
    iv = bs.implied_volatility(values, 24500, 24600, 14 / 365, 0.065, "c")
    assert np.isfinite(iv).all() and np.all(np.diff(iv) > 0)


# --- implied volatility: no solution means NaN, never an exception or a made-up number ------------------------------

S, K, T, R = 24500.0, 24000.0, 30 / 365, 0.07
DISCOUNTED_INTRINSIC = S - K * math.exp(-R * T)

NO_SOLUTION = {
    "below intrinsic": (DISCOUNTED_INTRINSIC - 1, S, K, T, R, "c"),
    "equal to discounted intrinsic": (DISCOUNTED_INTRINSIC, S, K, T, R, "c"),
    "call above spot": (S + 1, S, K, T, R, "c"),
    "call equal to spot": (S, S, K, T, R, "c"),
    "put above discounted strike": (K, S, K, T, R, "p"),
    "t = 0": (600.0, S, K, 0.0, R, "c"),
    "t < 0": (600.0, S, K, -0.01, R, "c"),
    "price 0": (0.0, S, 25000.0, T, R, "c"),
    "price -1": (-1.0, S, 25000.0, T, R, "c"),
    "spot 0": (10.0, 0.0, K, T, R, "c"),
    "spot < 0": (10.0, -S, K, T, R, "c"),
    "strike 0": (10.0, S, 0.0, T, R, "p"),
    "strike < 0": (10.0, S, -K, T, R, "p"),
    "price NaN": (math.nan, S, K, T, R, "c"),
    "spot NaN": (600.0, math.nan, K, T, R, "c"),
    "strike NaN": (600.0, S, math.nan, T, R, "c"),
    "t NaN": (600.0, S, K, math.nan, R, "c"),
    "r NaN": (600.0, S, K, T, math.nan, "c"),
    "price inf": (math.inf, S, K, T, R, "c"),
    "t inf": (600.0, S, K, math.inf, R, "c"),
    "unknown flag": (600.0, S, K, T, R, "x"),
}


@pytest.mark.parametrize("case", sorted(NO_SOLUTION))
def test_no_solution_is_nan_without_exception_or_warning(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(bs.implied_volatility(*NO_SOLUTION[case]))


def test_bad_elements_do_not_spoil_the_batch():
    good_price = bs.price(S, K, T, R, 0.17, "c")
    columns = list(zip(*NO_SOLUTION.values()))
    prices, spots, strikes, ts, rs, flags = (list(column) + [good] for column, good in
                                             zip(columns, (good_price, S, K, T, R, "c")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iv = bs.implied_volatility(prices, spots, strikes, ts, rs, flags)
    assert np.isnan(iv[:-1]).all()
    assert iv[-1] == pytest.approx(0.17, abs=1e-12)


def test_black76_no_solution_cases():
    forward = 24600.0
    assert math.isnan(bs.implied_volatility_black76(forward, forward, 24000, T, R, "c"))  # >= discounted forward
    assert math.isnan(bs.implied_volatility_black76(100, forward, 24000, 0, R, "c"))
    assert math.isnan(bs.implied_volatility_black76(100, math.nan, 24000, T, R, "c"))
    value = bs.black76_price(forward, 24000, T, R, 0.2, "p")
    assert bs.implied_volatility_black76(value, forward, 24000, T, R, "p") == pytest.approx(0.2, abs=1e-12)


def test_importing_does_not_load_scipy():
    import subprocess
    import sys

    code = ("import sys, op_trading.analytics.black_scholes, op_trading.analytics.iv_conventions;"
            "print([m for m in ('scipy', 'scipy.special', 'scipy.stats') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
