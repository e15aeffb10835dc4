"""Option fair values for the simulator: Black-76 on the forward, with a volatility smile and term structure.

Kept local and scalar (math only) on purpose: the simulator must not depend on the product's analytics, which it
is used to test. Conventions: time to expiry is calendar time to 15:30 IST on the expiry day over 365 days;
r = 6.5 %, dividend yield 1.3 %; the ATM volatility is the index's beta times India VIX, scaled up for short
expiries and down for long ones; the smile is a quadratic in standardised moneyness with a put skew.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache

from op_trading.market import calendar

RATE, DIVIDEND_YIELD = 0.065, 0.013
YEAR_SECONDS = 365 * 24 * 3600
MIN_YEARS = 60 / YEAR_SECONDS  # one minute: keeps expiry-day prices finite until the close
VIX_HORIZON = 30 / 365
TERM_SLOPE, SKEW, CURVATURE = 0.06, -0.10, 0.035
TICK = 0.05


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@lru_cache(maxsize=1024)
def _close_of(expiry: date) -> datetime:
    return calendar.market_close_at(expiry)


def years_to_expiry(moment: datetime, expiry: date) -> float:
    """Calendar years to the 15:30 IST close of the expiry day; 0 once it has passed."""
    seconds = (_close_of(expiry) - calendar.to_ist(moment)).total_seconds()
    return max(seconds, 0.0) / YEAR_SECONDS


def forward(spot: float, years: float) -> float:
    return spot * math.exp((RATE - DIVIDEND_YIELD) * years)


def atm_volatility(vix: float, beta: float, years: float) -> float:
    """VIX is a 30-day volatility; near expiries trade richer, far ones cheaper (clipped to 0.85-1.3x)."""
    term = 1.0 + TERM_SLOPE * math.log(VIX_HORIZON / max(years, MIN_YEARS))
    return beta * vix / 100.0 * min(max(term, 0.85), 1.3)


def smile_volatility(atm: float, fwd: float, strike: float, years: float) -> float:
    x = math.log(strike / fwd) / (atm * math.sqrt(max(years, MIN_YEARS)))
    return atm * min(max(1.0 + SKEW * x + CURVATURE * x * x, 0.6), 2.5)


def black76(fwd: float, strike: float, years: float, vol: float, call: bool) -> float:
    """Discounted Black-76 price; intrinsic value at expiry."""
    if years <= 0.0:
        return max(fwd - strike, 0.0) if call else max(strike - fwd, 0.0)
    sd = vol * math.sqrt(years)
    d1 = (math.log(fwd / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    discount = math.exp(-RATE * years)
    if call:
        return discount * (fwd * norm_cdf(d1) - strike * norm_cdf(d2))
    return discount * (strike * norm_cdf(-d2) - fwd * norm_cdf(-d1))


def option_value(spot: float, strike: float, years: float, vix: float, beta: float, call: bool) -> float:
    """Fair value of an index option, never below one tick (as a listed option's price)."""
    if years <= 0.0:
        return max(black76(spot, strike, 0.0, 0.0, call), TICK)
    fwd = forward(spot, years)
    vol = smile_volatility(atm_volatility(vix, beta, years), fwd, strike, max(years, MIN_YEARS))
    return max(black76(fwd, strike, max(years, MIN_YEARS), vol, call), TICK)


def to_tick(price: float, tick: float = TICK) -> float:
    return round(round(price / tick) * tick, 2)
