"""The option chain of one index and expiry, per strike and side, with Greeks: what every face shows as "the chain".

Conventions (SPEC §7, the same as the stored IVs): time to expiry in calendar minutes from the snapshot's time to
15:30 IST of the expiry day / 365 days; IV as a decimal solved from the mid of best bid/ask (else LTP) with IV_MODEL
(black_scholes on spot with IV_RISK_FREE_RATE and IV_DIVIDEND_YIELD; nse = Black-Scholes with r = 10 %, q = 0;
black76 on the chain's put-call-parity forward). Greeks use the same model and inputs: delta and gamma per unit of
the underlying, theta per calendar day, vega per 1 vol point. An option without an IV has no Greeks (None, never a
made-up number). OI change since the day's open is the collector's (current - first OI seen today); since the
previous session's close it is current - OI of the last snapshot of the previous trading day, None when no such
snapshot is kept. Buildup uses the analytics thresholds (BUILDUP_*_THRESHOLD_PERCENT). ATM, max pain and spot are
marked. numpy and scipy load only when a chain is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping, Sequence

from op_trading.analytics import chain as metrics
from op_trading.analytics.common import finite
from op_trading.market import calendar
from op_trading.queries.snapshots import ChainSnapshots, StoredChain

CONVENTIONS = ("T = calendar minutes to 15:30 IST on expiry / (365 x 24 x 60); IV decimal (0.15 = 15 vol points); "
               "delta, gamma per 1 point of the underlying; theta per calendar day; vega per 1 vol point")


@dataclass(frozen=True)
class ChainSide:
    ltp: float | None
    bid: float | None
    ask: float | None
    volume: int | None
    oi: int | None
    oi_change_day: int | None  # since the day's open
    oi_change_prev_close: int | None  # since the previous session's close
    iv: float | None  # decimal
    delta: float | None
    gamma: float | None
    theta: float | None  # per calendar day
    vega: float | None  # per 1 vol point
    buildup: str
    itm: bool


@dataclass(frozen=True)
class ChainRow:
    strike: float
    call: ChainSide | None
    put: ChainSide | None
    atm: bool = False
    max_pain: bool = False


@dataclass(frozen=True)
class ChainView:
    index: str
    expiry: date
    buckets: list[str]
    source: str
    as_of: datetime
    spot: float | None
    atm_strike: float | None
    max_pain: float | None
    pcr_oi: float | None  # whole snapshot window, both sides
    pcr_volume: float | None
    model: str
    rows: list[ChainRow]
    strikes_in_snapshot: int
    previous_close_as_of: datetime | None = None
    expiries: list[date] = field(default_factory=list)
    conventions: str = CONVENTIONS


def model_parameters(settings) -> tuple[str, float, float]:
    model = settings["IV_MODEL"]
    if model == "nse":
        from op_trading.analytics.iv_conventions import NSE_RISK_FREE_RATE

        return model, NSE_RISK_FREE_RATE, 0.0
    return model, float(settings["IV_RISK_FREE_RATE"]), float(settings["IV_DIVIDEND_YIELD"])


def option_greeks(options: Sequence[Mapping[str, Any]], spot: float | None, expiry: date, as_of: datetime,
                  model: str, r: float, q: float) -> list[dict[str, float | None]]:
    """delta/gamma/theta/vega per option (same order), vectorised; None where the IV or spot is unknown."""
    import numpy as np

    from op_trading.analytics import black_scholes as bs
    from op_trading.analytics.iv_conventions import synthetic_forward, time_to_expiry

    empty = [{"delta": None, "gamma": None, "theta": None, "vega": None} for _ in options]
    if not options or finite(spot) is None:
        return empty
    t = time_to_expiry(as_of, expiry)
    strikes = np.array([float(option["strike"]) for option in options])
    sigma = np.array([finite(option.get("iv")) or np.nan for option in options])
    flags = ["CE" if metrics.side_of(option) == metrics.CALL else "PE" for option in options]
    if model == "black76":
        calls = {float(o["strike"]): finite(o.get("last_price")) for o in options if metrics.side_of(o) == "CALL"}
        puts = {float(o["strike"]): finite(o.get("last_price")) for o in options if metrics.side_of(o) == "PUT"}
        both = sorted(k for k in calls if k in puts and calls[k] and puts[k])
        forward = synthetic_forward(both, [calls[k] for k in both], [puts[k] for k in both], r, t)
        values = bs.black76_greeks(forward, strikes, t, r, sigma, flags)
    else:
        values = bs.greeks(float(spot), strikes, t, r, sigma, flags, q)
    result = []
    for position in range(len(options)):
        result.append({name: _number(values[name][position]) for name in ("delta", "gamma", "theta", "vega")})
    return result


def _number(value) -> float | None:
    return finite(value)


def _whole(value) -> int | None:
    number = finite(value)
    return None if number is None else int(round(number))


def previous_close_oi(snapshots: ChainSnapshots, chain: StoredChain):
    """OI of the last snapshot of the previous trading day (None when none is kept)."""
    previous_day = calendar.previous_trading_day(chain.as_of.date())
    end_of_day = datetime.combine(previous_day, time.max, calendar.IST)
    found = snapshots.oi_at(chain.index, chain.expiry, end_of_day)
    if found is None or found.as_of.date() >= chain.as_of.date():
        return None
    return found


def build_chain(chain: StoredChain, settings, snapshots: ChainSnapshots, strikes: int | None = None,
                expiries: list[date] | None = None) -> ChainView:
    """The chain view of a stored snapshot, `strikes` strikes each side of the ATM (all when None)."""
    options = [option for option in chain.options if finite(option.get("strike")) is not None]
    model, r, q = model_parameters(settings)
    greeks = option_greeks(options, chain.spot, chain.expiry, chain.as_of, model, r, q)
    changes = {(c.strike, c.side): c for c in metrics.strike_changes(
        options, settings["BUILDUP_PRICE_THRESHOLD_PERCENT"], settings["BUILDUP_OI_THRESHOLD_PERCENT"])}
    previous = previous_close_oi(snapshots, chain)
    listed = metrics.listed_strikes(options)
    atm = metrics.atm_strike(listed, chain.spot)
    pain = metrics.max_pain(options) if options else None
    sides: dict[tuple[float, str], ChainSide] = {}
    for option, greek in zip(options, greeks):
        strike, side = float(option["strike"]), metrics.side_of(option)
        oi = _whole(option.get("oi"))
        before = None if previous is None else previous.oi.get((strike, side))
        itm = chain.spot is not None and (strike < chain.spot if side == metrics.CALL else strike > chain.spot)
        sides[(strike, side)] = ChainSide(
            _number(option.get("last_price")), _number(option.get("bid")), _number(option.get("ask")),
            _whole(option.get("volume")), oi, _whole(option.get("oi_change")),
            None if oi is None or before is None else oi - before, _number(option.get("iv")), greek["delta"],
            greek["gamma"], greek["theta"], greek["vega"], changes[(strike, side)].buildup.value, bool(itm))
    shown = _window(listed, atm, strikes)
    rows = [ChainRow(strike, sides.get((strike, metrics.CALL)), sides.get((strike, metrics.PUT)), strike == atm,
                     strike == pain) for strike in shown]
    return ChainView(chain.index, chain.expiry, list(chain.buckets), chain.source, chain.as_of, chain.spot, atm, pain,
                     metrics.pcr(options, "oi") if options else None,
                     metrics.pcr(options, "volume") if options else None, model, rows, len(listed),
                     previous.as_of if previous else None, list(expiries or []))


def _window(listed: list[float], atm: float | None, strikes: int | None) -> list[float]:
    if strikes is None or atm is None:
        return listed
    centre = listed.index(atm)
    return listed[max(0, centre - strikes): centre + strikes + 1]


@dataclass(frozen=True)
class OiChangeRow:
    strike: float
    call_oi: int | None
    put_oi: int | None
    call_change: int | None
    put_change: int | None


@dataclass(frozen=True)
class OiChange:
    index: str
    expiry: date
    source: str
    as_of: datetime
    since: datetime | None  # the snapshot compared with (None: no snapshot that old is kept)
    window_minutes: int
    rows: list[OiChangeRow]


def oi_change(chain: StoredChain, snapshots: ChainSnapshots, window_minutes: int) -> OiChange:
    """OI change by strike between the latest snapshot and the last one at or before `window_minutes` earlier."""
    now = {key: value for key, value in _oi(chain).items()}
    then = snapshots.oi_at(chain.index, chain.expiry, chain.as_of - timedelta(minutes=window_minutes))
    if then is not None and then.as_of >= chain.as_of:
        then = None
    rows = []
    for strike in sorted({strike for strike, _ in now}):
        call, put = now.get((strike, "CALL")), now.get((strike, "PUT"))
        before_call = None if then is None else then.oi.get((strike, "CALL"))
        before_put = None if then is None else then.oi.get((strike, "PUT"))
        rows.append(OiChangeRow(strike, call, put, None if call is None or before_call is None else call - before_call,
                                None if put is None or before_put is None else put - before_put))
    return OiChange(chain.index, chain.expiry, chain.source, chain.as_of, then.as_of if then else None,
                    window_minutes, rows)


def _oi(chain: StoredChain) -> dict[tuple[float, str], int]:
    from op_trading.queries.snapshots import oi_map

    return oi_map(chain.options)
