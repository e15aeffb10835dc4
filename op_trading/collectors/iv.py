"""Implied volatility for a cycle's legs: one vectorised solve through `op_trading.analytics.iv_conventions`.

The collector hands over quotes and contract facts; prices (mid of best bid/ask, else last), time to expiry
(calendar minutes to 15:30 IST) and the model (IV_MODEL with IV_RISK_FREE_RATE / IV_DIVIDEND_YIELD) are the
analytics conventions, so stored IVs and the analytics screens agree. numpy/scipy load on the first solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class IvInput:
    quote: Mapping[str, Any]
    spot: float
    strike: float
    expiry: date
    side: str  # CE / PE
    group: tuple[str, str]  # (index key, bucket): legs that share a forward


IvSolver = Callable[[Sequence[IvInput], datetime], list]


@dataclass(frozen=True)
class AnalyticsIv:
    """The default solver: `iv_for_legs` over all legs at once; NaN (unsolvable) becomes None in records."""

    model: str = "black_scholes"
    r: float = 0.065
    q: float = 0.0

    @classmethod
    def from_settings(cls, settings) -> "AnalyticsIv":
        from op_trading.analytics.iv_conventions import iv_parameters_from_settings

        return cls(**iv_parameters_from_settings(settings))

    def __call__(self, inputs: Sequence[IvInput], now: datetime) -> list:
        if not inputs:
            return []
        from op_trading.analytics.iv_conventions import iv_for_legs, option_price_for_iv, time_to_expiry

        expiry_t = {expiry: time_to_expiry(now, expiry) for expiry in {item.expiry for item in inputs}}
        ivs = iv_for_legs([option_price_for_iv(item.quote) for item in inputs], [item.spot for item in inputs],
                          [item.strike for item in inputs], [expiry_t[item.expiry] for item in inputs],
                          [item.side for item in inputs], model=self.model, r=self.r, q=self.q)
        return [float(iv) if math.isfinite(iv) else None for iv in ivs]
