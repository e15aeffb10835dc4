"""Redis cache through redis-py: JSON values under the key prefix "optrading:", expiry per entry.

Imported only when REDIS_URL is set, so redis-py is never loaded for the default in-process cache.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from op_trading.storage.cache import TtlPolicy

log = logging.getLogger(__name__)

KEY_PREFIX = "optrading:"


class RedisCache:
    name = "redis"

    def __init__(self, url: str, ttl_policy: TtlPolicy | None = None, prefix: str = KEY_PREFIX,
                 timeout_seconds: float = 2.0) -> None:
        self.url = url
        self.prefix = prefix
        self.policy = ttl_policy or TtlPolicy()
        self.last_error = ""
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_seconds,
                                            socket_connect_timeout=timeout_seconds)

    def get(self, key: str) -> Any | None:
        try:
            text = self._client.get(self.prefix + key)
        except redis.RedisError as error:
            return self._failed("get", error, None)
        return None if text is None else json.loads(text)

    def set(self, key: str, value: Any, ttl: float | None = None) -> bool:
        text = json.dumps(value)
        milliseconds = None if ttl is None else max(1, int(ttl * 1000))  # px keeps sub-second TTLs exact
        try:
            return bool(self._client.set(self.prefix + key, text, px=milliseconds))
        except redis.RedisError as error:
            return self._failed("set", error, False)

    def delete(self, key: str) -> bool:
        try:
            return self._client.delete(self.prefix + key) > 0
        except redis.RedisError as error:
            return self._failed("delete", error, False)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError as error:
            return self._failed("ping", error, False)

    def ttl_for(self, kind: str) -> int:
        return self.policy.ttl_for(kind)

    def close(self) -> None:
        self._client.close()

    def _failed(self, operation: str, error: Exception, answer: Any) -> Any:
        self.last_error = f"{type(error).__name__}: {error}"
        log.warning("Redis %s at %s failed: %s", operation, redacted_url(self.url), self.last_error)
        return answer


def redacted_url(url: str) -> str:
    """The URL with any password replaced, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:****@{host}", parts.path, parts.query, parts.fragment))
