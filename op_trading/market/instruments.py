"""Kite's instrument dump: parsed rows, an index of option contracts, and a per-trading-day cache on disk.

Kite generates the dump once a day (around 08:00 IST) and asks clients to fetch it once a day, so each dump is
cached as `{folder}/{NAME}_{YYYY-MM-DD}.csv` (NAME = NFO, BFO or INDICES) in Kite's own 12-column format, written
atomically, and fetched again on the next IST day. Option contracts are matched on the exact underlying `name`
column — never by substring, because NIFTY is a substring of BANKNIFTY and FINNIFTY symbols.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from op_trading.errortext import error_line
from op_trading.fileio import atomic_write_text

log = logging.getLogger(__name__)

COLUMNS = ("instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry", "strike",
           "tick_size", "lot_size", "instrument_type", "segment", "exchange")
OPTION_TYPES = ("CE", "PE")
INDICES_SEGMENT = "INDICES"


@dataclass(frozen=True, slots=True)
class Instrument:
    instrument_token: int
    exchange_token: str
    tradingsymbol: str
    name: str
    last_price: float
    expiry: date | None
    strike: float
    tick_size: float
    lot_size: int
    instrument_type: str
    segment: str
    exchange: str

    @property
    def quote_key(self) -> str:
        """What the quote endpoints take; Kite keys its answer by the same string."""
        return f"{self.exchange}:{self.tradingsymbol}"

    @property
    def is_option(self) -> bool:
        return self.instrument_type in OPTION_TYPES and self.segment.endswith("-OPT") and self.expiry is not None


def _number(value: Any, kind: type = float) -> Any:
    if value in (None, ""):
        return kind(0)
    return kind(float(value)) if kind is int else kind(value)


def _expiry(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    return date.fromisoformat(text) if len(text) == 10 else None


def instrument_from_row(row: Mapping[str, Any]) -> Instrument:
    """One dump row, either a CSV row of strings or a dict as `kiteconnect.KiteConnect.instruments()` returns."""
    return Instrument(
        instrument_token=int(row["instrument_token"]),
        exchange_token=str(row.get("exchange_token", "")),
        tradingsymbol=str(row["tradingsymbol"]),
        name=str(row.get("name") or ""),
        last_price=_number(row.get("last_price")),
        expiry=_expiry(row.get("expiry")),
        strike=_number(row.get("strike")),
        tick_size=_number(row.get("tick_size")),
        lot_size=_number(row.get("lot_size"), int),
        instrument_type=str(row.get("instrument_type") or ""),
        segment=str(row.get("segment") or ""),
        exchange=str(row.get("exchange") or ""),
    )


def parse_csv(text: str) -> list[Instrument]:
    return [instrument_from_row(row) for row in csv.DictReader(io.StringIO(text.strip()))]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return repr(value)  # "25200.0": keeps the float type Kite's client expects for strike/last_price
    return str(value)


def to_csv(instruments: Iterable[Instrument]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in instruments:
        writer.writerow([_csv_cell(getattr(item, column)) for column in COLUMNS])
    return out.getvalue()


def expired_rows(instruments: Iterable[Instrument], today: date) -> int:
    """How many contracts expired before `today`: a dump with any is yesterday's (Kite drops expired contracts)."""
    return sum(1 for item in instruments if item.expiry is not None and item.expiry < today)


class OptionIndex:
    """Option contracts of one dump grouped by exact underlying name."""

    def __init__(self, instruments: Iterable[Instrument]):
        self._by_underlying: dict[str, list[Instrument]] = {}
        for item in instruments:
            if item.is_option:
                self._by_underlying.setdefault(item.name, []).append(item)

    def contracts(self, underlying: str, exchange: str | None = None) -> list[Instrument]:
        rows = self._by_underlying.get(underlying, [])
        return [row for row in rows if exchange is None or row.exchange == exchange]

    def expiries(self, underlying: str, exchange: str | None = None) -> list[date]:
        return sorted({row.expiry for row in self.contracts(underlying, exchange) if row.expiry})

    def lot_size(self, underlying: str, expiry: date) -> int | None:
        sizes = {row.lot_size for row in self.contracts(underlying) if row.expiry == expiry and row.lot_size > 0}
        return max(sizes) if sizes else None

    def underlyings(self) -> list[str]:
        return sorted(self._by_underlying)


def strike_step(strikes: Iterable[float], near: float | None = None, width: int = 5) -> float | None:
    """The strike interval: smallest positive gap between adjacent listed strikes, looked at around `near`.

    Far-from-money strikes are often wider apart (NIFTY lists 100-point strikes further out), so when `near` is
    given only the `width` strikes on each side of it count.
    """
    ladder = sorted(set(strikes))
    if near is not None and ladder:
        centre = min(range(len(ladder)), key=lambda i: abs(ladder[i] - near))
        ladder = ladder[max(0, centre - width):centre + width + 1]
    gaps = [b - a for a, b in zip(ladder, ladder[1:]) if b > a]
    return min(gaps) if gaps else None


@dataclass(frozen=True)
class LoadedDump:
    name: str
    day: date
    instruments: list[Instrument]
    origin: str  # "cache" (today's file), "fetched" (and cached), "provisional" (fetched, not cached), "fallback"
    path: Path | None = None

    @property
    def current(self) -> bool:
        """False when this is an older dump in use because today's could not be had; worth fetching again."""
        return self.origin in ("cache", "fetched")


class InstrumentCache:
    """Per-day dump files under `folder`; `folder=None` keeps dumps in memory only (the simulator's dumps)."""

    def __init__(self, folder: Path | None, keep_days: int = 5):
        self.folder = folder
        self.keep_days = keep_days

    def path_for(self, name: str, day: date) -> Path | None:
        return None if self.folder is None else self.folder / f"{name}_{day.isoformat()}.csv"

    def load(self, name: str, day: date, fetch: Callable[[], Iterable[Instrument]]) -> LoadedDump:
        """Today's cached file, else a fresh fetch (cached when it is really today's), else the newest older file."""
        path = self.path_for(name, day)
        if path is not None and path.exists():
            return LoadedDump(name, day, parse_csv(path.read_text(encoding="utf-8")), "cache", path)
        try:
            instruments = list(fetch())
        except Exception as error:  # the caller decides whether an older dump is good enough
            older = self._newest_older(name, day)
            if older is None:
                raise
            log.warning("instrument dump %s: fetch failed (%s); using %s", name, error_line(error), older.name)
            return LoadedDump(name, day, parse_csv(older.read_text(encoding="utf-8")), "fallback", older)
        stale = expired_rows(instruments, day)
        if stale or path is None:
            if stale:
                log.warning("instrument dump %s lists %d expired contracts (not yet regenerated today); "
                            "using it without caching", name, stale)
            return LoadedDump(name, day, instruments, "provisional" if stale else "fetched")
        atomic_write_text(path, to_csv(instruments))
        self._prune(name, day)
        return LoadedDump(name, day, instruments, "fetched", path)

    def _files(self, name: str) -> list[Path]:
        if self.folder is None or not self.folder.exists():
            return []
        return sorted(self.folder.glob(f"{name}_????-??-??.csv"))

    def _newest_older(self, name: str, day: date) -> Path | None:
        older = [path for path in self._files(name) if path.stem.rsplit("_", 1)[1] < day.isoformat()]
        return older[-1] if older else None

    def _prune(self, name: str, day: date) -> None:
        for path in self._files(name)[:-self.keep_days]:
            if path.stem.rsplit("_", 1)[1] < day.isoformat():
                path.unlink(missing_ok=True)
