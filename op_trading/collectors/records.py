"""Leg and overview records, field-compatible with the original market_app collectors (upstream.md §D.3–D.4).

Key names and order are the originals'; new keys come after them. Deliberate differences, all documented:
`iv` is computed; `oi_change` = oi − oi_open and `{bucket}_iv_day_change` = atm_iv − iv_open (the originals stored
the negation); `strike_offset` beyond ±2 is atm_m3/atm_p3… (the originals clamped, so offsets collided); TP is
None (not 0) when a price is missing. Every derived value is None when an input is missing or a divisor is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from op_trading.market.calendar import to_ist
from op_trading.market.indices import Index

LEG_KEYS = ("timestamp", "index", "bucket", "side", "expiry", "atm_strike", "strike", "strike_offset",
            "last_price", "days_to_expiry", "average_price", "volume", "oi", "oi_open", "oi_change", "ohlc.open",
            "ohlc.high", "ohlc.low", "ohlc.close", "net_change", "net_change_percent", "day_change",
            "day_change_percent", "iv", "source", "tradingsymbol", "instrument_token", "bid", "ask")
OVERVIEW_KEYS = ("timestamp", "symbol", "atm_strike", "last_price", "open", "high", "low", "close", "net_change",
                 "net_change_percent", "day_change", "day_change_percent", "day_width", "day_width_percent")
SIDES = {"CE": "CALL", "PE": "PUT"}


def number(value: Any) -> float | None:
    """A finite int/float, else None (bools, strings, NaN and missing values are not prices)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def whole(value: Any) -> int | None:
    """Counts (volume, OI): Kite sends OI as a float; stored as int like the original Influx schema."""
    value = number(value)
    return None if value is None else int(round(value))


def difference(a: Any, b: Any) -> float | None:
    a, b = number(a), number(b)
    return None if a is None or b is None else a - b


def percent(part: Any, base: Any) -> float | None:
    part, base = number(part), number(base)
    return None if part is None or not base else part / base * 100.0


def floor_half_minute(moment: datetime) -> datetime:
    """IST time floored to :00 or :30 seconds (the original `rounded_half_minute` floors too)."""
    moment = to_ist(moment)
    return moment.replace(second=30 if moment.second >= 30 else 0, microsecond=0)


def cycle_timestamp(moment: datetime) -> str:
    return floor_half_minute(moment).isoformat()


def offset_label(offset: int) -> str:
    if offset == 0:
        return "atm"
    return f"atm_{'p' if offset > 0 else 'm'}{abs(offset)}"


def best_price(quote: Mapping[str, Any], side: str) -> float | None:
    """Best bid ('buy') or ask ('sell') from the depth; Kite fills empty levels with price 0."""
    levels = (quote.get("depth") or {}).get(side) or []
    price = number(levels[0].get("price")) if levels and isinstance(levels[0], Mapping) else None
    return price if price else None


def _ohlc(quote: Mapping[str, Any]) -> Mapping[str, Any]:
    ohlc = quote.get("ohlc")
    return ohlc if isinstance(ohlc, Mapping) else {}


@dataclass(frozen=True)
class LegContext:
    """Everything about a leg that is not in its quote."""

    timestamp: str
    index: Index
    bucket: str
    side: str  # CE / PE
    expiry: date
    atm_strike: int
    strike: float
    offset: int
    days_to_expiry: int
    tradingsymbol: str
    instrument_token: int
    source: str


