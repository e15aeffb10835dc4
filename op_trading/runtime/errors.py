"""Every error the service meets, classified, kept in a bounded recent list with a plain recovery suggestion.

Classes (the seeds' error detector): authentication, rate_limit, network, data, storage, configuration, internal.
Classification reads exception types (and the HTTP status KiteCaller noted), never message text beyond a few
well-known class names, so a quote body quoting "429" cannot mislead it. The live view shows `recent()`, the API's
/api/v1/errors reads it, and `counts()` feeds the `op_errors_total{class}` metric.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from op_trading.errortext import bounded, error_line

CLASSES = ("authentication", "rate_limit", "network", "data", "storage", "configuration", "internal")
SUGGESTIONS = {
    "authentication": "Log in to Kite again (Production > Kite Connect authentication setup, or "
                      "`python op_trading_setup.py run production.login`); collection resumes by itself.",
    "rate_limit": "Kite answered 429: the service slows down by itself; lower QUOTE_BATCH_SIZE or raise "
                  "COLLECTION_INTERVAL_SECONDS if it persists.",
    "network": "Check the internet connection and KITE_API_ROOT; calls are retried at the next cycle.",
    "data": "Kite sent an answer that could not be read; usually transient. If it repeats, save raw quotes "
            "(DEBUG_SAVE_RAW_QUOTES) and report it.",
    "storage": "Check that InfluxDB/Redis are up and DATA_DIR has space; points are spooled and replayed.",
    "configuration": "Fix the setting named in the message (Setup > Environment configuration wizard).",
    "internal": "A bug: the component was restarted. Send the log file (logs/) with a report.",
}
RECENT_KEPT = 50

_AUTH = ("TokenException", "AuthRequired", "InvalidToken", "PermissionException")
_CONFIG = ("KiteSetupError", "StorageConfigError", "ApiConfigError", "FieldError", "InputException")
_NETWORK = ("ConnectionError", "Timeout", "ConnectTimeout", "ReadTimeout", "NetworkException", "TimeoutError",
            "URLError", "RemoteDisconnected", "ProtocolError")
_DATA = ("DataException", "JSONDecodeError", "UnicodeDecodeError", "ParserError", "InstrumentsUnavailable")
_STORAGE = ("RedisError", "InfluxDBError", "ApiException", "OperationalError", "SinkError", "IOException")


def classify(error: BaseException) -> str:
    """The class of `error` (one of CLASSES)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    status = getattr(error, "http_status", None) or getattr(error, "code", None)
    if names & set(_AUTH):
        return "authentication"
    if status == 429 or "RateLimited" in names:
        return "rate_limit"
    if names & set(_CONFIG):
        return "configuration"
    if names & set(_STORAGE) or type(error).__module__.split(".")[0] in ("redis", "influxdb_client", "duckdb"):
        return "storage"
    if names & set(_NETWORK) or isinstance(error, ConnectionError):
        return "network"
    if names & set(_DATA) or isinstance(error, (ValueError, KeyError)):
        return "data"
    if isinstance(error, OSError):
        return "storage" if getattr(error, "filename", None) else "network"
    return "internal"


@dataclass(frozen=True)
class ErrorItem:
    time: datetime
    kind: str  # one of CLASSES
    message: str
    suggestion: str
    where: str = ""


class ErrorRegistry:
    """Thread-safe: the newest RECENT_KEPT errors and a count per class since start."""

    def __init__(self, clock: Callable[[], datetime], kept: int = RECENT_KEPT,
                 on_record: Callable[[ErrorItem], None] | None = None) -> None:
        self._clock = clock
        self._items: deque[ErrorItem] = deque(maxlen=kept)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._on_record = on_record

    def record(self, error: BaseException | str, kind: str | None = None, where: str = "") -> ErrorItem:
        if isinstance(error, BaseException):
            kind = kind or classify(error)
            text = error_line(error)
        else:
            kind, text = kind or "internal", bounded(str(error))
        if kind not in CLASSES:
            raise ValueError(f"unknown error class {kind!r}")
        item = ErrorItem(self._clock(), kind, f"{where}: {text}" if where else text, SUGGESTIONS[kind], where)
        with self._lock:
            self._items.append(item)
            self._counts[kind] += 1
        if self._on_record is not None:
            self._on_record(item)
        return item

    def recent(self, limit: int | None = None) -> list[ErrorItem]:
        """Newest first."""
        with self._lock:
            items = list(self._items)[::-1]
        return items[:limit] if limit else items

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {kind: self._counts.get(kind, 0) for kind in CLASSES}
