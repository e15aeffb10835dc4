"""Storage: sinks (embedded store, InfluxDB, CSV, JSON) and the cache (in-process or Redis).

    sinks = open_sinks(settings)          # STORAGE_SINKS, e.g. embedded,influxdb,csv
    for sink in sinks: result = sink.write(points)   # WriteResult: written / spooled / failed (+ reason)
    store = open_store(settings)          # EmbeddedStore for history queries

The implementations are imported inside the factories, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from op_trading.storage.base import Sink
    from op_trading.storage.embedded import EmbeddedStore


class StorageConfigError(ValueError):
    """Settings ask for a sink that cannot be opened (the message says which setting to change)."""


def open_sinks(settings) -> list["Sink"]:
    """The sinks named in STORAGE_SINKS, in that order. Raises StorageConfigError instead of dropping one."""
    names = [name.strip().lower() for name in settings["STORAGE_SINKS"] if name.strip()]
    unknown = [name for name in names if name not in _OPENERS]
    if unknown:
        raise StorageConfigError(f"STORAGE_SINKS names unknown sinks: {', '.join(unknown)} "
                                 f"(known: {', '.join(_OPENERS)})")
    if "influxdb" in names and not settings.get("INFLUXDB_URL", ""):
        raise StorageConfigError("STORAGE_SINKS includes influxdb but INFLUXDB_URL is empty: set INFLUXDB_URL "
                                 "(e.g. http://localhost:8086) or remove influxdb from STORAGE_SINKS")
    return [_OPENERS[name](settings) for name in dict.fromkeys(names)]


def open_store(settings) -> "EmbeddedStore":
    from op_trading.storage.embedded import EmbeddedStore

    return EmbeddedStore.from_settings(settings)


def _influx(settings):
    from op_trading.storage.influx import InfluxSink

    return InfluxSink.from_settings(settings)


def _csv(settings):
    from op_trading.storage.files import CsvSplitSink

    return CsvSplitSink.from_settings(settings)


def _json(settings):
    from op_trading.storage.files import JsonSnapshotSink

    return JsonSnapshotSink.from_settings(settings)


_OPENERS = {"embedded": open_store, "influxdb": _influx, "csv": _csv, "json": _json}
