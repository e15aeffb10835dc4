"""Tables of collected data for people: the index overview and the ATM legs, formatted, readable without colour."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from op_trading.outcome import Table

BUCKET_ORDER = ("this_week", "next_week", "this_month", "next_month")


def _fmt(value: Any, pattern: str = "{:,.2f}") -> str:
    return "-" if value is None or value != value else pattern.format(value)


def nearest_bucket(overview: Mapping[str, Any]) -> str | None:
    return next((bucket for bucket in BUCKET_ORDER if f"{bucket}_atm_iv" in overview or f"pcr_{bucket}" in overview),
                None)


def overview_table(records: Iterable[Mapping[str, Any]], timestamp: str = "") -> Table:
    """One row per index: spot, changes, day range, ATM, and the nearest expiry's straddle, PCR and ATM IV."""
    rows = []
    sources = set()
    for record in records:
        if "symbol" not in record:
            continue
        sources.add(record.get("source", "?"))
        bucket = nearest_bucket(record)
        upper = bucket.upper() if bucket else ""
        iv = record.get(f"{bucket}_atm_iv") if bucket else None
        rows.append((record["symbol"], _fmt(record.get("last_price")), _fmt(record.get("net_change_percent"), "{:+.2f}%"),
                     f"{_fmt(record.get('low'))} - {_fmt(record.get('high'))}", _fmt(record.get("atm_strike"), "{:,}"),
                     bucket or "-", _fmt(record.get(f"{upper}_TP") if bucket else None),
                     _fmt(record.get(f"pcr_{bucket}") if bucket else None, "{:.2f}"),
                     _fmt(iv * 100 if iv is not None else None, "{:.2f}%")))
    label = ", ".join(sorted(sources)) or "-"
    caption = f"{timestamp} IST, source: {label}" + ("  [MOCK DATA]" if "mock" in sources else "")
    return Table("Index overview", ("Index", "Spot", "Chg vs close", "Day range", "ATM", "Nearest expiry",
                                    "Straddle (CE+PE)", "PCR (ATM OI)", "ATM IV"), tuple(rows), caption)


def legs_table(records: Iterable[Mapping[str, Any]], index: str | None = None, limit: int = 40) -> Table:
    """ATM ±N legs: one row per strike and side, with IV and OI change since the day's open."""
    rows = []
    for record in records:
        if "side" not in record or (index and record.get("index") != index):
            continue
        iv = record.get("iv")
        rows.append((record["index"], record["bucket"], record["expiry"], record["strike_offset"],
                     _fmt(record.get("strike"), "{:,.0f}"), record["side"], _fmt(record.get("last_price")),
                     _fmt(iv * 100 if iv is not None else None, "{:.2f}%"), _fmt(record.get("oi"), "{:,}"),
                     _fmt(record.get("oi_change"), "{:+,}"), _fmt(record.get("volume"), "{:,}")))
        if len(rows) >= limit:
            break
    return Table("ATM option legs", ("Index", "Bucket", "Expiry", "Offset", "Strike", "Side", "LTP", "IV", "OI",
                                     "OI chg", "Volume"), tuple(rows))
