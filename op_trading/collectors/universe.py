"""What one collection cycle quotes: the spot indices and, per index and expiry bucket, a chain of listed strikes.

Built once per trading day from the instrument dump. A cycle asks for the spots plus a window of strikes around
the ATM implied by the previous spot, widened by an over-fetch margin, so that the fresh ATM (decided locally from
the same response) almost always falls inside what was fetched: one quote call per cycle instead of
"spots first, then legs".
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

from op_trading.market.expiries import assign_buckets
from op_trading.market.indices import INDIA_VIX, Index
from op_trading.market.instruments import Instrument, OptionIndex, strike_step

MAX_MARGIN = 3  # strikes fetched beyond the offsets on each side: covers a 3-step spot move between cycles


@dataclass(frozen=True)
class StrikePair:
    strike: float
    call: Instrument
    put: Instrument


@dataclass(frozen=True)
class ExpiryChain:
    """The strikes of one index and expiry that list both a CE and a PE, in ascending order."""

    index: Index
    bucket: str
    expiry: date
    strikes: tuple[float, ...]
    pairs: tuple[StrikePair, ...]
    step: float | None
    lot_size: int | None

    def atm_position(self, spot: float) -> int:
        """Position of the listed strike nearest to `spot`; an exact tie goes to the higher strike."""
        pos = bisect_left(self.strikes, spot)
        if pos <= 0:
            return 0
        if pos >= len(self.strikes):
            return len(self.strikes) - 1
        below, above = self.strikes[pos - 1], self.strikes[pos]
        return pos if above - spot <= spot - below else pos - 1

    def window(self, centre: int, low: int, high: int) -> range:
        """Positions centre+low .. centre+high that exist in the chain."""
        return range(max(0, centre + low), min(len(self.pairs), centre + high + 1))


@dataclass(frozen=True)
class Universe:
    day: date
    indices: tuple[Index, ...]  # option indices, in product order
    extra_spots: tuple[Index, ...]  # spot-only instruments (INDIA VIX)
    chains: tuple[ExpiryChain, ...]  # index order, then bucket order
    warnings: tuple[str, ...] = ()

    @property
    def spots(self) -> tuple[Index, ...]:
        return self.indices + self.extra_spots

    def chains_for(self, index: Index) -> tuple[ExpiryChain, ...]:
        return tuple(chain for chain in self.chains if chain.index.key == index.key)


def build_chain(index: Index, bucket: str, expiry: date, contracts: Iterable[Instrument]) -> ExpiryChain | None:
    calls: dict[float, Instrument] = {}
    puts: dict[float, Instrument] = {}
    for row in contracts:
        if row.expiry == expiry:
            (calls if row.instrument_type == "CE" else puts)[row.strike] = row
    strikes = tuple(sorted(set(calls) & set(puts)))
    if not strikes:
        return None
    pairs = tuple(StrikePair(strike, calls[strike], puts[strike]) for strike in strikes)
    lots = {pair.call.lot_size for pair in pairs if pair.call.lot_size > 0}
    return ExpiryChain(index, bucket, expiry, strikes, pairs, strike_step(strikes, strikes[len(strikes) // 2]),
                       max(lots) if lots else None)


def build_universe(indices: Iterable[Index], options: OptionIndex, today: date,
                   include_vix: bool = True) -> Universe:
    """Chains for every bucket the dump supports; an index without contracts is reported, not fatal."""
    chains: list[ExpiryChain] = []
    warnings: list[str] = []
    selected = tuple(indices)
    for index in selected:
        contracts = options.contracts(index.underlying or "", index.options_exchange)
        buckets = assign_buckets((row.expiry for row in contracts if row.expiry), today)
        if not buckets:
            warnings.append(f"{index.key}: no {index.underlying} option contracts expiring on or after "
                            f"{today} in the {index.options_exchange} dump")
            continue
        weekly_in_dump = "this_week" in buckets
        if weekly_in_dump != index.weekly_expiry:
            warnings.append(f"{index.key}: the dump {'has' if weekly_in_dump else 'has no'} weekly expiries; "
                            "following the dump")
        wanted = set(buckets.values())
        grouped = [row for row in contracts if row.expiry in wanted]
        for bucket, expiry in buckets.items():
            chain = build_chain(index, bucket, expiry, grouped)
            if chain is not None:
                chains.append(chain)
    extra = (INDIA_VIX,) if include_vix else ()
    return Universe(today, selected, extra, tuple(chains), tuple(warnings))


def offset_range(offsets: Iterable[int]) -> tuple[int, int]:
    values = list(offsets) or [0]
    return min(values), max(values)


def instruments_needed(universe: Universe, offsets: Iterable[int], margin: int) -> int:
    low, high = offset_range(offsets)
    width = high - low + 1 + 2 * margin
    return len(universe.spots) + sum(2 * min(width, len(chain.pairs)) for chain in universe.chains)


def overfetch_margin(universe: Universe, offsets: Iterable[int], batch_size: int) -> int:
    """The widest margin (up to MAX_MARGIN) that costs no extra quote call over fetching the offsets alone."""
    offsets = list(offsets)
    calls = math.ceil(instruments_needed(universe, offsets, 0) / batch_size)
    margin = 0
    for candidate in range(1, MAX_MARGIN + 1):
        if math.ceil(instruments_needed(universe, offsets, candidate) / batch_size) > calls:
            break
        margin = candidate
    return margin


def request_keys(universe: Universe, reference_spots: Mapping[str, float], offsets: Iterable[int],
                 margin: int) -> list[str]:
    """Quote keys for the spots and every chain window around the reference spot; chains without one are left out."""
    low, high = offset_range(offsets)
    keys = [index.quote_key for index in universe.spots]
    for chain in universe.chains:
        spot = reference_spots.get(chain.index.key)
        if spot is None:
            continue
        for pos in chain.window(chain.atm_position(spot), low - margin, high + margin):
            keys += (chain.pairs[pos].call.quote_key, chain.pairs[pos].put.quote_key)
    return list(dict.fromkeys(keys))  # this_week and this_month can be one contract: ask once
