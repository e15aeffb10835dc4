"""Historical candles (`GET /instruments/historical/{token}/{interval}`), cut from the same paths as the quotes.

Candles are `[ts, open, high, low, close, volume(, oi)]` with ts like "2026-11-20T09:15:00+0530"; bars start at
09:15 and the last bar of a session may be short (60minute: 15:15-15:30). Only sessions up to the simulated now
are returned, the running session up to its current bar. Indices have volume 0 (and oi 0). Options and futures
have data from their listing (weeklies 35 days, monthlies 100 days before expiry). The per-interval date-range
caps are Kite's (domain.md §1.8).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from op_trading.market import calendar
from op_trading.sandbox import pricing
from op_trading.sandbox.contracts import Instrument
from op_trading.sandbox.errors import input_error
from op_trading.sandbox.market import ALL_KEYS, STEPS, VIX_KEY, MarketModel, NoMarketData, session_position, step_time
from op_trading.sandbox.quotes import QuoteMaker

INTERVAL_MINUTES = {"minute": 1, "3minute": 3, "5minute": 5, "10minute": 10, "15minute": 15, "30minute": 30,
                    "60minute": 60, "day": 375}
MAX_DAYS = {"minute": 60, "3minute": 100, "5minute": 100, "10minute": 100, "15minute": 200, "30minute": 200,
            "60minute": 400, "day": 2000}
STEPS_PER_MINUTE = 4
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_when(text: str, name: str) -> datetime:
    for layout in DATE_FORMATS:
        try:
            return calendar.to_ist(datetime.strptime(text.strip(), layout))
        except ValueError:
            continue
    raise input_error(f"invalid {name} date")


def validate(interval: str, start_text: str, end_text: str, continuous: bool) -> tuple[datetime, datetime]:
    if interval not in INTERVAL_MINUTES:
        raise input_error("invalid interval")
    start, end = parse_when(start_text or "", "from"), parse_when(end_text or "", "to")
    if len(end_text.strip()) == 10:  # a bare to-date means the whole day
        end += timedelta(days=1) - timedelta(seconds=1)
    if start > end:
        raise input_error("from date cannot be after to date")
    if (end - start).days > MAX_DAYS[interval]:
        raise input_error(f"interval exceeds max limit: {MAX_DAYS[interval]} days")
    if continuous and interval != "day":
        raise input_error("continuous data is only available for the day interval")
    return start, end


def listing_date(instrument: Instrument) -> date | None:
    if instrument.expiry is None:
        return None
    return instrument.expiry - timedelta(days=35 if instrument.weekly else 100)


class CandleMaker:
    def __init__(self, market: MarketModel, quotes: QuoteMaker) -> None:
        self.market, self.quotes = market, quotes
        # A finished session's bars never change: kept, so a backfill asked again (or by the next test) is cheap
        self._session_bars = lru_cache(maxsize=512)(self._day_bars)

    def candles(self, instrument: Instrument, interval: str, start: datetime, end: datetime, now: datetime,
                with_oi: bool) -> list[list]:
        current_day, current_step = session_position(now)
        first = max(start.date(), listing_date(instrument) or start.date())
        bars = []
        for day in calendar.trading_days(first, min(end.date(), current_day)):
            last_step = int(current_step) if day == current_day else STEPS
            bars_of = self._session_bars if last_step == STEPS else self._day_bars
            try:
                bars += bars_of(instrument, interval, day, last_step, with_oi)
            except NoMarketData:
                continue
        if interval == "day":
            return [bar for started, bar in bars if start.date() <= started.date() <= end.date()]
        return [bar for started, bar in bars if start <= started <= end]

    def _day_bars(self, instrument, interval, day, last_step, with_oi) -> list[tuple[datetime, list]]:
        """(bar start, candle) for one session up to `last_step`."""
        path = self.market.day_path(day)
        spot = path.levels[ALL_KEYS.index(instrument.index_key)]
        vix = path.levels[ALL_KEYS.index(VIX_KEY)]
        width = INTERVAL_MINUTES[interval] * STEPS_PER_MINUTE
        bars = []
        for begin in range(0, max(last_step, 1), width):
            finish = min(begin + width, last_step, STEPS)
            window = spot[begin:finish + 1]
            started = step_time(day, begin)
            stamp = (datetime.combine(day, datetime.min.time()) if interval == "day" else started)
            spot_ohlc = (float(window[0]), float(window.max()), float(window.min()), float(window[-1]))
            values = self._ohlc(instrument, day, spot_ohlc, begin, finish, (float(vix[begin]), float(vix[finish])))
            bar = [stamp.strftime("%Y-%m-%dT%H:%M:%S+0530"), *values,
                   self._volume(instrument, day, begin, finish)]
            if with_oi:
                bar.append(0 if instrument.is_index else self.quotes.open_interest(instrument, day, finish / STEPS))
            bars.append((started, bar))
        return bars

    def _ohlc(self, instrument, day, spot, begin, finish, vix) -> list[float]:
        opening, high, low, closing = spot
        if instrument.is_index:
            return [round(value, 2) for value in spot]
        value, (vix_open, vix_close) = self.quotes.valuer(instrument), vix
        at_open, at_close = step_time(day, begin), step_time(day, finish)
        prices = [value(opening, at_open, vix_open), value(high, at_close, vix_close),
                  value(low, at_close, vix_close), value(closing, at_close, vix_close)]
        prices = [pricing.to_tick(p, instrument.tick_size) for p in prices]
        return [prices[0], max(prices), min(prices), prices[3]]

    def _volume(self, instrument, day, begin, finish) -> int:
        if instrument.is_index:
            return 0
        return self.quotes.volume(instrument, day, finish / STEPS) - self.quotes.volume(instrument, day, begin / STEPS)
