"""Builds N simulated trading days of history in an embedded store, fast: whole series-days at once, written
straight into the store's daily chunks (`EmbeddedStore.write_arrays_many`), not cycle by cycle.

A trading day is 750 cycles (09:15-15:30 IST every 30 s) of the default universe: five indices x four expiry buckets
x call/put x ATM +-2 legs (`atm_option_quote`, the collector's fields), six `index_overview` rows per cycle (with the
per-bucket straddle, OI, PCR and IV fields) and a full chain snapshot every 300 s (every distinct expiry, 41 strikes
x both sides: `option_chain` + `option_chain_snapshot`). Each day also gets the daily rollup rows the service
writes as data arrives (`index_daily`, `position_close`; see `daily_rollups`). Prices are random walks on the
exchange's 0.05 tick (as Kite sends them, VWAP and bid/ask too); derived fields (changes, percentages, IV) are full
floats, as the collector computes them.

    from tests.performance.history import build
    end = build(store, days=20)            # returns the end of the last day built (datetime, IST)
    build(legacy_store, days=1, legacy=True)   # same data through write() for the previous layout
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterator

import numpy as np

from op_trading.storage.point import IST, Point

CYCLES_PER_DAY = 750
CYCLE_SECONDS = 30
SNAPSHOT_EVERY = 10  # cycles (300 s, CHAIN_SNAPSHOT_SECONDS' default)
STRIKE_WINDOW = 20
FIRST_DAY = date(2026, 1, 5)
BUCKETS = ("this_week", "next_week", "this_month", "next_month")
OFFSETS = (-2, -1, 0, 1, 2)
# key, leg label, overview symbol, spot, strike step, lot, weekly expiries
INDICES = (("NIFTY", "NIFTY", "NIFTY 50", 25000.0, 50, 75, True),
           ("SENSEX", "SENSEX", "SENSEX", 82000.0, 100, 20, True),
           ("BANKNIFTY", "BANKNIFTY", "NIFTY BANK", 56000.0, 100, 35, False),
           ("FINNIFTY", "NIFTY FIN SERVICE", "NIFTY FIN SERVICE", 26500.0, 50, 65, False),
           ("MIDCPNIFTY", "NIFTY MID SELECT", "NIFTY MID SELECT", 13000.0, 25, 140, False))


def trading_days(count: int, first: date = FIRST_DAY) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def cycle_times(day: date) -> np.ndarray:
    start = datetime.combine(day, time(9, 15), IST)
    first = int(start.timestamp()) * 10 ** 9
    return first + np.arange(CYCLES_PER_DAY, dtype=np.int64) * CYCLE_SECONDS * 10 ** 9


def expiries(day: date, weekly: bool) -> dict[str, date]:
    """Bucket -> expiry: weeklies on Tuesdays, monthlies on the last Tuesday (this_week = this_month when monthly)."""
    tuesday = day + timedelta(days=(1 - day.weekday()) % 7)
    month_end = _last_tuesday(day) if _last_tuesday(day) >= day else _last_tuesday(_next_month(day))
    next_month_end = _last_tuesday(_next_month(month_end))
    if weekly:
        return {"this_week": tuesday, "next_week": tuesday + timedelta(days=7), "this_month": month_end,
                "next_month": next_month_end}
    return {"this_week": month_end, "next_week": next_month_end, "this_month": month_end,
            "next_month": next_month_end}


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _last_tuesday(day: date) -> date:
    last = _next_month(day) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 1) % 7)


def _ticks(values: np.ndarray) -> np.ndarray:
    """Prices on the 0.05 tick, as exact decimals (k * 5 / 100, like JSON-parsed quotes)."""
    return np.maximum(np.round(values * 20), 1) * 5 / 100


class HistoryBuilder:
    def __init__(self, seed: int = 12):
        self.rng = np.random.default_rng(seed)
        self.spots = {index[0]: index[3] for index in INDICES}

    def day_items(self, day: date) -> Iterator[tuple[str, dict, np.ndarray, dict]]:
        """(measurement, tags, times, columns) of every series of one trading day."""
        times = cycle_times(day)
        for key, label, symbol, _, step, lot, weekly in INDICES:
            close = self.spots[key]
            walk = close * np.exp(np.cumsum(self.rng.normal(0, 0.0004, CYCLES_PER_DAY)))
            spot = _ticks(walk)
            self.spots[key] = float(spot[-1])
            atm = int(round(spot[0] / step) * step)
            buckets = expiries(day, weekly)
            overview = self._overview(spot, close, atm, buckets, day)
            for bucket, expiry in buckets.items():
                atm_legs = {}
                for side in ("CE", "PE"):
                    for offset in OFFSETS:
                        strike = atm + offset * step
                        columns = self._leg(spot, strike, side, expiry, day, lot, atm)
                        if offset == 0:
                            atm_legs[side] = columns
                        tags = {"index": label, "option_type": side, "expiration": expiry.isoformat(),
                                "strike": str(atm), "bucket": bucket, "strike_offset": _offset(offset),
                                "source": "mock"}
                        yield "atm_option_quote", tags, times, columns
                call, put = atm_legs["CE"], atm_legs["PE"]
                overview[f"{bucket.upper()}_TP"] = call["last_price"] + put["last_price"]
                overview[f"{bucket}_atm_iv"] = (call["iv"] + put["iv"]) / 2
            yield "index_overview", {"index": symbol, "source": "mock"}, times, overview
            yield from self._chains(key, label, spot, step, lot, buckets, day, times)
        vix = _ticks(14 + np.cumsum(self.rng.normal(0, 0.01, CYCLES_PER_DAY)))
        yield "index_overview", {"index": "INDIA VIX", "source": "mock"}, times, {"last_price": vix}

    def _leg(self, spot, strike, side, expiry, day, lot, atm) -> dict:
        n = len(spot)
        days = max((expiry - day).days, 0)
        intrinsic = np.maximum(spot - strike, 0) if side == "CE" else np.maximum(strike - spot, 0)
        time_value = spot * 0.004 * np.sqrt(days + 0.5) * np.exp(-abs(strike - atm) / (spot[0] * 0.01))
        last = _ticks(intrinsic + time_value * (1 + np.cumsum(self.rng.normal(0, 0.002, n))))
        close = float(_ticks(np.array([last[0] * (1 + self.rng.normal(0, 0.03))]))[0])
        day_open = last[0]
        oi_open = int(self.rng.integers(2_000, 80_000)) * lot
        oi = oi_open + np.cumsum(self.rng.integers(-20, 21, n)) * lot
        net = last - close
        day_change = last - day_open
        return {"last_price": last, "average_price": _ticks(np.cumsum(last) / np.arange(1, n + 1)),
                "ohlc_open": np.full(n, day_open), "ohlc_high": np.maximum.accumulate(last),
                "ohlc_low": np.minimum.accumulate(last), "ohlc_close": np.full(n, close), "net_change": net,
                "net_change_percent": net / close * 100, "day_change": day_change,
                "day_change_percent": day_change / day_open * 100,
                "iv": 0.12 + np.abs(self.rng.normal(0, 0.01)) + np.cumsum(self.rng.normal(0, 0.0004, n)),
                "leg_strike": np.full(n, float(strike)), "bid": _ticks(last - 0.05), "ask": _ticks(last + 0.05),
                "volume": np.cumsum(self.rng.integers(0, 400, n)) * lot, "oi": oi, "oi_open": np.full(n, oi_open),
                "oi_change": oi - oi_open, "days_to_expiry": np.full(n, days), "atm_strike_val": np.full(n, atm)}

    def _overview(self, spot, close, atm, buckets, day) -> dict:
        n = len(spot)
        net, day_change = spot - close, spot - spot[0]
        high, low = np.maximum.accumulate(spot), np.minimum.accumulate(spot)
        columns = {"atm_strike": np.full(n, atm), "last_price": spot, "open": np.full(n, spot[0]), "high": high,
                   "low": low, "close": np.full(n, close), "net_change": net, "net_change_percent": net / close * 100,
                   "day_change": day_change, "day_change_percent": day_change / spot[0] * 100,
                   "day_width": high - low, "day_width_percent": (high - low) / spot[0] * 100}
        for bucket, expiry in buckets.items():
            calls = 1e6 + np.cumsum(self.rng.normal(0, 1e3, n))
            puts = 1e6 + np.cumsum(self.rng.normal(0, 1e3, n))
            columns.update({f"{bucket.upper()}_OI_CALL": calls, f"{bucket.upper()}_OI_PUT": puts,
                            f"pcr_{bucket}": puts / calls, f"{bucket}_iv_open": np.full(n, 0.13),
                            f"{bucket}_iv_day_change": self.rng.normal(0, 0.001, n),
                            f"{bucket}_days_to_expiry": np.full(n, (expiry - day).days)})
        return columns

    def _chains(self, key, label, spot, step, lot, buckets, day, times):
        picks = np.arange(0, CYCLES_PER_DAY, SNAPSHOT_EVERY)
        when = times[picks]
        at_spot = spot[picks]
        centre = int(round(at_spot[0] / step) * step)
        distinct: dict[date, list[str]] = {}
        for bucket, expiry in buckets.items():
            distinct.setdefault(expiry, []).append(bucket)
        for expiry, names in distinct.items():
            count = 0
            for position in range(-STRIKE_WINDOW, STRIKE_WINDOW + 1):
                strike = centre + position * step
                for side in ("CE", "PE"):
                    leg = self._leg(at_spot, strike, side, expiry, day, lot, centre)
                    columns = {name: leg[name] for name in ("last_price", "bid", "ask", "iv", "volume", "oi",
                                                            "oi_open")}
                    columns["close"] = leg["ohlc_close"]
                    count += 1
                    yield "option_chain", {"index": key, "expiration": expiry.isoformat(),
                                           "strike": str(strike), "option_type": side, "source": "mock"}, when, columns
            n = len(when)
            buckets_text = np.empty(n, object)
            buckets_text[:] = ",".join(names)
            labels = np.empty(n, object)
            labels[:] = label
            yield "option_chain_snapshot", {"index": key, "expiration": expiry.isoformat(), "source": "mock"}, when, {
                "spot": at_spot, "atm_strike": np.full(n, float(centre)), "options": np.full(n, count),
                "buckets": buckets_text, "label": labels}


def _offset(offset: int) -> str:
    return "atm" if offset == 0 else f"atm_{'p' if offset > 0 else 'm'}{abs(offset)}"


def points_of(item) -> list[Point]:
    """One series' day as Points (for the previous layout and for write() rates)."""
    measurement, tags, times, columns = item
    names = list(columns)
    lists = [np.asarray(columns[name]).tolist() for name in names]
    out = []
    for position, moment in enumerate(times.tolist()):
        stamp = datetime.fromtimestamp(moment / 1e9, IST)
        out.append(Point(measurement, tags, {name: values[position] for name, values in zip(names, lists)}, stamp))
    return out


