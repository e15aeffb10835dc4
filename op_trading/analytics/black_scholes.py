"""Black-Scholes with a continuous dividend yield q, and Black-76 on a forward: prices, greeks, implied volatility.

Every function takes scalars or arrays (NumPy broadcasting) and returns a float for all-scalar input, an ndarray
otherwise. `flag` is 'c' or 'p' (also 'call'/'put' and Kite's 'CE'/'PE', any case), a scalar or an array of them.

Units (SPEC §7): t in years, r, q and sigma as decimals (0.15 = 15 %); theta per calendar day, vega per vol point
(0.01 of sigma), rho per 1 % of rate, gamma per unit of the underlying.

Bad elements give NaN, never an exception and never a made-up number: t <= 0 or sigma <= 0 for greeks, a
non-positive spot/forward/strike, an unknown flag, NaN anywhere. `price` with t == 0 or sigma == 0 is the
(discounted) intrinsic value, the limit of the formula. `implied_volatility` is NaN wherever no volatility
reproduces the price: at or below the discounted intrinsic value, at or above the no-arbitrage upper bound
(call: S e^{-qt}, put: K e^{-rt}), t <= 0, price <= 0. The solver itself is in `iv_solver`.
"""

from __future__ import annotations

import numpy as np

from op_trading.analytics.iv_solver import ROUNDING, implied_normalised_vol, normalised_otm_call

DAYS_PER_YEAR = 365.0
_SPELLINGS = (("c", "p"), ("C", "P"), ("CE", "PE"), ("ce", "pe"), ("call", "put"), ("CALL", "PUT"), ("Call", "Put"))
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def option_sign(flag) -> np.ndarray:
    """+1.0 for a call, -1.0 for a put, NaN for anything else (array of the flag's shape)."""
    flags = np.asarray(flag)
    if flags.dtype.kind in "iuf":  # already +1 / -1
        return np.where(flags > 0, 1.0, np.where(flags < 0, -1.0, np.nan))
    sign = np.full(flags.shape, np.nan)
    if flags.dtype.kind not in "US":
        flags = flags.astype(str)
    for call, put in _SPELLINGS:  # common spellings first; stop as soon as every element is known
        sign[flags == call] = 1.0
        sign[flags == put] = -1.0
        if not np.isnan(sign).any():
            break
    return sign


def _floats(*values):
    """Broadcast inputs to float arrays; also whether they were all scalars (so the result is a float)."""
    scalar = all(np.ndim(value) == 0 for value in values)
    return scalar, np.broadcast_arrays(*(np.asarray(value, dtype=float) for value in values))


def _out(value, scalar):
    return float(value) if scalar else value


def _black_undiscounted(forward, strike, t, sigma, sign):
    """Undiscounted Black price: intrinsic + the OTM option's value (put-call parity), which keeps deep ITM and
    deep OTM prices accurate. t == 0 or sigma == 0 gives the intrinsic value."""
    with np.errstate(all="ignore"):
        intrinsic = np.maximum(sign * (forward - strike), 0.0)
        s = sigma * np.sqrt(t)
        x = -np.abs(np.log(forward / strike))
        time_value = np.sqrt(forward * strike) * normalised_otm_call(x, np.where(s > 0, s, 1.0))
        value = intrinsic + np.where(s > 0, time_value, 0.0)
        ok = (forward > 0) & (strike > 0) & (t >= 0) & (sigma >= 0) & np.isfinite(value)
        return np.where(ok, value, np.nan)


def price(spot, strike, t, r, sigma, flag, q=0.0):
    """Black-Scholes price of a European option on a spot paying a continuous yield q."""
    scalar, (spot, strike, t, r, sigma, q, sign) = _floats(spot, strike, t, r, sigma, q, option_sign(flag))
    with np.errstate(all="ignore"):
        forward = spot * np.exp((r - q) * t)
        value = np.exp(-r * t) * _black_undiscounted(forward, strike, t, sigma, sign)
    return _out(value, scalar)


def black76_price(forward, strike, t, r, sigma, flag):
    """Black-76 price of a European option on a forward/futures price, discounted at r."""
    scalar, (forward, strike, t, r, sigma, sign) = _floats(forward, strike, t, r, sigma, option_sign(flag))
    with np.errstate(all="ignore"):
        value = np.exp(-r * t) * _black_undiscounted(forward, strike, t, sigma, sign)
    return _out(value, scalar)


def _d1_terms(forward, strike, t, sigma, sign):
    """d1, d2, the normal density at d1, and sqrt(t); NaN where the greeks are undefined."""
    with np.errstate(all="ignore"):
        root_t = np.sqrt(t)
        vol = sigma * root_t
        ok = (forward > 0) & (strike > 0) & (t > 0) & (sigma > 0) & np.isfinite(sign)
        d1 = np.where(ok, (np.log(forward / strike) + 0.5 * vol * vol) / vol, np.nan)
        return d1, d1 - vol, _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1), root_t


