"""The cache: Redis when REDIS_URL is set and answers, else an in-process cache with the same behaviour.

Values go through JSON in both implementations, so code tested against the in-process cache behaves the same with
Redis (a value must be JSON-serialisable; what comes back is a copy, not the object that was stored). A cache is an
optimisation: a Redis failure turns into a miss (`get` -> None, `set` -> False) with `last_error` set and a log
line, never an exception in the collection path. `ping()` tells whether the backend is healthy.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

log = logging.getLogger(__name__)

# kind of data -> which lifetime applies (SPEC §6: TTLs per data kind)
TTL_KINDS = {"quote": "quote", "overview": "quote", "chain": "quote",
             "analytics": "analytics", "participants": "analytics", "cash_flows": "analytics"}


@dataclass(frozen=True)
class TtlPolicy:
    quote_seconds: int = 30
    analytics_seconds: int = 300

    @classmethod
    def from_settings(cls, settings) -> "TtlPolicy":
        return cls(settings["CACHE_QUOTE_TTL_SECONDS"], settings["CACHE_ANALYTICS_TTL_SECONDS"])

    def ttl_for(self, kind: str) -> int:
        group = TTL_KINDS.get(kind)
        if group is None:
            raise ValueError(f"unknown cache kind {kind!r}; known: {', '.join(TTL_KINDS)}")
        return self.quote_seconds if group == "quote" else self.analytics_seconds


@runtime_checkable
class Cache(Protocol):
    name: str
    last_error: str

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl: float | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def ping(self) -> bool: ...

    def ttl_for(self, kind: str) -> int: ...


class MemoryCache:
    """In-process cache with per-entry expiry and a size bound (least recently used entries go first)."""

    name = "memory"

    def __init__(self, ttl_policy: TtlPolicy | None = None, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic, note: str = "") -> None:
        self.policy = ttl_policy or TtlPolicy()
        self.max_entries = max_entries
        self.note = note  # e.g. why Redis is not used
        self.last_error = ""
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float | None, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, text = entry
            if expires is not None and self._clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return json.loads(text)

    def set(self, key: str, value: Any, ttl: float | None = None) -> bool:
        text = json.dumps(value)  # same contract as Redis: JSON values, stored as a copy
        expires = None if ttl is None else self._clock() + ttl
        with self._lock:
            self._entries[key] = (expires, text)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def ping(self) -> bool:
        return True

    def ttl_for(self, kind: str) -> int:
        return self.policy.ttl_for(kind)

    def __len__(self) -> int:
        return len(self._entries)


def open_cache(settings) -> Cache:
    """RedisCache when REDIS_URL is set and answers a ping; otherwise MemoryCache, whose `note` says why."""
    policy = TtlPolicy.from_settings(settings)
    url = settings.get("REDIS_URL", "")
    if not url:
        return MemoryCache(policy, note="REDIS_URL is not set: in-process cache")
    from op_trading.storage.redis_cache import RedisCache, redacted_url

    cache = RedisCache(url, policy)
    if cache.ping():
        return cache
    note = f"Redis at {redacted_url(url)} did not answer ({cache.last_error}): in-process cache instead"
    log.warning(note)
    cache.close()
    return MemoryCache(policy, note=note)
