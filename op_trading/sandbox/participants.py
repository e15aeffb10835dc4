"""Simulated NSE participant files and FII/DII cash data, in exactly the published formats, for offline work.

For a trading day of the simulated market this writes, into a folder:
- ``fao_participant_oi_DDMMYYYY.csv`` and ``fao_participant_vol_DDMMYYYY.csv``: the doubled-quote title followed by
  14 commas, the header with NSE's two trailing-space names, rows Client, DII, FII, Pro, TOTAL (domain.md §4.2);
- ``fii_dii_DDMMYYYY.json``: the bare JSON array of NSE's fiidiiTradeReact, values as strings in ₹ crore (with
  thousands separators on some days, as NSE sometimes serves them);
and lists every file it wrote in ``op_sandbox_manifest.json``, so the importer labels them "mock" — simulated data is
never imported as NSE data.

How the numbers come about (seeded; same seed and date, same files): each instrument's market total starts from the
magnitudes of recent real files and moves a few percent a day; it is split among the four participants by shares
that lean with the simulated market (`op_trading.sandbox.market.MarketModel`, same seed): after NIFTY gains over
five sessions FIIs and Pros hold more longs and Clients and DIIs more shorts, and the reverse after losses. FII cash
net follows the day's NIFTY return; DIIs partly take the other side. The split uses largest remainders, so NSE's
invariants hold exactly: TOTAL long = TOTAL short per instrument, categories sum to TOTAL, row totals add up.
"""

from __future__ import annotations

import json
import math
import random
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from op_trading.analytics.participant_import import MANIFEST, cash_file_name, participant_file_name
from op_trading.analytics.participants import CATEGORIES, COLUMNS, HEADER, KINDS
from op_trading.fileio import atomic_write_json, atomic_write_text
from op_trading.market import calendar

INSTRUMENTS = ("fut_idx", "fut_stk", "opt_idx_call", "opt_idx_put", "opt_stk_call", "opt_stk_put")
# Market totals per instrument (contracts), from the magnitudes of 2025-26 files (domain.md §4.2-4.3).
TOTALS = {
    "oi": {"fut_idx": 318_500, "fut_stk": 7_792_000, "opt_idx_call": 2_683_100, "opt_idx_put": 2_739_000,
           "opt_stk_call": 1_530_900, "opt_stk_put": 1_191_000},
    "vol": {"fut_idx": 106_420, "fut_stk": 1_762_000, "opt_idx_call": 19_240_000, "opt_idx_put": 18_887_400,
            "opt_stk_call": 3_449_400, "opt_stk_put": 1_602_100},
}
# Typical shares (Client, DII, FII, Pro) of the long and the short side, per instrument, from the same files.
SHARES = {
    "fut_idx": ((0.66, 0.20, 0.07, 0.07), (0.18, 0.05, 0.70, 0.07)),
    "fut_stk": ((0.41, 0.03, 0.45, 0.11), (0.03, 0.54, 0.38, 0.05)),
    "opt_idx_call": ((0.50, 0.01, 0.20, 0.29), (0.50, 0.01, 0.21, 0.28)),
    "opt_idx_put": ((0.50, 0.01, 0.24, 0.25), (0.50, 0.01, 0.21, 0.28)),
    "opt_stk_call": ((0.60, 0.01, 0.10, 0.29), (0.43, 0.05, 0.07, 0.45)),
    "opt_stk_put": ((0.40, 0.03, 0.09, 0.48), (0.59, 0.01, 0.04, 0.36)),
}
LEAN = {"Client": -0.7, "DII": -0.3, "FII": 1.0, "Pro": 0.5}  # how each leans with the market's recent return
LEAN_SCALE, SHARE_NOISE, TOTAL_NOISE = 20.0, 0.03, 0.04
LEAN_BY_INSTRUMENT = {"fut_idx": 1.0}  # index futures carry the directional bets; the rest lean less
OTHER_LEAN = 0.3


@lru_cache(maxsize=4)
def _market(seed: int):
    from op_trading.sandbox.market import MarketModel

    return MarketModel(seed)


def nifty_return(day: date, seed: int) -> float:
    market = _market(seed)
    return market.close("NIFTY", day) / market.previous_close("NIFTY", day) - 1.0