def greeks(spot, strike, t, r, sigma, flag, q=0.0) -> dict:
    """All Black-Scholes greeks at once (one pass): keys delta, gamma, theta, vega, rho, in conventional units."""
    from scipy.special import ndtr

    scalar, (spot, strike, t, r, sigma, q, sign) = _floats(spot, strike, t, r, sigma, q, option_sign(flag))
    with np.errstate(all="ignore"):
        carry = np.exp(-q * t)  # e^{-qt}
        discount = np.exp(-r * t)
        d1, d2, density, root_t = _d1_terms(spot * np.exp((r - q) * t), strike, t, sigma, sign)
        n1, n2 = ndtr(sign * d1), ndtr(sign * d2)
        decay = -spot * carry * density * sigma / (2.0 * root_t)
        annual_theta = decay - sign * r * strike * discount * n2 + sign * q * spot * carry * n1
        values = {
            "delta": sign * carry * n1,
            "gamma": carry * density / (spot * sigma * root_t),
            "theta": annual_theta / DAYS_PER_YEAR,
            "vega": spot * carry * density * root_t * 0.01,
            "rho": sign * strike * t * discount * n2 * 0.01,
        }
    return {name: _out(value, scalar) for name, value in values.items()}


def delta(spot, strike, t, r, sigma, flag, q=0.0):
    """dV/dS."""
    return greeks(spot, strike, t, r, sigma, flag, q)["delta"]


def gamma(spot, strike, t, r, sigma, flag, q=0.0):
    """d2V/dS2."""
    return greeks(spot, strike, t, r, sigma, flag, q)["gamma"]


def theta(spot, strike, t, r, sigma, flag, q=0.0):
    """Value change per calendar day that passes (negative for a long option, usually)."""
    return greeks(spot, strike, t, r, sigma, flag, q)["theta"]


def vega(spot, strike, t, r, sigma, flag, q=0.0):
    """Value change per 1 vol point (sigma + 0.01)."""
    return greeks(spot, strike, t, r, sigma, flag, q)["vega"]


def rho(spot, strike, t, r, sigma, flag, q=0.0):
    """Value change per 1 % of rate (r + 0.01), spot and q held fixed."""
    return greeks(spot, strike, t, r, sigma, flag, q)["rho"]


def black76_greeks(forward, strike, t, r, sigma, flag) -> dict:
    """Black-76 greeks with the forward held fixed: delta/gamma per unit of forward, theta per day, vega per vol
    point, rho per 1 % (only discounting depends on r, so rho = -t * value)."""
    from scipy.special import ndtr

    scalar, (forward, strike, t, r, sigma, sign) = _floats(forward, strike, t, r, sigma, option_sign(flag))
    with np.errstate(all="ignore"):
        discount = np.exp(-r * t)
        d1, d2, density, root_t = _d1_terms(forward, strike, t, sigma, sign)
        value = discount * sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * d2))
        annual_theta = r * value - discount * forward * density * sigma / (2.0 * root_t)
        values = {
            "delta": sign * discount * ndtr(sign * d1),
            "gamma": discount * density / (forward * sigma * root_t),
            "theta": annual_theta / DAYS_PER_YEAR,
            "vega": discount * forward * density * root_t * 0.01,
            "rho": -t * value * 0.01,
        }
    return {name: _out(value, scalar) for name, value in values.items()}


def _implied_black(undiscounted, forward, strike, log_moneyness, t, sign):
    """sigma from an undiscounted Black price; every argument a float array of one shape."""
    with np.errstate(all="ignore"):
        posed = (undiscounted > 0) & (forward > 0) & (strike > 0) & (t > 0) & np.isfinite(t) & np.isfinite(sign)
        intrinsic = np.maximum(sign * (forward - strike), 0.0)
        otm = undiscounted - intrinsic  # parity: the OTM option's price, i.e. the time value
        # An ITM time value within rounding of the intrinsic value says nothing about sigma: NaN, not noise.
        posed &= otm > np.where(intrinsic > 0, ROUNDING * np.maximum(forward, strike), 0.0)
        beta = np.where(posed, otm / np.sqrt(forward * strike), np.nan)
        s = implied_normalised_vol(-np.abs(log_moneyness).ravel(), beta.ravel())
        return s.reshape(beta.shape) / np.sqrt(t)


def implied_volatility(price, spot, strike, t, r, flag, q=0.0):
    """Black-Scholes implied volatility (decimal) of a European option price; NaN where none exists."""
    scalar, (value, spot, strike, t, r, q, sign) = _floats(price, spot, strike, t, r, q, option_sign(flag))
    with np.errstate(all="ignore"):
        carry = (r - q) * t
        # ln(F/K) straight from the inputs, not via exp/log of F, to keep its last digits
        sigma = _implied_black(value * np.exp(r * t), spot * np.exp(carry), strike, np.log(spot / strike) + carry,
                               t, sign)
    return _out(sigma, scalar)


def implied_volatility_black76(price, forward, strike, t, r, flag):
    """Black-76 implied volatility (decimal) of an option on a forward/futures price; NaN where none exists."""
    scalar, (value, forward, strike, t, r, sign) = _floats(price, forward, strike, t, r, option_sign(flag))
    with np.errstate(all="ignore"):
        sigma = _implied_black(value * np.exp(r * t), forward, strike, np.log(forward / strike), t, sign)
    return _out(sigma, scalar)
