"""The seeded market: daily closes and 15-second intraday paths of the five option indices and India VIX.

Same seed, same market: every number is a function of (seed, date, time of day).
- India VIX is stationary around 13: slow seeded waves plus daily noise. Its daily change drives a market factor
  (VIX up, indices down); each index loads on that factor with its own correlation.
- An index's daily volatility is its beta times the previous VIX close; its close is the previous close times a
  lognormal return with a small drift; the open gaps from the previous close.
- Each session is a 15-second grid from 09:15 to 15:30: correlated Brownian increments at that day's volatility,
  bridged so the path starts at the day's open and ends exactly at its close. Quotes interpolate between points;
  day high/low/average come from the same points, so OHLC, candles and quotes always agree.
The table covers 2020-2030 and is anchored on the 2025-12-31 close (`BASE_LEVELS`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from op_trading.market import calendar

INDEX_KEYS = ("NIFTY", "SENSEX", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")
VIX_KEY = "INDIAVIX"
ALL_KEYS = INDEX_KEYS + (VIX_KEY,)
BASE_LEVELS = {"NIFTY": 26000.0, "SENSEX": 85000.0, "BANKNIFTY": 59000.0, "FINNIFTY": 27500.0,
               "MIDCPNIFTY": 13500.0}
BETA = {"NIFTY": 1.0, "SENSEX": 0.97, "BANKNIFTY": 1.12, "FINNIFTY": 1.08, "MIDCPNIFTY": 1.3}  # vol vs VIX
CORRELATION = {"NIFTY": 0.97, "SENSEX": 0.96, "BANKNIFTY": 0.85, "FINNIFTY": 0.88, "MIDCPNIFTY": 0.8}
VIX_MEAN, VIX_DAILY_NOISE, VIX_INTRADAY_VOL = 13.0, 0.04, 0.05
VIX_WAVES = ((23, 0.08), (61, 0.10), (150, 0.12), (400, 0.15))  # (period in days, amplitude of log VIX)
DRIFT, GAP_SHARE, TRADING_DAYS_PER_YEAR = 0.08, 0.3, 252
ANCHOR = date(2025, 12, 31)
TABLE_START, TABLE_END = date(2020, 1, 1), date(2030, 12, 31)
STEP_SECONDS = 15
STEPS = (6 * 3600 + 15 * 60) // STEP_SECONDS  # 1500 steps, 1501 points per session


class NoMarketData(LookupError):
    """The date is outside the simulated table."""


@dataclass(frozen=True)
class Snapshot:
    """One index at one moment of its latest session (the close after 15:30, the last session before 09:15)."""
    key: str
    day: date
    step: float  # 0..STEPS, fractional; STEPS = closed
    last: float
    open: float
    high: float
    low: float
    average: float
    prev_close: float

    @property
    def session_fraction(self) -> float:
        return self.step / STEPS


@dataclass(frozen=True)
class DayPath:
    day: date
    levels: "object"  # numpy array (6, STEPS + 1) in ALL_KEYS order
    running_high: "object"
    running_low: "object"
    running_sum: "object"


def session_position(moment: datetime) -> tuple[date, float]:
    """(latest session day, fractional 15-second step) for an IST moment."""
    moment = calendar.to_ist(moment)
    day = calendar.latest_session_day(moment)
    elapsed = (moment - calendar.market_open_at(day)).total_seconds()
    return day, min(max(elapsed / STEP_SECONDS, 0.0), float(STEPS))


def step_time(day: date, step: float) -> datetime:
    """The moment of a (fractional) 15-second step of a session."""
    return calendar.market_open_at(day) + timedelta(seconds=step * STEP_SECONDS)


class MarketModel:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._table = None
        self.day_path = lru_cache(maxsize=64)(self._build_day_path)

    # --- daily table --------------------------------------------------------------------------------------------

    def _daily(self):
        with self._lock:
            if self._table is None:
                self._table = self._build_daily()
            return self._table

    def _build_daily(self) -> dict:
        import numpy as np

        days = calendar.trading_days(TABLE_START, TABLE_END, warn=False)  # a table over years, not a date in use
        count, rng = len(days), np.random.default_rng([self.seed, 1])
        ordinals = np.array([day.toordinal() for day in days], dtype=float)
        log_vix = np.full(count, math.log(VIX_MEAN)) + VIX_DAILY_NOISE * rng.standard_normal(count)
        for (period, amplitude), phase in zip(VIX_WAVES, rng.uniform(0, 2 * math.pi, len(VIX_WAVES))):
            log_vix += amplitude * np.sin(2 * math.pi * ordinals / period + phase)
        shock = np.diff(log_vix, prepend=log_vix[0])
        shock /= shock.std()
        market = -0.55 * shock + math.sqrt(1 - 0.55 ** 2) * rng.standard_normal(count)
        gap_market = rng.standard_normal(count)
        vix = np.exp(log_vix)
        prev_vix = np.concatenate(([vix[0]], vix[:-1]))
        anchor = days.index(calendar.on_or_before_trading_day(ANCHOR))
        closes, opens = {}, {}
        for key in INDEX_KEYS:
            rho, sigma = CORRELATION[key], BETA[key] * prev_vix / 100 / math.sqrt(TRADING_DAYS_PER_YEAR)
            z = rho * market + math.sqrt(1 - rho * rho) * rng.standard_normal(count)
            returns = sigma * z - 0.5 * sigma ** 2 + DRIFT / TRADING_DAYS_PER_YEAR
            gaps = GAP_SHARE * sigma * (0.8 * gap_market + 0.6 * rng.standard_normal(count))
            log_close = np.cumsum(returns)
            log_close += math.log(BASE_LEVELS[key]) - log_close[anchor]
            log_prev = np.concatenate(([log_close[0] - returns[0]], log_close[:-1]))
            closes[key], opens[key] = np.exp(log_close), np.exp(log_prev + gaps)
        closes[VIX_KEY], opens[VIX_KEY] = vix, prev_vix
        return {"days": days, "position": {day: i for i, day in enumerate(days)}, "close": closes,
                "open": opens, "prev_vix": prev_vix}

    def _position(self, day: date) -> int:
        try:
            return self._daily()["position"][day]
        except KeyError:
            raise NoMarketData(f"no simulated session on {day}") from None

    def close(self, key: str, day: date) -> float:
        return float(self._daily()["close"][key][self._position(day)])

    def previous_close(self, key: str, day: date) -> float:
        position = self._position(day)
        table = self._daily()
        return float(table["close"][key][position - 1] if position else table["open"][key][position])

    # --- intraday paths -----------------------------------------------------------------------------------------

    def _build_day_path(self, day: date) -> DayPath:
        import numpy as np

        table, i = self._daily(), self._position(day)
        rng = np.random.default_rng([self.seed, 2, day.toordinal()])
        common = rng.standard_normal(STEPS)
        fraction = np.linspace(0.0, 1.0, STEPS + 1)
        rows = []
        for key in ALL_KEYS:
            if key == VIX_KEY:
                step_sigma = VIX_INTRADAY_VOL / math.sqrt(STEPS)
                shocks = -0.6 * common + 0.8 * rng.standard_normal(STEPS)
            else:
                rho = CORRELATION[key]
                step_sigma = BETA[key] * table["prev_vix"][i] / 100 / math.sqrt(TRADING_DAYS_PER_YEAR * STEPS)
                shocks = rho * common + math.sqrt(1 - rho * rho) * rng.standard_normal(STEPS)
            raw = np.concatenate(([0.0], np.cumsum(step_sigma * shocks)))
            start, end = math.log(table["open"][key][i]), math.log(table["close"][key][i])
            rows.append(np.exp(start + raw - fraction * (raw[-1] - (end - start))))  # bridge: exact open and close
        levels = np.vstack(rows)
        return DayPath(day, levels, np.maximum.accumulate(levels, axis=1), np.minimum.accumulate(levels, axis=1),
                       np.cumsum(levels, axis=1))

    def snapshot(self, key: str, moment: datetime) -> Snapshot:
        day, step = session_position(moment)
        return self.snapshot_at(key, day, step)

    def snapshot_at(self, key: str, day: date, step: float) -> Snapshot:
        path, row = self.day_path(day), ALL_KEYS.index(key)
        levels, whole = path.levels[row], int(step)
        last = float(levels[whole]) if whole >= STEPS else float(
            levels[whole] + (levels[whole + 1] - levels[whole]) * (step - whole))
        return Snapshot(key, day, step, last, float(levels[0]), max(float(path.running_high[row][whole]), last),
                        min(float(path.running_low[row][whole]), last),
                        float(path.running_sum[row][whole]) / (whole + 1), self.previous_close(key, day))

    def vix_at(self, moment: datetime) -> float:
        return self.snapshot(VIX_KEY, moment).last
