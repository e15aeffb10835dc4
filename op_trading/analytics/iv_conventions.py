"""The conventions that turn collected quotes into implied volatility (SPEC §7, domain.md §5), and the one call the
collector makes per cycle.

- Time to expiry: calendar minutes from now to 15:30 IST on the expiry date, / (365*24*60); 0 once expired. The
  machine's own timezone plays no part.
- Price: mid of the best bid and ask when both are quoted, else the last traded price.
- Models (setting IV_MODEL): "black_scholes" on spot with r = IV_RISK_FREE_RATE and q = IV_DIVIDEND_YIELD;
  "black76" on a forward (the futures price if given, else the put-call-parity forward of the same legs), which
  needs no guess of q; "nse" = Black-Scholes with r = 10 %, q = 0, what NSE's option chain is reported to use.
- IV is a decimal (0.15 = 15 %), NaN where no volatility reproduces the price.

numpy is imported inside the functions that need it: the time and price helpers stay standard-library only.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Mapping

from op_trading.market.calendar import market_close_at

MINUTES_PER_YEAR = 365 * 24 * 60
MODELS = ("black_scholes", "black76", "nse")
NSE_RISK_FREE_RATE = 0.10


def time_to_expiry(now: datetime, expiry_date: date | datetime | str) -> float:
    """Years from `now` (timezone-aware) to 15:30 IST on the expiry date, counted in calendar minutes; 0.0 after.

    A naive `now` is refused: read as machine-local or as IST, it would silently shift T by hours on some machines.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("time_to_expiry needs a timezone-aware 'now' (e.g. datetime.now(IST))")
    if isinstance(expiry_date, str):
        expiry_date = date.fromisoformat(expiry_date[:10])
    minutes = (market_close_at(expiry_date) - now).total_seconds() / 60.0
    return max(minutes, 0.0) / MINUTES_PER_YEAR


def _positive(value: Any) -> float | None:
    """A finite number > 0, else None (None, text, NaN, booleans and zeros are 'not quoted')."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _best_price(depth: Any, side: str) -> float | None:
    try:
        return _positive(depth[side][0]["price"])
    except (TypeError, KeyError, IndexError):
        return None


def option_price_for_iv(quote: Mapping[str, Any] | None) -> float:
    """Mid of best bid/ask (depth buy[0]/sell[0], both > 0 and not crossed), else last_price; NaN if neither."""
    if not quote:
        return math.nan
    depth = quote.get("depth")
    bid, ask = _best_price(depth, "buy"), _best_price(depth, "sell")
    if bid is not None and ask is not None and bid <= ask:
        return 0.5 * (bid + ask)
    last = _positive(quote.get("last_price"))
    return last if last is not None else math.nan


def synthetic_forward(strikes, call_prices, put_prices, r, t) -> float:
    """Put-call-parity forward K + e^{rT}(C - P) at the strike where |C - P| is smallest (the most ATM pair, whose
    quotes are tightest); NaN when no strike has both a call and a put price > 0."""
    import numpy as np

    strikes, calls, puts = (np.asarray(values, dtype=float).ravel() for values in (strikes, call_prices, put_prices))
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(strikes) & (strikes > 0) & (calls > 0) & (puts > 0)
        usable &= np.isfinite(calls) & np.isfinite(puts)
    if not usable.any() or not (math.isfinite(r) and math.isfinite(t)):
        return math.nan
    difference = calls[usable] - puts[usable]
    best = int(np.argmin(np.abs(difference)))
    return float(strikes[usable][best] + math.exp(r * t) * difference[best])


def _synthetic_forwards(prices, spot, strikes, t, signs, r, groups):
    """Per leg, the synthetic forward of its group (one index and expiry) from that group's own call/put pairs."""
    import numpy as np

    prices, spot, strikes, t, signs = (np.ravel(values).tolist() for values in (prices, spot, strikes, t, signs))
    labels = list(zip(spot, t)) if groups is None else list(groups)
    if len(labels) != len(prices):
        raise ValueError(f"groups has {len(labels)} labels for {len(prices)} legs")
    members: dict[Any, list[int]] = {}
    for position, label in enumerate(labels):
        members.setdefault(label, []).append(position)
    forward = np.full(len(prices), np.nan)
    for legs in members.values():
        calls = {strikes[i]: prices[i] for i in legs if signs[i] > 0}
        pairs = [(strikes[i], calls[strikes[i]], prices[i]) for i in legs if signs[i] < 0 and strikes[i] in calls]
        if pairs:
            pair_strikes, pair_calls, pair_puts = zip(*pairs)
            forward[legs] = synthetic_forward(pair_strikes, pair_calls, pair_puts, r, t[legs[0]])
    return forward


def iv_for_legs(prices, spot, strikes, t, flags, model: str = "black_scholes", r: float = 0.065, q: float = 0.0,
                forward=None, groups=None):
    """Implied volatility (decimal) of every leg of a collection cycle, one array out; NaN where none exists.

    `prices`, `strikes`, `flags` are per leg; `spot`, `t` and `forward` per leg or one value. For "black76" without
    `forward`, each group of legs (`groups`: one hashable label per leg, e.g. (index, expiry); by default legs with
    the same spot and t) uses the synthetic forward of its own call/put pairs, and a group without a pair gets NaN.
    `r` and `q` are ignored by "nse"; `q` by "black76".
    """
    import numpy as np

    from op_trading.analytics import black_scholes

    if model not in MODELS:
        raise ValueError(f"unknown IV model {model!r}; choose one of {', '.join(MODELS)}")
    prices, spot, strikes, t = (np.asarray(values, dtype=float) for values in (prices, spot, strikes, t))
    prices, spot, strikes, t = np.broadcast_arrays(prices, spot, strikes, t)
    signs = np.broadcast_to(black_scholes.option_sign(flags), prices.shape)
    if model == "nse":
        return black_scholes.implied_volatility(prices, spot, strikes, t, NSE_RISK_FREE_RATE, signs, 0.0)
    if model == "black_scholes":
        return black_scholes.implied_volatility(prices, spot, strikes, t, r, signs, q)
    if forward is None:
        forward = _synthetic_forwards(prices, spot, strikes, t, signs, r, groups).reshape(prices.shape)
    return black_scholes.implied_volatility_black76(prices, forward, strikes, t, r, signs)


def iv_parameters_from_settings(settings) -> dict:
    """model, r and q for `iv_for_legs(..., **iv_parameters_from_settings(settings))`."""
    return {"model": settings["IV_MODEL"], "r": float(settings["IV_RISK_FREE_RATE"]),
            "q": float(settings["IV_DIVIDEND_YIELD"])}
