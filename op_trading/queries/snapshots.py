"""Where the query layer reads option chain snapshots from: one small protocol, two readers.

`ChainSnapshots` is what the chain queries need: the latest snapshot of an index and expiry, the OI per contract of
the last snapshot at or before a moment (for OI change over a window and since the previous session's close), and
the expiries that have snapshots. `MemoryChains` keeps what the running service took this session (fed with each
`ChainSnapshot` of `op_trading.collectors.chain_snapshot`): the latest full snapshot per index and expiry, and the
OI of every snapshot of the current and previous session (compact: strike, side -> OI). A reader over the store's
persisted snapshots implements the same three methods; `open_chain_reader` picks it when the store provides one.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping, Protocol

from op_trading.market.calendar import to_ist

OiMap = Mapping[tuple[float, str], int]  # (strike, "CALL"/"PUT") -> OI in contracts
SESSIONS_KEPT = 2  # the current session and the one before (OI change since the previous close)


@dataclass(frozen=True)
class StoredChain:
    """One snapshot of one index and expiry: option records with the collector's leg keys."""

    index: str  # index key (NIFTY, FINNIFTY, ...)
    expiry: date
    buckets: tuple[str, ...]
    as_of: datetime
    source: str
    spot: float | None
    atm_strike: float | None
    options: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class OiSnapshot:
    as_of: datetime
    oi: OiMap


class ChainSnapshots(Protocol):
    def latest(self, index: str, expiry: date | None = None) -> StoredChain | None: ...

    def oi_at(self, index: str, expiry: date, moment: datetime) -> OiSnapshot | None: ...

    def expiries(self, index: str) -> list[tuple[date, tuple[str, ...]]]: ...


def oi_map(options) -> dict[tuple[float, str], int]:
    found = {}
    for option in options:
        strike, oi, side = option.get("strike"), option.get("oi"), str(option.get("side") or "").upper()
        side = {"CE": "CALL", "PE": "PUT"}.get(side, side)
        if strike is not None and oi is not None and side in ("CALL", "PUT"):
            found[(float(strike), side)] = int(oi)
    return found


class MemoryChains:
    """The snapshots the running service took, held in memory (thread-safe; bounded by SESSIONS_KEPT days)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, date], StoredChain] = {}
        self._oi: dict[tuple[str, date], list[OiSnapshot]] = {}

    def add(self, snapshot: Any) -> None:
        """Take a `ChainSnapshot` (timestamp, source, expiries with index/expiry/buckets/spot/atm_strike/options)."""
        as_of = to_ist(datetime.fromisoformat(snapshot.timestamp))
        with self._lock:
            for part in snapshot.expiries:
                key = (str(part.index), part.expiry)
                chain = StoredChain(str(part.index), part.expiry, tuple(part.buckets), as_of, snapshot.source,
                                    part.spot, part.atm_strike, tuple(part.options))
                self._latest[key] = chain
                history = self._oi.setdefault(key, [])
                if history and history[-1].as_of >= as_of:  # a simulated clock set back: start again
                    history.clear()
                history.append(OiSnapshot(as_of, oi_map(part.options)))
            self._forget(as_of.date())

    def _forget(self, today: date) -> None:
        days = sorted({item.as_of.date() for items in self._oi.values() for item in items})
        keep = set(days[-SESSIONS_KEPT:]) | {today}
        for key in list(self._oi):
            self._oi[key] = [item for item in self._oi[key] if item.as_of.date() in keep]
            if not self._oi[key]:
                del self._oi[key]
        self._latest = {key: chain for key, chain in self._latest.items() if chain.as_of.date() in keep}

    def latest(self, index: str, expiry: date | None = None) -> StoredChain | None:
        with self._lock:
            chains = [chain for (key, day), chain in self._latest.items()
                      if key == index and (expiry is None or day == expiry)]
        if not chains:
            return None
        newest = max(chain.as_of for chain in chains)
        return min((chain for chain in chains if chain.as_of == newest), key=lambda chain: chain.expiry)

    def oi_at(self, index: str, expiry: date, moment: datetime) -> OiSnapshot | None:
        with self._lock:
            history = list(self._oi.get((index, expiry), ()))
        position = bisect_right([item.as_of for item in history], to_ist(moment))
        return history[position - 1] if position else None

    def expiries(self, index: str) -> list[tuple[date, tuple[str, ...]]]:
        with self._lock:
            chains = [chain for (key, _), chain in self._latest.items() if key == index]
        newest = max((chain.as_of for chain in chains), default=None)
        return sorted((chain.expiry, chain.buckets) for chain in chains if chain.as_of == newest)
