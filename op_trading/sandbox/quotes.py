"""Quote payloads (`/quote`, `/quote/ohlc`, `/quote/ltp`) for indices, index options and index futures.

Shapes follow domain.md §1.6 exactly. Prices of derivatives come from `pricing` on the simulated index path;
bid/ask straddle the fair value by a spread that widens with price; open interest (in units, like Kite) is highest
near the money and for near expiries and drifts through the day; volume accumulates along a U-shaped intraday
profile. Everything small and random is drawn from a generator seeded by (seed, token, day, 15-second step), so
the same moment gives the same quote. `net_change` is 0 as Kite's feed sends it; use `last_price - ohlc.close`.
Index quotes carry the full key set with zero volume/OI/depth and `last_trade_time: null`. Prices sit on the
contract's tick (0.05 for options, Kite's futures tick per index); `oi`, `oi_day_high`, `oi_day_low` are integers.
Answers are served through `answers.QuoteAnswers` (built once per instrument and simulated second).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from op_trading.market import calendar
from op_trading.sandbox import pricing
from op_trading.sandbox.contracts import TICK, Instrument
from op_trading.sandbox.market import BETA, STEPS, VIX_KEY, MarketModel, session_position, step_time

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
OI_SAMPLES = 25  # points per session at which open interest is sampled for oi_day_high/low
POPULARITY_LOTS = {"NIFTY": 120_000, "SENSEX": 60_000, "BANKNIFTY": 40_000, "FINNIFTY": 8_000,
                   "MIDCPNIFTY": 10_000}


@dataclass(frozen=True)
class Prices:
    last: float
    open: float
    high: float
    low: float
    close: float  # previous session's close
    average: float


class Draws(random.Random):
    """random.Random with `randint` written out: the same numbers as CPython's randint -> randrange ->
    _randbelow_with_getrandbits (a test compares them), at a third of the cost; a quote draws ~35 of them."""

    def randint(self, a: int, b: int) -> int:
        n = b - a + 1
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r


def volume_profile(u: float) -> float:
    """Share of the day's volume traded by session fraction u: heavy at the open and the close."""
    return 0.5 * u + 0.25 * (1 - (1 - u) ** 3) + 0.25 * u ** 3


