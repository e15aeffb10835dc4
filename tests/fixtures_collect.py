"""Hand-made instrument dumps and quote answers for the collection tests that do not need the simulator.

Rows follow Kite's dump exactly as `kiteconnect.KiteConnect.instruments()` returns them (expiry as `date`, strike
as float, tokens obeying exchange_token * 256 + segment id). `QuoteBook` answers quote calls the way Kite does:
keyed by the requested string, absent keys for unknown instruments, full quote shape with depth.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Iterable

from op_trading.market.calendar import IST
from op_trading.market.indices import ALL_INDICES

SEGMENT_IDS = {"NFO": 2, "BFO": 5, "INDICES": 9}
_next_token = {"value": 40000}


def option_rows(underlying: str, exchange: str, expiries: Iterable[date], strikes: Iterable[float],
                lot_size: int = 75) -> list[dict]:
    rows = []
    for expiry in expiries:
        for strike in strikes:
            for kind in ("CE", "PE"):
                _next_token["value"] += 1
                exchange_token = _next_token["value"]
                rows.append({
                    "instrument_token": exchange_token * 256 + SEGMENT_IDS[exchange],
                    "exchange_token": str(exchange_token),
                    "tradingsymbol": f"{underlying}{expiry:%y%m%d}{int(strike)}{kind}",
                    "name": underlying, "last_price": 0.0, "expiry": expiry, "strike": float(strike),
                    "tick_size": 0.05, "lot_size": lot_size, "instrument_type": kind,
                    "segment": f"{exchange}-OPT", "exchange": exchange,
                })
    return rows


def index_rows() -> list[dict]:
    return [{"instrument_token": index.instrument_token, "exchange_token": str(index.exchange_token),
             "tradingsymbol": index.tradingsymbol, "name": index.tradingsymbol, "last_price": 0.0, "expiry": "",
             "strike": 0.0, "tick_size": 0.0, "lot_size": 0, "instrument_type": "EQ", "segment": "INDICES",
             "exchange": index.exchange} for index in ALL_INDICES]


def ladder(centre: float, step: float, count: int = 20) -> list[float]:
    return [centre + step * k for k in range(-count, count + 1)]


class FakeDumps:
    """`fetch(exchange)` like kite.instruments(exchange), counting calls."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows
        self.calls: list[str] = []

    def __call__(self, exchange: str) -> list[dict]:
        self.calls.append(exchange)
        if exchange not in self.rows:
            raise RuntimeError(f"no dump for {exchange}")
        return [dict(row) for row in self.rows[exchange]]


def standard_dumps(today: date = date(2025, 10, 14)) -> FakeDumps:
    """NIFTY/SENSEX with weeklies, the other three monthly-only; NFO also lists traps for substring matching."""
    from datetime import timedelta

    nifty_weeklies = [today + timedelta(days=7 * k) for k in range(4)] + [date(2025, 10, 28), date(2025, 11, 25),
                                                                         date(2025, 12, 30)]
    sensex_weeklies = [today + timedelta(days=2 + 7 * k) for k in range(4)] + [date(2025, 10, 30),
                                                                               date(2025, 11, 27)]
    monthlies = [date(2025, 10, 28), date(2025, 11, 25), date(2025, 12, 30)]
    nfo = (option_rows("NIFTY", "NFO", sorted(set(nifty_weeklies)), ladder(25200, 50), 75)
           + option_rows("BANKNIFTY", "NFO", monthlies, ladder(25200, 100), 35)  # same strikes as NIFTY: a trap
           + option_rows("FINNIFTY", "NFO", monthlies, ladder(25200, 50), 65)
           + option_rows("MIDCPNIFTY", "NFO", monthlies, ladder(12900, 25), 140)
           + option_rows("NIFTYNXT50", "NFO", monthlies, ladder(25200, 100), 25))
    bfo = option_rows("SENSEX", "BFO", sorted(set(sensex_weeklies)), ladder(82500, 100), 20)
    indices = index_rows()
    return FakeDumps({"NFO": nfo, "BFO": bfo, "NSE": [r for r in indices if r["exchange"] == "NSE"],
                      "BSE": [r for r in indices if r["exchange"] == "BSE"]})


SPOTS = {"NSE:NIFTY 50": 25212.0, "BSE:SENSEX": 82530.0, "NSE:NIFTY BANK": 25190.0,
         "NSE:NIFTY FIN SERVICE": 25260.0, "NSE:NIFTY MID SELECT": 12911.0, "NSE:INDIA VIX": 11.5}


