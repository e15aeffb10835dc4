"""Picks the chain snapshot reader: the store's persisted snapshots when the store provides them, else none.

The running service passes its own `MemoryChains` (fed with every snapshot it takes); a standalone reader of the
store (the `api` command) uses the store's persisted snapshots once helper "store" provides them (INTERFACES.md).
"""

from __future__ import annotations

from typing import Any


def open_chain_reader(settings, store: Any):
    """The store's chain snapshot reader when it has one, else an empty in-memory one (answers "not found")."""
    reader = getattr(store, "chain_snapshots", None)
    if callable(reader):
        return reader()
    from op_trading.queries.snapshots import MemoryChains

    return MemoryChains()