class QuoteMaker:
    def __init__(self, market: MarketModel, seed: int) -> None:
        self.market, self.seed = market, seed
        self._profile = lru_cache(maxsize=32768)(self._day_profile)  # asked for many times per quote and candle
        self._snapshot = lru_cache(maxsize=256)(market.snapshot_at)  # one per index and moment, not per contract
        self._position = lru_cache(maxsize=64)(session_position)  # a request asks it for one moment ~3x per contract
        self._oi_samples = lru_cache(maxsize=16384)(self._day_oi_samples)
        self._day_ends = lru_cache(maxsize=16384)(self._open_and_close)

    # --- prices -------------------------------------------------------------------------------------------------

    def prices(self, instrument: Instrument, moment: datetime) -> Prices:
        day, step = self._position(moment)
        spot = self._snapshot(instrument.index_key, day, step)
        if instrument.is_index:
            return Prices(spot.last, spot.open, spot.high, spot.low, spot.prev_close, spot.average)
        vix = self._snapshot(VIX_KEY, day, step)
        now = step_time(day, step)
        value = self.valuer(instrument)
        last, average = value(spot.last, now, vix.last), value(spot.average, now, vix.last)
        extremes = (value(spot.high, now, vix.last), value(spot.low, now, vix.last))
        opening, close = self._day_ends(instrument, day, spot.open, vix.open, spot.prev_close, vix.prev_close)
        high, low = max(*extremes, opening, last), min(*extremes, opening, last)
        return Prices(last, opening, high, low, close, min(max(average, low), high))

    def _open_and_close(self, instrument: Instrument, day: date, spot_open: float, vix_open: float,
                        spot_close: float, vix_close: float) -> tuple[float, float]:
        """The contract's value at the day's open and at the previous session's close: fixed for the day."""
        value = self.valuer(instrument)
        previous_close_at = calendar.market_close_at(calendar.previous_trading_day(day))
        return value(spot_open, step_time(day, 0), vix_open), value(spot_close, previous_close_at, vix_close)

    def valuer(self, instrument: Instrument):
        """value(spot, moment, vix) -> fair price of the contract."""
        beta, strike = BETA[instrument.index_key], instrument.strike
        if instrument.instrument_type == "FUT":
            return lambda s, moment, vix: pricing.forward(s, pricing.years_to_expiry(moment, instrument.expiry))
        call = instrument.instrument_type == "CE"
        return lambda s, moment, vix: pricing.option_value(
            s, strike, pricing.years_to_expiry(moment, instrument.expiry), vix, beta, call)

    # --- payloads -----------------------------------------------------------------------------------------------

    def ltp(self, instrument: Instrument, moment: datetime) -> dict:
        return {"instrument_token": instrument.instrument_token, "last_price": self._full_parts(instrument, moment)[0]}

    def ohlc(self, instrument: Instrument, moment: datetime) -> dict:
        last, ohlc = self._full_parts(instrument, moment)[:2]
        return {"instrument_token": instrument.instrument_token, "last_price": last, "ohlc": ohlc}

    def _full_parts(self, instrument: Instrument, moment: datetime):
        prices = self.prices(instrument, moment)
        if instrument.is_index:
            last = round(prices.last, 2)
            ohlc = {"open": round(prices.open, 2), "high": round(prices.high, 2), "low": round(prices.low, 2),
                    "close": round(prices.close, 2)}
            return last, ohlc, prices, None
        rng, tick = self._rng(instrument, moment), instrument.tick_size
        bid, ask = self._best_bid_ask(prices.last, rng, instrument.instrument_type == "FUT", tick)
        last = pricing.to_tick(bid + rng.randint(0, round((ask - bid) / tick)) * tick, tick) if bid else ask
        ohlc = {"open": pricing.to_tick(prices.open, tick), "high": max(pricing.to_tick(prices.high, tick), last),
                "low": min(pricing.to_tick(prices.low, tick), last), "close": pricing.to_tick(prices.close, tick)}
        return last, ohlc, prices, (rng, bid, ask)

    def full(self, instrument: Instrument, moment: datetime) -> dict:
        last, ohlc, prices, book = self._full_parts(instrument, moment)
        day, step = self._position(moment)
        stamp = min(calendar.to_ist(moment), calendar.market_close_at(day)).strftime(TIME_FORMAT)
        quote = {"instrument_token": instrument.instrument_token, "timestamp": stamp, "last_trade_time": None,
                 "last_price": last, "last_quantity": 0, "buy_quantity": 0, "sell_quantity": 0, "volume": 0,
                 "average_price": 0.0, "oi": 0, "oi_day_high": 0, "oi_day_low": 0, "net_change": 0,
                 "lower_circuit_limit": 0.0, "upper_circuit_limit": 0.0, "ohlc": ohlc,
                 "depth": {"buy": _empty_levels(), "sell": _empty_levels()}}
        if book is not None:
            quote.update(self._trading_fields(instrument, day, step, prices, ohlc, book))
        return quote

    def _trading_fields(self, instrument, day, step, prices, ohlc, book) -> dict:
        rng, bid, ask = book
        lot, u = instrument.lot_size, step / STEPS
        oi_points = list(self._oi_samples(instrument, day)[:int(u * OI_SAMPLES) + 1])
        oi_now = self.open_interest(instrument, day, u)
        oi_points.append(oi_now)
        traded_at = step_time(day, max(step - rng.random() * 2, 0))  # the last trade, up to 30 s ago
        tick = instrument.tick_size
        buy, sell = _depth(bid, ask, lot, rng, tick)
        limit_base = ohlc["close"]
        lower, upper = ((tick, pricing.to_tick(limit_base * 3 + 20, tick)) if instrument.instrument_type != "FUT"
                        else (pricing.to_tick(limit_base * 0.9, tick), pricing.to_tick(limit_base * 1.1, tick)))
        return {"last_trade_time": traded_at.strftime(TIME_FORMAT), "last_quantity": lot * rng.randint(1, 10),
                "buy_quantity": lot * rng.randint(200, 5000), "sell_quantity": lot * rng.randint(200, 5000),
                "volume": self.volume(instrument, day, u),
                "average_price": min(max(pricing.to_tick(prices.average, tick), ohlc["low"]), ohlc["high"]),
                "oi": oi_now, "oi_day_high": max(oi_points), "oi_day_low": min(oi_points),  # integers, as Kite sends
                "lower_circuit_limit": lower, "upper_circuit_limit": upper, "depth": {"buy": buy, "sell": sell}}

    # --- activity -----------------------------------------------------------------------------------------------

    def _rng(self, instrument: Instrument, moment: datetime) -> random.Random:
        day, step = self._position(moment)
        return Draws(f"{self.seed}:{instrument.instrument_token}:{day.toordinal()}:{int(step)}")

    def _day_profile(self, instrument: Instrument, day: date) -> tuple[int, float, float, float]:
        """(open interest in lots at the open, day's volume in lots, OI drift, wiggle phase) for one contract."""
        rng = random.Random(f"{self.seed}:activity:{instrument.instrument_token}:{day.toordinal()}")
        reference = self.market.previous_close(instrument.index_key, day)
        days_left = max((instrument.expiry - day).days, 0)
        popularity = POPULARITY_LOTS[instrument.index_key] * (0.4 + 0.6 * math.exp(-days_left / 15))
        if instrument.instrument_type == "FUT":
            lots, turnover = popularity * 2.5 * rng.uniform(0.8, 1.2), 0.3
        else:
            width = 0.02 + 0.03 * math.sqrt(days_left / 30)
            weight = math.exp(-0.5 * (math.log(instrument.strike / reference) / width) ** 2)
            out_of_money = (instrument.strike >= reference) == (instrument.instrument_type == "CE")
            lots = popularity * weight * (1.0 if out_of_money else 0.45) * rng.uniform(0.7, 1.3)
            turnover = (1.5 + 4 * math.exp(-days_left / 5)) * rng.uniform(0.7, 1.3)
        return max(int(lots), 1), max(lots, 1) * turnover, rng.uniform(-0.12, 0.35), rng.random()

    def _day_oi_samples(self, instrument: Instrument, day: date) -> tuple[int, ...]:
        """Open interest at the OI_SAMPLES + 1 sample points of a session (for oi_day_high/low)."""
        return tuple(self.open_interest(instrument, day, j / OI_SAMPLES) for j in range(OI_SAMPLES + 1))

    def open_interest(self, instrument: Instrument, day: date, u: float) -> int:
        lots, _, drift, phase = self._profile(instrument, day)
        factor = 1 + drift * u + 0.03 * u * math.sin(2 * math.pi * (3 * u + phase))
        return max(int(lots * factor), 1) * instrument.lot_size

    def volume(self, instrument: Instrument, day: date, u: float) -> int:
        day_lots = self._profile(instrument, day)[1]
        return int(day_lots * volume_profile(u)) * instrument.lot_size

    def _best_bid_ask(self, fair: float, rng: random.Random, future: bool,
                      tick: float = TICK) -> tuple[float, float]:
        relative = 0.0 if future else 0.001 * fair  # futures trade a few ticks wide, options about 0.1 %
        spread = max(tick, pricing.to_tick(relative + tick * rng.randint(0, 4), tick))
        bid = max(math.floor((fair - spread / 2) / tick) * tick, 0.0)
        return round(bid, 2), round(max(bid + spread, tick), 2)


def _empty_levels() -> list[dict]:
    return [{"price": 0, "quantity": 0, "orders": 0} for _ in range(5)]


def _depth(bid: float, ask: float, lot: int, rng: random.Random,
           tick: float = TICK) -> tuple[list[dict], list[dict]]:
    buy, sell, down, up = [], [], bid, ask
    for _ in range(5):
        for side, price in ((buy, down), (sell, up)):
            lots = rng.randint(1, 40)
            side.append({"price": round(price, 2) if price > 0 else 0, "quantity": lot * lots if price > 0 else 0,
                         "orders": rng.randint(1, lots) if price > 0 else 0})
        down, up = max(down - tick * rng.randint(1, 3), 0.0), up + tick * rng.randint(1, 3)
    return buy, sell