class QuoteBook:
    """Answers quote(keys) from a strike/expiry map; counts calls; prices from Black-Scholes at 14% vol."""

    def __init__(self, dumps: FakeDumps, spots: dict[str, float] | None = None,
                 now: datetime = datetime(2025, 10, 14, 11, 0, 7, tzinfo=IST)):
        self.spots = dict(spots or SPOTS)
        self.now = now
        self.calls: list[list[str]] = []
        self.oi_shift = 0
        self.hidden: set[str] = set()  # keys left out of answers, as Kite does for instruments without data
        self.contracts = {f"{row['exchange']}:{row['tradingsymbol']}": row
                          for rows in dumps.rows.values() for row in rows if row["segment"].endswith("-OPT")}
        self.underlying_spot = {"NIFTY": "NSE:NIFTY 50", "SENSEX": "BSE:SENSEX", "BANKNIFTY": "NSE:NIFTY BANK",
                                "FINNIFTY": "NSE:NIFTY FIN SERVICE", "MIDCPNIFTY": "NSE:NIFTY MID SELECT",
                                "NIFTYNXT50": "NSE:NIFTY 50"}

    def __call__(self, keys: list[str]) -> dict:
        self.calls.append(list(keys))
        answer = {}
        for key in keys:
            if key in self.hidden:
                continue
            if key in self.spots:
                answer[key] = self.spot_quote(key)
            elif key in self.contracts:
                answer[key] = self.option_quote(self.contracts[key])
        return answer

    def spot_quote(self, key: str) -> dict:
        spot = self.spots[key]
        return {"instrument_token": 1, "last_price": spot, "volume": 0, "oi": 0, "average_price": 0,
                "ohlc": {"open": spot - 10, "high": spot + 40, "low": spot - 60, "close": spot - 25},
                "depth": {"buy": [{"price": 0, "quantity": 0, "orders": 0}] * 5,
                          "sell": [{"price": 0, "quantity": 0, "orders": 0}] * 5}}

    def option_quote(self, row: dict) -> dict:
        spot = self.spots[self.underlying_spot[row["name"]]]
        price = max(bs_price(spot, row["strike"], row["expiry"], self.now, row["instrument_type"]), 0.05)
        price = round(price * 20) / 20
        oi = 100000 + int(row["strike"]) % 997 * 10 + self.oi_shift
        return {"instrument_token": row["instrument_token"], "last_price": price, "volume": 5000,
                "average_price": price * 0.98, "oi": float(oi), "oi_day_high": float(oi), "oi_day_low": float(oi),
                "ohlc": {"open": price * 1.1, "high": price * 1.3, "low": price * 0.8, "close": price * 1.05},
                "depth": {"buy": [{"price": round(price - 0.05, 2), "quantity": 75, "orders": 1}] * 5,
                          "sell": [{"price": round(price + 0.05, 2), "quantity": 75, "orders": 1}] * 5}}


def bs_price(spot: float, strike: float, expiry: date, now: datetime, kind: str, vol: float = 0.14,
             r: float = 0.065) -> float:
    from op_trading.analytics.iv_conventions import time_to_expiry

    t = time_to_expiry(now, expiry)
    if t <= 0:
        return max(spot - strike, 0.0) if kind == "CE" else max(strike - spot, 0.0)
    d1 = (math.log(spot / strike) + (r + vol * vol / 2) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731 - the normal CDF, used twice
    if kind == "CE":
        return spot * n(d1) - strike * math.exp(-r * t) * n(d2)
    return strike * math.exp(-r * t) * n(-d2) - spot * n(-d1)


# --- the local simulator with the official client ----------------------------------------------------------------

def sim_settings(mode: str = "development", **overrides: str):
    """Settings of the test's project home, with overrides (values as they would appear in .env)."""
    from op_trading.config.settings import load_settings

    return load_settings(mode, {key: str(value) for key, value in overrides.items()})


def start_simulator(start_at: str, **options):
    """A Sandbox on a free port with its clock at `start_at` (IST); the caller stops it."""
    from op_trading.sandbox import Sandbox

    return Sandbox(port=0, seed=42, start_at=start_at, **options).start()


def sim_kite(sandbox):
    from kiteconnect import KiteConnect

    return KiteConnect(api_key=sandbox.api_key, access_token=sandbox.issue_access_token(), root=sandbox.url)


def sim_collector(sandbox, settings=None, persistent_cache: bool = False):
    """The production wiring (`build_collector`) pointed at the simulator, labelled mock."""
    from op_trading.collectors.loop import LoopClock
    from op_trading.runtime.collect import Feed, build_collector

    feed = Feed("mock", sim_kite(sandbox), LoopClock(sandbox.clock.now, sandbox.clock.speed),
                persistent_cache=persistent_cache)
    return build_collector(settings or sim_settings(), feed), feed


def quote_requests(sandbox, *feeds) -> int:
    """The simulator's count of /quote requests less the retries the feeds' clients sent: on a loaded machine a
    request can time out and be asked again, which is the retry policy working, not an extra quote call."""
    from op_trading.kite.client import call_stats

    return sandbox.count("GET /quote") - sum(call_stats(feed.kite).retries for feed in feeds)
