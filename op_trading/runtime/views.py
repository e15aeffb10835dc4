"""Tables of collected data for people: the index overview and the ATM legs, formatted, readable without colour."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from op_trading.analytics.common import MISSING, fmt_contracts, fmt_number, fmt_pct, fmt_vol_points
from op_trading.outcome import Table

BUCKET_ORDER = ("this_week", "next_week", "this_month", "next_month")


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
        rows.append((record["symbol"], fmt_number(record.get("last_price")),
                     fmt_pct(record.get("net_change_percent"), 2, signed=True),
                     f"{fmt_number(record.get('low'))} - {fmt_number(record.get('high'))}",
                     fmt_contracts(record.get("atm_strike")), bucket or MISSING,
                     fmt_number(record.get(f"{upper}_TP") if bucket else None),
                     fmt_number(record.get(f"pcr_{bucket}") if bucket else None),
                     fmt_vol_points(record.get(f"{bucket}_atm_iv") if bucket else None)))
    label = ", ".join(sorted(sources)) or MISSING
    caption = f"{timestamp} IST, source: {label}" + ("  [MOCK DATA]" if "mock" in sources else "")
    return Table("Index overview", ("Index", "Spot", "Chg vs close", "Day range", "ATM", "Nearest expiry",
                                    "Straddle (CE+PE)", "PCR (ATM OI)", "ATM IV (vol pts)"), tuple(rows), caption)


def legs_table(records: Iterable[Mapping[str, Any]], index: str | None = None, limit: int = 40) -> Table:
    """ATM ±N legs: one row per strike and side, with IV and OI change since the day's open."""
    rows = []
    for record in records:
        if "side" not in record or (index and record.get("index") != index):
            continue
        rows.append((record["index"], record["bucket"], record["expiry"], record["strike_offset"],
                     fmt_number(record.get("strike"), 0), record["side"], fmt_number(record.get("last_price")),
                     fmt_vol_points(record.get("iv")), fmt_contracts(record.get("oi")),
                     fmt_contracts(record.get("oi_change"), signed=True), fmt_contracts(record.get("volume"))))
        if len(rows) >= limit:
            break
    return Table("ATM option legs", ("Index", "Bucket", "Expiry", "Offset", "Strike", "Side", "LTP", "IV (vol pts)", "OI",
                                     "OI chg", "Volume"), tuple(rows))
