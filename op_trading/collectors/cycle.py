"""One collection cycle: one batched quote call for every instrument, then leg and overview records.

Order of work in a cycle:
1. one timestamp for the whole cycle, IST, floored to :00/:30;
2. today's universe (instrument dumps loaded once per IST day, see `MarketData`);
3. one quote call for the spots (incl. INDIA VIX) and a window of strikes around each chain's ATM as implied by the
   previous spot, widened by an over-fetch margin. Chunked only above QUOTE_BATCH_SIZE. A second call happens only
   when there is no previous spot at all (first run ever) or the spot jumped beyond the margin;
4. ATM = listed strike nearest to the fresh spot; legs at the configured offsets; IV for all legs in one
   vectorised solve; day-open baselines; overview per index with the ATM aggregates per bucket.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from op_trading.collectors.baselines import DayBaselines
from op_trading.collectors.iv import IvInput, IvSolver
from op_trading.collectors.market_data import MarketData
from op_trading.collectors.records import (BucketSummary, LegContext, atm_iv, bucket_summary, cycle_timestamp,
                                           leg_record, number, overview_record, whole)
from op_trading.collectors.universe import ExpiryChain, Universe, request_keys
from op_trading.fileio import atomic_write_json
from op_trading.market.calendar import now_ist, to_ist
from op_trading.market.expiries import days_to_expiry

log = logging.getLogger(__name__)

QuoteFunction = Callable[[list[str]], Mapping[str, Any]]


@dataclass
class CycleStats:
    quote_calls: int = 0
    instrument_calls: int = 0
    instruments_requested: int = 0
    instruments_missing: int = 0  # asked for but absent from the answer (Kite omits keys it has no data for)
    legs: int = 0
    overviews: int = 0
    wall_ms: float = 0.0
    cpu_ms: float = 0.0  # this thread's CPU time, Kite calls (HTTP + client parsing) excluded
    network_ms: float = 0.0  # wall time inside Kite calls

    @property
    def api_calls(self) -> int:
        return self.quote_calls + self.instrument_calls

    @property
    def processing_ms(self) -> float:
        return self.wall_ms - self.network_ms


@dataclass
class CycleResult:
    timestamp: str
    source: str
    legs: list[dict]
    overviews: list[dict]
    stats: CycleStats
    warnings: list[str] = field(default_factory=list)
    # What a chain snapshot after the cycle builds on: the day's universe and the raw answers of this cycle's quotes.
    universe: Universe | None = field(default=None, repr=False, compare=False)
    quotes: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def records(self) -> list[dict]:
        return self.legs + self.overviews


class CycleQuotes:
    """The quotes of one cycle (or chain snapshot): what was asked (each key once), what came back, the time it took.

    Wall and CPU time spent inside Kite calls (HTTP plus the client's parsing) are kept apart from the rest.
    """

    def __init__(self, quote: QuoteFunction, batch_size: int, stats: CycleStats):
        self._quote, self.batch_size, self.stats = quote, batch_size, stats
        self.answers: dict[str, Any] = {}
        self.requested: set[str] = set()
        self._wall, self._cpu = time.perf_counter(), time.thread_time()
        self._call_cpu = 0.0

    def timed_call(self, function: Callable[..., Any], *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args)
        finally:
            self.stats.network_ms += (time.perf_counter() - wall) * 1000
            self._call_cpu += time.thread_time() - cpu

    def fetch(self, keys: Iterable[str]) -> None:
        """Quote the keys not asked for yet this cycle, in chunks of at most `batch_size`."""
        keys = [key for key in dict.fromkeys(keys) if key not in self.requested]
        self.requested.update(keys)
        for start in range(0, len(keys), self.batch_size):
            chunk = keys[start:start + self.batch_size]
            self.stats.quote_calls += 1
            self.stats.instruments_requested += len(chunk)
            response = self.timed_call(self._quote, chunk) or {}
            self.stats.instruments_missing += sum(1 for key in chunk if key not in response)
            self.answers.update(response)

    def get(self, key: str) -> Mapping[str, Any] | None:
        answer = self.answers.get(key)
        return answer if isinstance(answer, Mapping) else None

    def last_price(self, key: str) -> float | None:
        return number((self.get(key) or {}).get("last_price"))

    def finish(self) -> None:
        self.stats.wall_ms = (time.perf_counter() - self._wall) * 1000
        self.stats.cpu_ms = (time.thread_time() - self._cpu - self._call_cpu) * 1000


def quoted_option(ctx: LegContext, quote_key: str, quote: Mapping[str, Any], spot: float, baselines: DayBaselines
                  ) -> tuple[dict, IvInput]:
    """The record of one quoted option (IV still empty) and its IV input; records the contract's day-open OI."""
    oi_open = baselines.observe_oi(quote_key, whole(quote.get("oi")))
    iv_input = IvInput(quote, spot, ctx.strike, ctx.expiry, ctx.side, (ctx.index.key, ctx.bucket))
    return leg_record(ctx, quote, oi_open, None), iv_input


def solve_ivs(records: list[dict], inputs: list[IvInput], solver: IvSolver, now: datetime) -> None:
    """Fill `iv` of every record in one vectorised solve (records and inputs in the same order)."""
    for record, iv in zip(records, solver(inputs, now)):
        record["iv"] = number(iv)


@dataclass(frozen=True)
class _Selected:
    chain: ExpiryChain
    atm_position: int
    offsets: tuple[int, ...]  # offsets whose strikes exist in the chain; 0 is always computed for the overview


class Collector:
    """Runs cycles against a quote function; holds the per-day market data and baselines between cycles."""

    def __init__(self, quote: QuoteFunction, market: MarketData, baselines: DayBaselines, iv_solver: IvSolver, *,
                 offsets: Iterable[int] = (-2, -1, 0, 1, 2), batch_size: int = 500, source: str = "live",
                 clock: Callable[[], datetime] = now_ist, raw_quote_dir: Path | None = None):
        self.quote = quote
        self.market = market
        self.baselines = baselines
        self.iv_solver = iv_solver
        self.offsets = tuple(sorted(set(offsets)))
        self.batch_size = batch_size
        self.source = source
        self.clock = clock
        self.raw_quote_dir = raw_quote_dir

    def run_cycle(self) -> CycleResult:
        stats = CycleStats()
        quotes = CycleQuotes(self.quote, self.batch_size, stats)
        now = to_ist(self.clock())
        timestamp, today = cycle_timestamp(now), now.date()
        self.baselines.use_day(today)
        universe = self.market.universe(today, now, quotes.timed_call, stats)
        self._fetch(universe, quotes)
        spots = {index.key: quotes.last_price(index.quote_key) for index in universe.spots}
        selected = [self._select(chain, spots[chain.index.key]) for chain in universe.chains
                    if spots.get(chain.index.key) is not None]
        self._top_up(selected, quotes)
        self._observe_oi(universe, quotes.answers)
        legs, summaries = self._legs(selected, quotes, spots, timestamp, now)
        overviews = self._overviews(universe, selected, quotes, summaries, timestamp)
        warnings = list(universe.warnings) + self._spot_warnings(universe, spots)
        for index_key, spot in spots.items():
            if spot is not None:
                self.baselines.note_spot(index_key, spot)
        self.baselines.save()
        self._save_raw(quotes.answers, now)
        stats.legs, stats.overviews = len(legs), len(overviews)
        quotes.finish()
        return CycleResult(timestamp, self.source, legs, overviews, stats, warnings, universe, quotes.answers)

    # --- quoting -----------------------------------------------------------------------------------------------

    @property
    def offsets_with_atm(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.offsets) | {0}))

    def _fetch(self, universe: Universe, quotes: CycleQuotes) -> None:
        references = dict(self.baselines.spots)
        if any(chain.index.key not in references for chain in universe.chains):
            # No spot ever seen for an index (first run): learn the spots first, a second call this cycle only.
            quotes.fetch(index.quote_key for index in universe.spots)
            for index in universe.spots:
                if quotes.last_price(index.quote_key) is not None:
                    references[index.key] = quotes.last_price(index.quote_key)
        margin = self.market.margin(universe, self.offsets_with_atm, self.batch_size)
        quotes.fetch(request_keys(universe, references, self.offsets_with_atm, margin))

    def _select(self, chain: ExpiryChain, spot: float) -> _Selected:
        centre = chain.atm_position(spot)
        offsets = tuple(k for k in self.offsets_with_atm if 0 <= centre + k < len(chain.pairs))
        return _Selected(chain, centre, offsets)

    @staticmethod
    def _top_up(selected: list[_Selected], quotes: CycleQuotes) -> None:
        """Quote the strikes the fresh ATM needs that were outside the planned window (a big spot move).

        Keys already asked for this cycle are not asked again: Kite leaves out instruments it has no data for.
        """
        needed = [contract.quote_key for item in selected for offset in item.offsets
                  for contract in (item.chain.pairs[item.atm_position + offset].call,
                                   item.chain.pairs[item.atm_position + offset].put)]
        missing = [key for key in needed if key not in quotes.requested]
        if missing:
            log.info("spot moved beyond the fetched strikes: quoting %d more instruments", len(set(missing)))
            quotes.fetch(missing)

    def _observe_oi(self, universe: Universe, quotes: Mapping[str, Any]) -> None:
        """Every option quoted this cycle gets a day-open OI, including margin strikes the ATM may move to."""
        spot_keys = {index.quote_key for index in universe.spots}
        for key, quote in quotes.items():
            if key not in spot_keys and isinstance(quote, Mapping):
                self.baselines.observe_oi(key, whole(quote.get("oi")))

    # --- records -----------------------------------------------------------------------------------------------

    def _legs(self, selected: list[_Selected], quotes: CycleQuotes, spots: Mapping[str, float | None],
              timestamp: str, now: datetime) -> tuple[list[dict], dict[tuple[str, str], BucketSummary]]:
        built: list[tuple[_Selected, int, dict]] = []
        iv_inputs: list[IvInput] = []
        for item in selected:
            chain = item.chain
            atm_strike = int(round(chain.strikes[item.atm_position]))
            days = days_to_expiry(chain.expiry, now.date())
            for offset in item.offsets:
                pair = chain.pairs[item.atm_position + offset]
                for side, contract in (("CE", pair.call), ("PE", pair.put)):
                    quote = quotes.get(contract.quote_key)
                    if quote is None:
                        continue
                    ctx = LegContext(timestamp, chain.index, chain.bucket, side, chain.expiry, atm_strike,
                                     pair.strike, offset, days, contract.tradingsymbol, contract.instrument_token,
                                     self.source)
                    record, iv_input = quoted_option(ctx, contract.quote_key, quote, spots[chain.index.key],
                                                     self.baselines)
                    built.append((item, offset, record))
                    iv_inputs.append(iv_input)
        solve_ivs([record for _, _, record in built], iv_inputs, self.iv_solver, now)
        summaries = self._summaries(built, now)
        legs = [record for item, offset, record in built if offset in self.offsets]
        return legs, summaries

    def _summaries(self, built: list[tuple[_Selected, int, dict]], now: datetime
                   ) -> dict[tuple[str, str], BucketSummary]:
        atm_legs: dict[tuple[str, str], dict[str, dict]] = {}
        chains: dict[tuple[str, str], ExpiryChain] = {}
        for item, offset, record in built:
            if offset == 0:
                key = (item.chain.index.key, item.chain.bucket)
                atm_legs.setdefault(key, {})[record["side"]] = record
                chains[key] = item.chain
        summaries = {}
        for key, chain in chains.items():
            call_leg, put_leg = atm_legs[key].get("CALL"), atm_legs[key].get("PUT")
            iv_open = self.baselines.observe_iv(chain.index.key, chain.bucket, atm_iv(call_leg, put_leg))
            summaries[key] = bucket_summary(chain.bucket, call_leg, put_leg, iv_open,
                                            days_to_expiry(chain.expiry, now.date()))
        return summaries

    def _overviews(self, universe: Universe, selected: list[_Selected], quotes: CycleQuotes,
                   summaries: Mapping[tuple[str, str], BucketSummary], timestamp: str) -> list[dict]:
        atm_by_index: dict[str, int] = {}
        for item in selected:  # the nearest expiry's ATM (chains are in bucket order)
            atm_by_index.setdefault(item.chain.index.key, int(round(item.chain.strikes[item.atm_position])))
        overviews = []
        for index in universe.spots:
            quote = quotes.get(index.quote_key)
            if quote is None:
                continue
            buckets = [summaries[(index.key, chain.bucket)] for chain in universe.chains_for(index)
                       if (index.key, chain.bucket) in summaries]
            overviews.append(overview_record(timestamp, index, atm_by_index.get(index.key), quote, buckets,
                                             self.source))
        return overviews

    @staticmethod
    def _spot_warnings(universe: Universe, spots: Mapping[str, float | None]) -> list[str]:
        return [f"{index.key}: no quote for {index.quote_key}; its legs were skipped this cycle"
                for index in universe.spots if spots.get(index.key) is None]

    def _save_raw(self, quotes: Mapping[str, Any], now: datetime) -> None:
        if self.raw_quote_dir is not None:
            name = f"{self.source}_{now.strftime('%Y%m%d_%H%M%S')}.json"
            atomic_write_json(self.raw_quote_dir / name, quotes)