def leg_record(ctx: LegContext, quote: Mapping[str, Any], oi_open: int | None, iv: float | None) -> dict:
    ltp = number(quote.get("last_price"))
    ohlc = _ohlc(quote)
    oi = whole(quote.get("oi"))
    net_change = difference(ltp, ohlc.get("close"))
    day_change = difference(ltp, ohlc.get("open"))
    return {
        "timestamp": ctx.timestamp, "index": ctx.index.label, "bucket": ctx.bucket, "side": SIDES[ctx.side],
        "expiry": ctx.expiry.isoformat(), "atm_strike": ctx.atm_strike, "strike": float(ctx.strike),
        "strike_offset": offset_label(ctx.offset), "last_price": ltp, "days_to_expiry": ctx.days_to_expiry,
        "average_price": number(quote.get("average_price")), "volume": whole(quote.get("volume")), "oi": oi,
        "oi_open": oi_open, "oi_change": None if oi is None or oi_open is None else oi - oi_open,
        "ohlc.open": number(ohlc.get("open")), "ohlc.high": number(ohlc.get("high")),
        "ohlc.low": number(ohlc.get("low")), "ohlc.close": number(ohlc.get("close")),
        "net_change": net_change, "net_change_percent": percent(net_change, ohlc.get("close")),
        "day_change": day_change, "day_change_percent": percent(day_change, ohlc.get("open")),
        "iv": number(iv), "source": ctx.source, "tradingsymbol": ctx.tradingsymbol,
        "instrument_token": ctx.instrument_token, "bid": best_price(quote, "buy"), "ask": best_price(quote, "sell"),
    }


@dataclass(frozen=True)
class BucketSummary:
    """ATM aggregates of one bucket, as the original `overview_aggs[idx][bucket]`."""

    bucket: str
    tp: float | None
    oi_call: int | None
    oi_put: int | None
    pcr: float | None
    iv_open: float | None
    iv_day_change: float | None
    atm_iv: float | None
    days_to_expiry: int


def atm_iv(call_leg: Mapping[str, Any] | None, put_leg: Mapping[str, Any] | None) -> float | None:
    """Mean of the ATM call and put IVs; None unless both are known (one side alone would jump the series)."""
    ivs = [number((leg or {}).get("iv")) for leg in (call_leg, put_leg)]
    return None if None in ivs else (ivs[0] + ivs[1]) / 2


def bucket_summary(bucket: str, call_leg: Mapping[str, Any] | None, put_leg: Mapping[str, Any] | None,
                   iv_open: float | None, days: int) -> BucketSummary:
    call_leg, put_leg = call_leg or {}, put_leg or {}
    tp = None
    if number(call_leg.get("last_price")) is not None and number(put_leg.get("last_price")) is not None:
        tp = call_leg["last_price"] + put_leg["last_price"]
    oi_call, oi_put = whole(call_leg.get("oi")), whole(put_leg.get("oi"))
    pcr = oi_put / oi_call if oi_put is not None and oi_call else None
    current_iv = atm_iv(call_leg, put_leg)
    return BucketSummary(bucket, tp, oi_call, oi_put, pcr, iv_open, difference(current_iv, iv_open), current_iv,
                         days)


def overview_record(timestamp: str, index: Index, atm_strike: int | None, quote: Mapping[str, Any],
                    buckets: list[BucketSummary], source: str) -> dict:
    ltp = number(quote.get("last_price"))
    ohlc = _ohlc(quote)
    net_change = difference(ltp, ohlc.get("close"))
    day_change = difference(ltp, ohlc.get("open"))
    width = difference(ohlc.get("high"), ohlc.get("low"))
    record: dict[str, Any] = {
        "timestamp": timestamp, "symbol": index.tradingsymbol, "atm_strike": atm_strike, "last_price": ltp,
        "open": number(ohlc.get("open")), "high": number(ohlc.get("high")), "low": number(ohlc.get("low")),
        "close": number(ohlc.get("close")), "net_change": net_change,
        "net_change_percent": percent(net_change, ohlc.get("close")), "day_change": day_change,
        "day_change_percent": percent(day_change, ohlc.get("open")), "day_width": width,
        "day_width_percent": percent(width, ohlc.get("open")),
    }
    for summary in buckets:
        upper, lower = summary.bucket.upper(), summary.bucket
        record.update({
            f"{upper}_TP": summary.tp, f"{upper}_OI_CALL": summary.oi_call, f"{upper}_OI_PUT": summary.oi_put,
            f"pcr_{lower}": summary.pcr, f"{lower}_iv_open": summary.iv_open,
            f"{lower}_iv_day_change": summary.iv_day_change, f"{lower}_atm_iv": summary.atm_iv,
            f"{lower}_days_to_expiry": summary.days_to_expiry,
        })
    record["index"] = index.key
    record["source"] = source
    return record
