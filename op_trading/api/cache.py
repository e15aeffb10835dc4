"""Response cache of the API: a lifetime per kind of answer (seed 000's table), in Redis when REDIS_URL is set (the
product's `RedisCache`, keys under `optrading:api:`) and in process otherwise (`MemoryCache`). Hits and misses are
counted per kind in Prometheus (`op_api_cache_requests_total{kind, result}`).

TTL 0 means "never cached" (positions: the seed wants them real-time; errors: they matter when they happen).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

TTL_SECONDS = {
    "overview": 30, "chain": 15, "participants": 300, "cash_flows": 30, "market_breadth": 60, "volatility": 120,
    "positions": 0, "alerts": 5, "errors": 0, "premarket": 300, "series": 30, "health": 0,
}
KEY_PREFIX = "optrading:api:"


def open_response_cache(settings, prefix: str = KEY_PREFIX):
    """RedisCache under `prefix` when REDIS_URL is set and answers, else MemoryCache (its `note` says why)."""
    from op_trading.storage.cache import MemoryCache, TtlPolicy

    policy = TtlPolicy.from_settings(settings)
    url = settings.get("REDIS_URL", "")
    if not url:
        return MemoryCache(policy, max_entries=2000, note="REDIS_URL is not set: in-process cache")
    from op_trading.storage.redis_cache import RedisCache, redacted_url

    cache = RedisCache(url, policy, prefix=prefix)
    if cache.ping():
        return cache
    note = f"Redis at {redacted_url(url)} did not answer ({cache.last_error}): in-process cache instead"
    log.warning(note)
    cache.close()
    return MemoryCache(policy, max_entries=2000, note=note)


class ResponseCache:
    """get-or-compute of JSON-ready answers, keyed by kind and request; counts hits and misses."""

    def __init__(self, cache, registry) -> None:
        from prometheus_client import Counter

        self.cache = cache
        self.requests = Counter("op_api_cache_requests", "API response cache lookups by kind and result (hit/miss).",
                                ("kind", "result"), registry=registry)

    def get_or_compute(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        ttl = TTL_SECONDS[kind]
        if ttl <= 0:
            return compute()
        full_key = f"{kind}:{key}"
        found = self.cache.get(full_key)
        if found is not None:
            self.requests.labels(kind, "hit").inc()
            return found
        self.requests.labels(kind, "miss").inc()
        value = compute()
        self.cache.set(full_key, value, ttl)
        return value

    @property
    def backend(self) -> str:
        return getattr(self.cache, "name", "memory")