def daily_rollups(items, day: date) -> list[tuple[str, dict, np.ndarray, dict]]:
    """The day's rows of the rollups the service maintains as data arrives (op_trading/analytics/rollups.py and
    positions.py): each index's close (`index_daily`) and each contract's last snapshot (`position_close`), stamped
    15:30 IST, so a restart over this history seeds from them as it would over the service's own history."""
    close = np.array([int(datetime.combine(day, time(15, 30), IST).timestamp()) * 10 ** 9], np.int64)
    rollups: dict[tuple, tuple] = {}
    for measurement, tags, _, columns in items:
        if measurement == "index_overview":
            rollups[(measurement, tags["index"])] = ("index_daily", {"index": tags["index"], "source": tags["source"]},
                                                     close, {"close": np.asarray(columns["last_price"][-1:])})
        elif measurement == "atm_option_quote":  # a contract in two buckets (this week = this month) once
            contract = {"index": tags["index"], "expiration": tags["expiration"],
                        "strike": f"{float(columns['leg_strike'][-1]):g}", "option_type": tags["option_type"],
                        "source": tags["source"]}
            rollups[("position_close", tuple(contract.items()))] = (
                "position_close", contract, close,
                {name: np.asarray(columns[name][-1:]) for name in ("oi", "volume", "last_price")})
    return list(rollups.values())


def build(store, days: int, start_day: int = 0, legacy: bool = False, builder: HistoryBuilder | None = None,
          progress=None) -> datetime:
    """Append trading days [start_day, days) of history; returns the end (15:30 IST) of the last day."""
    builder = builder or HistoryBuilder()
    calendar = trading_days(days)
    for number, day in enumerate(calendar[start_day:], start_day + 1):
        items = list(builder.day_items(day))
        items += daily_rollups(items, day)
        if legacy:
            batch = []
            for item in items:
                batch += points_of(item)
                if len(batch) > 50_000:
                    store.write(batch)
                    batch = []
            store.write(batch)
        else:
            store.write_arrays_many(items)
        if progress:
            progress(number, days)
    return datetime.combine(calendar[-1], time(15, 30), IST)
