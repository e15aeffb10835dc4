"""Picks the chain snapshot reader: the store's persisted snapshots (`op_trading.storage.chains.ChainStore`, helper
"store") when this build has them, else an in-memory `MemoryChains` that the running service feeds.

`StoreChains` adapts `ChainStore` to the query layer's `ChainSnapshots` protocol. Stored options carry the previous
session's close price but not the day's open price, so their buildup compares the price with the previous close
(OI with the day's open, as everywhere).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from op_trading.queries.snapshots import OiSnapshot, StoredChain, oi_map


def open_chain_reader(settings, store: Any):
    """StoreChains over `store` when the store keeps chain snapshots; else an empty MemoryChains."""
    try:
        from op_trading.storage.chains import ChainStore
    except ImportError:  # a build without persisted chain snapshots: the running service feeds MemoryChains
        from op_trading.queries.snapshots import MemoryChains

        return MemoryChains()
    return StoreChains(ChainStore(store))


def persisted(settings) -> bool:
    """Whether chain snapshots are stored (then the API reads them from the store, in or outside the service)."""
    try:
        import op_trading.storage.chains  # noqa: F401
    except ImportError:
        return False
    return True


def _side(value: Any) -> str:
    text = str(getattr(value, "value", value)).upper()
    return {"CE": "CALL", "PE": "PUT"}.get(text, text)


def _option(option: Any, expiry: date, source: str) -> dict:
    last, close, oi, oi_open = option.last_price, getattr(option, "close", None), option.oi, option.oi_open
    change = None if last is None or not close else 100.0 * (last - close) / close
    return {"strike": float(option.strike), "side": _side(option.side), "expiry": expiry.isoformat(),
            "last_price": last, "bid": option.bid, "ask": option.ask, "volume": option.volume, "oi": oi,
            "oi_open": oi_open, "oi_change": None if oi is None or oi_open is None else oi - oi_open,
            "iv": option.iv, "day_change_percent": change, "source": source}


class StoreChains:
    def __init__(self, chains: Any) -> None:
        self.chains = chains

    def _convert(self, stored: Any) -> StoredChain | None:
        if stored is None:
            return None
        buckets = stored.buckets.split(",") if isinstance(stored.buckets, str) else list(stored.buckets or ())
        return StoredChain(stored.index, stored.expiry, tuple(buckets), stored.time, stored.source, stored.spot,
                           stored.atm_strike, tuple(_option(o, stored.expiry, stored.source) for o in stored.options))

    def latest(self, index: str, expiry: date | None = None) -> StoredChain | None:
        return self._convert(self.chains.latest(index, expiry))

    def oi_at(self, index: str, expiry: date, moment: datetime) -> OiSnapshot | None:
        stored = self.chains.chain(index, expiry, at=moment, fields=["oi"])  # the OI column alone
        if stored is None:
            return None
        return OiSnapshot(stored.time, oi_map([{"strike": o.strike, "side": _side(o.side), "oi": o.oi}
                                               for o in stored.options]))

    def expiries(self, index: str) -> list[tuple[date, tuple[str, ...]]]:
        return [(day, ()) for day in self.chains.expiries(index)]
