"""The instrument dump: index rows plus the option and future contracts listed on a date (domain.md §1.7, §2, §3).

- Index rows: `instrument_type=EQ`, `segment=INDICES`, zeros for price fields, tokens from `market.indices`.
- Options: expiries from `calendar.listed_expiries` (NIFTY and SENSEX 4 weeklies + 3 monthlies, the others 3
  monthlies); the weekly symbol form `NIFTY26D0126000CE` (month 1-9/O/N/D) except for the month's last expiry,
  which uses `NIFTY26DEC26000CE`. SENSEX trades on BFO.
- Strikes are centred on the previous session's close, as the morning dump is: an inner band at the index's step
  and an outer band at a wider step. Strikes the market later moves towards are not added (nor are they on Kite).
- instrument_token = exchange_token * 256 + segment byte (NFO 2, BFO 5, indices 9). Exchange tokens encode
  (underlying, expiry, strike, type), so a contract keeps its token from day to day.
- Lot sizes follow the NSE revision in force for the expiry (from Jan-2026 expiries: NIFTY 65, BANKNIFTY 30,
  FINNIFTY 60, MIDCPNIFTY 120; SENSEX 20).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from op_trading.market import calendar
from op_trading.market.indices import ALL_INDICES, OPTION_INDICES, Index

COLUMNS = ("instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry", "strike",
           "tick_size", "lot_size", "instrument_type", "segment", "exchange")
SEGMENT_BYTE = {"NSE": 1, "NFO": 2, "CDS": 3, "BSE": 4, "BFO": 5, "BCD": 6, "MCX": 7, "INDICES": 9}
KNOWN_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NCO")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_MONTH_CODES = "123456789OND"
LOT_SIZES = (  # (first expiry it applies to, lots)
    (date(2026, 1, 1), {"NIFTY": 65, "BANKNIFTY": 30, "FINNIFTY": 60, "MIDCPNIFTY": 120, "SENSEX": 20}),
    (date(2025, 7, 1), {"NIFTY": 75, "BANKNIFTY": 35, "FINNIFTY": 65, "MIDCPNIFTY": 140, "SENSEX": 20}),
    (date.min, {"NIFTY": 75, "BANKNIFTY": 30, "FINNIFTY": 65, "MIDCPNIFTY": 120, "SENSEX": 20}),
)
# (ATM step, strikes each side at that step, outer step, further strikes each side at the outer step)
STRIKE_GRID = {"NIFTY": (50, 50, 100, 20), "BANKNIFTY": (100, 25, 500, 12), "FINNIFTY": (50, 30, 100, 15),
               "MIDCPNIFTY": (25, 30, 50, 15), "SENSEX": (100, 50, 500, 10)}
TOKEN_BLOCK = {"NIFTY": 0, "BANKNIFTY": 1, "FINNIFTY": 2, "MIDCPNIFTY": 3, "SENSEX": 0}  # per options exchange
TICK = 0.05
# Futures tick sizes as in Kite's dumps (e.g. NFO/BFO 2026-08-17): NIFTY and FINNIFTY 0.1, BANKNIFTY 0.2, the rest 0.05
FUTURE_TICK = {"NIFTY": 0.1, "FINNIFTY": 0.1, "BANKNIFTY": 0.2, "MIDCPNIFTY": 0.05, "SENSEX": 0.05}


@dataclass(frozen=True)
class Instrument:
    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str
    expiry: date | None
    strike: float
    tick_size: float
    lot_size: int
    instrument_type: str  # EQ (index rows), FUT, CE, PE
    segment: str
    exchange: str
    index_key: str  # the `market.indices` key of the index (or underlying)
    weekly: bool = False  # an option of a weekly (non-monthly) expiry; not a CSV column

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"

    @property
    def is_index(self) -> bool:
        return self.segment == "INDICES"

    def csv_row(self) -> tuple:
        strike = f"{self.strike:g}" if self.strike else "0"
        return (self.instrument_token, self.exchange_token, self.tradingsymbol, self.name, 0,
                self.expiry.isoformat() if self.expiry else "", strike, f"{self.tick_size:g}", self.lot_size,
                self.instrument_type, self.segment, self.exchange)


def lot_size(underlying: str, expiry: date) -> int:
    for since, lots in LOT_SIZES:
        if expiry >= since:
            return lots[underlying]
    raise AssertionError("LOT_SIZES ends with date.min")  # pragma: no cover


def strike_text(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else f"{strike:g}"


def option_symbol(underlying: str, expiry: date, strike: float, kind: str, monthly: bool) -> str:
    if monthly:
        return f"{underlying}{expiry:%y}{MONTHS[expiry.month - 1]}{strike_text(strike)}{kind}"
    return f"{underlying}{expiry:%y}{WEEKLY_MONTH_CODES[expiry.month - 1]}{expiry.day:02d}{strike_text(strike)}{kind}"


def future_symbol(underlying: str, expiry: date) -> str:
    return f"{underlying}{expiry:%y}{MONTHS[expiry.month - 1]}FUT"


def strikes_around(underlying: str, reference: float) -> list[float]:
    step, inner, outer_step, outer = STRIKE_GRID[underlying]
    atm = round(reference / step) * step
    strikes = {atm + n * step for n in range(-inner, inner + 1)}
    low, high = (atm - inner * step) // outer_step * outer_step, -(-(atm + inner * step) // outer_step) * outer_step
    strikes |= {low - n * outer_step for n in range(outer + 1)} | {high + n * outer_step for n in range(outer + 1)}
    return sorted(float(s) for s in strikes if s > 0)


def _option_exchange_token(index: Index, expiry: date, strike: float, kind: str) -> int:
    expiry_code = (expiry - date(2024, 1, 1)).days % 730
    return (100_000 + TOKEN_BLOCK[index.key] * 3_000_000 + expiry_code * 4000
            + (int(strike // 25) % 2000) * 2 + (kind == "PE"))


def _future_exchange_token(index: Index, expiry: date) -> int:
    return 100_000 + TOKEN_BLOCK[index.key] * 3_000_000 + 2_920_000 + (expiry - date(2024, 1, 1)).days % 730


def _make(exchange_token: int, symbol: str, name: str, expiry, strike, tick, lot, kind, segment, exchange,
          index_key, weekly=False) -> Instrument:
    return Instrument(exchange_token * 256 + SEGMENT_BYTE[segment.split("-")[0]], exchange_token, symbol, name,
                      expiry, strike, tick, lot, kind, segment, exchange, index_key, weekly)


def index_rows() -> list[Instrument]:
    return [_make(index.exchange_token, index.tradingsymbol, index.tradingsymbol, None, 0.0, 0.0, 0, "EQ",
                  "INDICES", index.exchange, index.key) for index in ALL_INDICES]


def derivative_rows(index: Index, on: date, reference: float) -> list[Instrument]:
    """Options (and the 3 monthly futures) of one index listed on `on`, strikes around `reference`."""
    exchange, underlying = index.options_exchange, index.underlying
    rows = []
    for expiry in calendar.listed_expiries(index, on):
        monthly, lot = calendar.is_monthly_expiry(index, expiry), lot_size(underlying, expiry)
        for strike in strikes_around(underlying, reference):
            for kind in ("CE", "PE"):
                rows.append(_make(_option_exchange_token(index, expiry, strike, kind),
                                  option_symbol(underlying, expiry, strike, kind, monthly), underlying, expiry,
                                  strike, TICK, lot, kind, f"{exchange}-OPT", exchange, index.key, not monthly))
    for expiry in calendar.monthly_expiries(index, on, calendar.MONTHLY_CONTRACTS):
        rows.append(_make(_future_exchange_token(index, expiry), future_symbol(underlying, expiry), underlying,
                          expiry, 0.0, FUTURE_TICK[underlying], lot_size(underlying, expiry), "FUT", f"{exchange}-FUT", exchange,
                          index.key))
    return rows


class Universe:
    """Everything listed on one date, with lookups by `EXCHANGE:SYMBOL` and by token, and the CSV per exchange."""

    def __init__(self, on: date, instruments: list[Instrument]) -> None:
        self.date = on
        self.instruments = instruments
        self.by_key = {instrument.key: instrument for instrument in instruments}
        self.by_token = {instrument.instrument_token: instrument for instrument in instruments}
        assert len(self.by_token) == len(instruments), "instrument tokens must be unique"
        self._csv: dict[str | None, bytes] = {}
        self._gzip: dict[str | None, bytes] = {}

    def resolve(self, name: str) -> Instrument | None:
        """An `i=` value: EXCHANGE:TRADINGSYMBOL or a numeric instrument token."""
        if name.isdigit():
            return self.by_token.get(int(name))
        return self.by_key.get(name)

    def csv(self, exchange: str | None = None) -> bytes:
        if exchange not in self._csv:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(i.csv_row() for i in self.instruments if exchange in (None, i.exchange))
            self._csv[exchange] = buffer.getvalue().encode("utf-8")
        return self._csv[exchange]


    def csv_gzip(self, exchange: str | None = None) -> bytes:
        """The dump compressed once (clients ask with Accept-Encoding: gzip on every call)."""
        if exchange not in self._gzip:
            import gzip

            self._gzip[exchange] = gzip.compress(self.csv(exchange), compresslevel=5, mtime=0)
        return self._gzip[exchange]


def build_universe(on: date, reference_close) -> Universe:
    """`reference_close(index_key)` gives the close the morning dump centres strikes on."""
    instruments = index_rows()
    for index in OPTION_INDICES:
        instruments += derivative_rows(index, on, reference_close(index.key))
    return Universe(on, instruments)
