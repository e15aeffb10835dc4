"""Small helpers shared by the analytics modules: IST time, numbers that may be missing, formatting for people,
and the thin adapter to the store.

Formatting rules (tables must read well without colour):
- missing values show as ``n/a`` (never as 0, which would look like data);
- ₹ crore amounts with two decimals and thousands separators as NSE publishes them (``12,616.89``; not the
  Indian lakh grouping), with an explicit sign where the column is a net figure; the unit goes in the column title;
- percentages with one decimal and a ``%``; contracts as whole numbers with thousands separators.

The store is duck-typed (`write(points)`, `query(measurement, start, end, tags, fields)`), so analytics work with
the embedded store, InfluxDB or anything with the same two methods. `Point` is imported only when a point is made.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from op_trading.market.calendar import market_close_at, to_ist

MISSING = "n/a"
CRORE = 10_000_000  # rupees in one crore


def finite(value: Any) -> float | None:
    """The value as a float when it is a real finite number; None for None, NaN, inf, text and booleans."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def as_ist(value: datetime | str) -> datetime:
    """A tz-aware IST datetime from a datetime or an ISO string; naive values are taken as IST (the market clock)."""
    return to_ist(datetime.fromisoformat(value) if isinstance(value, str) else value)


def record_time(record: Mapping[str, Any]) -> datetime:
    """The instant a record describes: `time` (store rows) or `timestamp` (collector records)."""
    value = record.get("time") or record.get("timestamp")
    if value is None:
        raise ValueError("record has neither 'time' nor 'timestamp'")
    return as_ist(value)


def session_close(day: date) -> datetime:
    """The instant end-of-day data (participant files, cash activity) describes: 15:30 IST of that day."""
    return market_close_at(day)


def source_of(records: Iterable[Mapping[str, Any]], default: str) -> str:
    """The data source of a set of records: their `source` values joined ("mock", "kite", "kite+mock"), else default."""
    found = sorted({str(record["source"]) for record in records if record.get("source")})
    return "+".join(found) if found else default


def instrument_key(record: Mapping[str, Any]) -> str:
    """A readable, stable name of the contract a record is about, the same for a collector record (side/expiry)
    and its stored row (option_type/expiration tags, no tradingsymbol): "NIFTY 2026-07-28 24500 CE". Records
    without a strike fall back to their tradingsymbol, then the index."""
    strike = finite(record.get("strike"))
    if strike is None:
        return str(record.get("tradingsymbol") or record.get("index") or "?")
    side = str(record.get("side") or record.get("option_type") or "").upper()
    side = {"CALL": "CE", "PUT": "PE"}.get(side, side)
    expiry = record.get("expiry") or record.get("expiration") or ""
    return f"{record.get('index', '')} {expiry} {strike:g} {side}".strip()


def find_index(name: Any):
    """The `Index` a record names by key (BANKNIFTY), label, tradingsymbol (NIFTY BANK) or quote key; else None."""
    from op_trading.market.indices import ALL_INDICES

    wanted = str(name or "").strip().upper()
    for index in ALL_INDICES:
        if wanted in (index.key, index.label.upper(), index.tradingsymbol.upper(), index.quote_key.upper()):
            return index
    return None


def mean(values: Iterable[float | None]) -> float | None:
    numbers = [number for number in (finite(value) for value in values) if number is not None]
    return sum(numbers) / len(numbers) if numbers else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


# ----- formatting for people -----

def fmt_number(value: Any, decimals: int = 2, signed: bool = False) -> str:
    number = finite(value)
    if number is None:
        return MISSING
    sign = "+" if signed else ""
    return f"{number:{sign},.{decimals}f}"


def fmt_crore(value: Any, signed: bool = False) -> str:
    """An amount already in ₹ crore, two decimals: ``12,616.89`` (the unit goes in the column title)."""
    return fmt_number(value, 2, signed)


def fmt_rupees_as_crore(rupees: Any, signed: bool = False) -> str:
    number = finite(rupees)
    return fmt_crore(None if number is None else number / CRORE, signed)


def fmt_pct(value: Any, decimals: int = 1, signed: bool = False) -> str:
    text = fmt_number(value, decimals, signed)
    return text if text == MISSING else text + "%"


def fmt_contracts(value: Any, signed: bool = False) -> str:
    return fmt_number(value, 0, signed)


def fmt_time(moment: datetime | None) -> str:
    return MISSING if moment is None else as_ist(moment).strftime("%Y-%m-%d %H:%M IST")


def fmt_vol_points(iv: Any, signed: bool = False) -> str:
    """An implied volatility kept as a decimal (0.1523) shown in vol points (15.23)."""
    number = finite(iv)
    return fmt_number(None if number is None else number * 100, 2, signed)


# ----- store adapter -----

def make_point(measurement: str, tags: Mapping[str, Any], fields: Mapping[str, Any], moment: datetime):
    """A store Point; fields without a finite value are left out (a missing number is not written as 0)."""
    from op_trading.storage.schema import Point

    clean_fields = {}
    for name, value in fields.items():
        if isinstance(value, (bool, str)):
            clean_fields[name] = value
        elif isinstance(value, int):
            clean_fields[name] = value
        elif finite(value) is not None:
            clean_fields[name] = float(value)
    clean_tags = {name: str(value) for name, value in tags.items() if value not in (None, "")}
    return Point(measurement=measurement, tags=clean_tags, fields=clean_fields, time=as_ist(moment))


def write_points(store: Any, points: list) -> int:
    """Write points that carry at least one field; returns how many were written."""
    points = [point for point in points if point.fields]
    if store is not None and points:
        store.write(points)
    return len(points) if store is not None else 0


def query(store: Any, measurement: str, start: datetime | None = None, end: datetime | None = None,
          tags: Mapping[str, str] | None = None, fields: list[str] | None = None) -> list[dict]:
    """Rows of a measurement with start <= time <= end (both included), oldest first; no store, no history."""
    if store is None:
        return []
    end = None if end is None else as_ist(end) + timedelta(microseconds=1)  # stores take `end` as exclusive
    rows = store.query(measurement, start=start, end=end, tags=dict(tags) if tags else None, fields=fields)
    for row in rows:  # stored legs keep their own strike as `leg_strike` (the `strike` tag is the ATM strike)
        if "leg_strike" in row:
            row["strike"] = row.pop("leg_strike")
    return sorted(rows, key=lambda row: row["time"])


def closing_rows(store: Any, measurement: str, days: Iterable[date], tags: Mapping[str, str] | None = None,
                 window: timedelta = timedelta(minutes=10), fields: list[str] | None = None) -> list[dict]:
    """Rows of the last `window` before 15:30 IST of each day: enough to know each session's close while reading a
    few rows per day instead of every cycle of a year (one small query per day)."""
    rows: list[dict] = []
    for day in days:
        close = market_close_at(day)
        rows += query(store, measurement, start=close - window, end=close, tags=tags, fields=fields)
    return rows