def _recent_return(day: date, seed: int, sessions: int = 5) -> float:
    days = calendar.trading_days(day - timedelta(days=sessions * 2 + 10), day)[-sessions:]
    return sum(nifty_return(each, seed) for each in days)


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that sum to `total` exactly (largest remainder)."""
    raw = [total * weight / sum(weights) for weight in weights]
    parts = [math.floor(value) for value in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[:total - sum(parts)]:
        parts[i] += 1
    return parts


def simulated_rows(kind: str, day: date, seed: int = 42) -> dict[str, dict[str, int]]:
    """The file's rows (Client, DII, FII, Pro, TOTAL) for a simulated trading day."""
    if not calendar.is_trading_day(day):
        raise ValueError(f"{day} is not a trading day; NSE publishes no participant file for it")
    rng = random.Random(f"participants:{seed}:{kind}:{day.isoformat()}")
    lean = LEAN_SCALE * _recent_return(day, seed)
    rows = {name: {} for name in CATEGORIES}
    for instrument in INSTRUMENTS:
        total = round(TOTALS[kind][instrument] * math.exp(rng.gauss(0, TOTAL_NOISE)))
        for side, shares, sign in (("long", SHARES[instrument][0], 1), ("short", SHARES[instrument][1], -1)):
            tilt = sign * lean * LEAN_BY_INSTRUMENT.get(instrument, OTHER_LEAN)
            weights = [share * math.exp(LEAN[name] * tilt + rng.gauss(0, SHARE_NOISE))
                       for name, share in zip(CATEGORIES, shares)]
            for name, count in zip(CATEGORIES, _split(total, weights)):
                rows[name][f"{instrument}_{side}"] = count
    for row in rows.values():
        row["total_long"] = sum(row[f"{instrument}_long"] for instrument in INSTRUMENTS)
        row["total_short"] = sum(row[f"{instrument}_short"] for instrument in INSTRUMENTS)
    rows["TOTAL"] = {column: sum(rows[name][column] for name in CATEGORIES) for column in COLUMNS}
    return rows


def participant_csv(kind: str, day: date, seed: int = 42) -> str:
    rows = simulated_rows(kind, day, seed)
    header = list(HEADER)
    header[4], header[13] = "Future Stock Short       ", "Total Long Contracts      "  # NSE's trailing spaces
    title = (f'""Participant wise {KINDS[kind]} (no. of contracts) in Equity Derivatives as on '
             f'{day:%b} {day.day:02d}, {day.year}""' + "," * 14)
    lines = [title, ",".join(header)]
    lines += [",".join([name, *(str(rows[name][column]) for column in COLUMNS)]) for name in (*CATEGORIES, "TOTAL")]
    return "\n".join(lines) + "\n"


def _amount(value: float, separators: bool) -> str:
    return f"{value:,.2f}" if separators else f"{value:.2f}"


def fii_dii_json(day: date, seed: int = 42) -> str:
    rng = random.Random(f"fii-dii:{seed}:{day.isoformat()}")
    change_pct = 100.0 * nifty_return(day, seed)
    fii_net = 2500.0 * change_pct + rng.gauss(0, 700)
    dii_net = -0.7 * fii_net + rng.gauss(0, 600)
    separators = day.toordinal() % 2 == 1
    items = []
    for category, net in (("DII", dii_net), ("FII/FPI", fii_net)):
        buy = round(rng.uniform(9000, 15000) + max(net, 0), 2)
        sell = round(buy - net, 2)
        items.append({"category": category, "date": f"{day:%d-%b-%Y}", "buyValue": _amount(buy, separators),
                      "sellValue": _amount(sell, separators), "netValue": _amount(round(buy - sell, 2),
                                                                                 separators)})
    return json.dumps(items, separators=(",", ":"))


def write_day(folder: Path, day: date, seed: int = 42) -> list[Path]:
    """Write the day's OI, volume and cash files (atomically) and list them in the manifest."""
    folder = Path(folder)
    files = {participant_file_name(kind, day): participant_csv(kind, day, seed) for kind in ("oi", "vol")}
    files[cash_file_name(day)] = fii_dii_json(day, seed)
    written = []
    for name, text in files.items():
        atomic_write_text(folder / name, text)
        written.append(folder / name)
    _record(folder, [path.name for path in written], seed)
    return written


def write_history(folder: Path, end: date, sessions: int, seed: int = 42) -> list[Path]:
    """Files for the last `sessions` trading days up to `end` (included when it is a trading day)."""
    days = calendar.trading_days(end - timedelta(days=sessions * 2 + 10), end)[-sessions:]
    return [path for day in days for path in write_day(folder, day, seed)]


def _record(folder: Path, names: list[str], seed: int) -> None:
    manifest = folder / MANIFEST
    try:
        known = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        known = []
    atomic_write_json(manifest, {"generator": "op_trading.sandbox.participants", "source": "mock", "seed": seed,
                                 "files": sorted(set(known) | set(names))})
