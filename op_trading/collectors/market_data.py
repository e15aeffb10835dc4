"""The day's market model for collection: instrument dumps (NFO, BFO, index rows) and the universe built from them.

Loaded once per IST day. Kite regenerates the dump around 08:00 IST; a dump that still lists expired contracts,
or an older cached file used because the fetch failed, is tried again every `retry_minutes` until today's arrives.
The index rows (segment INDICES of the NSE/BSE dumps) check that the spot symbols in `indices.py` still exist.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping

from op_trading.collectors.universe import Universe, build_universe, overfetch_margin
from op_trading.errortext import error_line
from op_trading.market import calendar
from op_trading.market.indices import Index
from op_trading.market.instruments import (INDICES_SEGMENT, Instrument, InstrumentCache, LoadedDump, OptionIndex,
                                           instrument_from_row)

log = logging.getLogger(__name__)

FetchDump = Callable[[str], Iterable[Mapping[str, Any]]]  # exchange -> rows, e.g. kite.instruments(exchange)
INDICES_DUMP = "INDICES"


def is_auth_error(error: BaseException) -> bool:
    """Kite's TokenException (the session is gone) or our AuthRequired: never worth another attempt."""
    from op_trading.kite.errors import AuthRequired

    return isinstance(error, AuthRequired) or any(cls.__name__ == "TokenException" for cls in type(error).__mro__)


class InstrumentsUnavailable(RuntimeError):
    """An options dump could not be loaded and no earlier copy exists: nothing to collect."""


class MarketData:
    def __init__(self, fetch: FetchDump, cache: InstrumentCache, indices: Iterable[Index],
                 include_vix: bool = True, retry_minutes: float = 15):
        self.fetch = fetch
        self.cache = cache
        self.indices = tuple(indices)
        self.include_vix = include_vix
        self.retry_after = timedelta(minutes=retry_minutes)
        self._universe: Universe | None = None
        self._current = False
        self._loaded_at: datetime | None = None
        self._margins: dict[tuple, int] = {}
        self.dumps: dict[str, LoadedDump] = {}

    def universe(self, today: date, now: datetime, timed_call: Callable[..., Any] | None = None,
                 stats: Any = None) -> Universe:
        """Today's universe, loading the dumps on a new day (or retrying a provisional one).

        `timed_call(fetch, exchange)` lets the cycle time the fetches; `stats.instrument_calls` counts them.
        """
        timed_call = timed_call or (lambda function, *args: function(*args))
        stats = stats if stats is not None else SimpleNamespace(instrument_calls=0)
        if self._universe is not None and self._universe.day == today:
            if self._current or now - self._loaded_at < self.retry_after:
                return self._universe
        self._universe = self._build(today, timed_call, stats)
        self._loaded_at = now
        self._margins.clear()
        return self._universe

    def margin(self, universe: Universe, offsets: tuple[int, ...], batch_size: int) -> int:
        key = (universe.day, offsets, batch_size)
        if key not in self._margins:
            self._margins[key] = overfetch_margin(universe, offsets, batch_size)
        return self._margins[key]

    def _build(self, today: date, timed_call: Callable[..., Any], stats: Any) -> Universe:
        def fetch_rows(exchange: str) -> list[Instrument]:
            stats.instrument_calls += 1
            return [instrument_from_row(row) for row in timed_call(self.fetch, exchange)]

        option_rows: list[Instrument] = []
        for exchange in dict.fromkeys(index.options_exchange for index in self.indices if index.options_exchange):
            try:
                dump = self.cache.load(exchange, today, lambda exchange=exchange: fetch_rows(exchange))
            except Exception as error:
                if is_auth_error(error):
                    raise
                raise InstrumentsUnavailable(
                    f"could not load the {exchange} instrument dump: {error_line(error)}") from error
            self.dumps[exchange] = dump
            option_rows += dump.instruments
        universe = build_universe(self.indices, OptionIndex(option_rows), today, self.include_vix)
        warnings = list(universe.warnings) + self._check_spots(universe, today, fetch_rows)
        uncovered = calendar.coverage_warning(today)  # market hours and holidays are guesses beyond the list
        if uncovered:
            warnings.append(uncovered)
        self._current = all(dump.current for dump in self.dumps.values())
        return Universe(universe.day, universe.indices, universe.extra_spots, universe.chains, tuple(warnings))

    def _check_spots(self, universe: Universe, today: date, fetch_rows: Callable[[str], list[Instrument]]
                     ) -> list[str]:
        """Warnings for spot symbols missing from the exchange's index rows; the defined symbol is still quoted."""
        exchanges = tuple(dict.fromkeys(index.exchange for index in universe.spots))

        def fetch_index_rows() -> list[Instrument]:
            return [row for exchange in exchanges for row in fetch_rows(exchange) if row.segment == INDICES_SEGMENT]

        try:
            dump = self.cache.load(INDICES_DUMP, today, fetch_index_rows)
        except Exception as error:
            if is_auth_error(error):
                raise
            return [f"index rows could not be checked ({error_line(error)})"]
        self.dumps[INDICES_DUMP] = dump
        listed = {row.quote_key: row for row in dump.instruments}
        warnings = []
        for index in universe.spots:
            row = listed.get(index.quote_key)
            if row is None:
                warnings.append(f"{index.quote_key} is not among the {'/'.join(exchanges)} index rows of the dump")
            elif row.instrument_token != index.instrument_token:
                log.info("%s: dump token %s differs from the defined %s", index.quote_key, row.instrument_token,
                         index.instrument_token)
        return warnings
