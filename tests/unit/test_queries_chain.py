"""The chain query: Greeks with the documented conventions, OI change since the previous session's close, marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from op_trading.analytics import black_scholes as bs
from op_trading.analytics.iv_conventions import time_to_expiry
from op_trading.config.settings import load_settings
from op_trading.market.calendar import IST
from op_trading.queries.chain import build_chain, oi_change
from op_trading.queries.snapshots import MemoryChains

EXPIRY = date(2026, 11, 24)


@dataclass
class Part:
    index: str
    expiry: date
    buckets: tuple
    spot: float
    atm_strike: float
    options: tuple


@dataclass
class Snapshot:
    timestamp: str
    source: str
    expiries: list


def options(oi_shift: int = 0, iv: float = 0.15):
    records = []
    for strike in (24800.0, 24900.0, 25000.0, 25100.0, 25200.0):
        for side in ("CALL", "PUT"):
            records.append({"strike": strike, "side": side, "expiry": EXPIRY.isoformat(), "last_price": 100.0,
                            "bid": 99.5, "ask": 100.5, "volume": 1000, "oi": 10000 + oi_shift + int(strike) % 7,
                            "oi_open": 10000, "oi_change": oi_shift, "iv": iv, "day_change_percent": 1.0,
                            "source": "mock"})
    return tuple(records)


def snapshot(when: str, oi_shift: int = 0) -> Snapshot:
    return Snapshot(when, "mock", [Part("NIFTY", EXPIRY, ("this_week", "this_month"), 25030.0, 25000.0,
                                       options(oi_shift))])


def settings(**values):
    return load_settings("development", values)


def test_greeks_follow_the_documented_units():
    chains = MemoryChains()
    chains.add(snapshot("2026-11-20T11:00:00+05:30"))
    view = build_chain(chains.latest("NIFTY"), settings(), chains)
    t = time_to_expiry(datetime(2026, 11, 20, 11, 0, tzinfo=IST), EXPIRY)
    expected = bs.greeks(25030.0, 25100.0, t, 0.065, 0.15, "c", 0.0)
    call = next(row for row in view.rows if row.strike == 25100.0).call
    assert call.delta == pytest.approx(expected["delta"]) and call.vega == pytest.approx(expected["vega"])
    bumped = bs.price(25030.0, 25100.0, t, 0.065, 0.16, "c") - bs.price(25030.0, 25100.0, t, 0.065, 0.15, "c")
    assert call.vega == pytest.approx(bumped, rel=0.02)  # per 1 vol point
    hour = 1 / 365 / 24
    per_hour = bs.price(25030.0, 25100.0, t - hour, 0.065, 0.15, "c") - bs.price(25030.0, 25100.0, t, 0.065, 0.15, "c")
    assert call.theta == pytest.approx(per_hour * 24, rel=0.02)  # per calendar day
    assert view.atm_strike == 25000.0 and [row.strike for row in view.rows if row.atm] == [25000.0]
    assert call.itm is False and next(row for row in view.rows if row.strike == 24900.0).call.itm is True
    assert view.buckets == ["this_week", "this_month"] and view.source == "mock"


def test_nse_model_uses_ten_percent_and_no_iv_means_no_greeks():
    chains = MemoryChains()
    part = snapshot("2026-11-20T11:00:00+05:30")
    part.expiries[0].options = tuple({**option, "iv": None} if option["strike"] == 24800.0 else option
                                     for option in part.expiries[0].options)
    chains.add(part)
    view = build_chain(chains.latest("NIFTY"), settings(IV_MODEL="nse"), chains)
    assert view.model == "nse"
    t = time_to_expiry(datetime(2026, 11, 20, 11, 0, tzinfo=IST), EXPIRY)
    put = next(row for row in view.rows if row.strike == 25200.0).put
    assert put.theta == pytest.approx(bs.greeks(25030.0, 25200.0, t, 0.10, 0.15, "p")["theta"])
    lowest = view.rows[0]
    assert lowest.call.delta is None and lowest.call.gamma is None and lowest.call.iv is None


def test_oi_change_since_previous_close_and_over_a_window():
    chains = MemoryChains()
    chains.add(snapshot("2026-11-19T15:29:30+05:30", oi_shift=0))  # previous session's last snapshot
    chains.add(snapshot("2026-11-20T10:00:00+05:30", oi_shift=300))
    chains.add(snapshot("2026-11-20T10:30:00+05:30", oi_shift=500))
    view = build_chain(chains.latest("NIFTY"), settings(), chains, strikes=1)
    assert [row.strike for row in view.rows] == [24900.0, 25000.0, 25100.0]
    assert all(row.call.oi_change_prev_close == 500 for row in view.rows)
    assert view.previous_close_as_of == datetime(2026, 11, 19, 15, 29, 30, tzinfo=IST)
    window = oi_change(chains.latest("NIFTY"), chains, 30)
    assert window.since == datetime(2026, 11, 20, 10, 0, tzinfo=IST)
    assert {row.call_change for row in window.rows} == {200}


def test_no_previous_session_kept_means_unknown_not_zero():
    chains = MemoryChains()
    chains.add(snapshot("2026-11-20T10:00:00+05:30", oi_shift=300))
    view = build_chain(chains.latest("NIFTY"), settings(), chains)
    assert view.previous_close_as_of is None
    assert all(row.call.oi_change_prev_close is None for row in view.rows)
    assert oi_change(chains.latest("NIFTY"), chains, 30).since is None
