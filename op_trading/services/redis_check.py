"""Redis health through redis-py: ping, then a real write/read/delete of a short-lived key."""

from __future__ import annotations

import time
import uuid

from op_trading.outcome import Check, Status


def check_redis(url: str, timeout_seconds: float = 2.0) -> list[Check]:
    if not url:
        return [Check("Redis", Status.SKIPPED, "REDIS_URL is not set: the in-process cache is used")]
    import redis

    from op_trading.storage.redis_cache import KEY_PREFIX, redacted_url

    shown = redacted_url(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds)
    except ValueError as error:  # malformed URL
        return [Check("Redis ping", Status.FAILED, f"{shown}: {error}")]
    try:
        ping = _ping(client, shown)
        if ping.status is Status.FAILED:
            return [ping, Check("Redis write/read/delete", Status.SKIPPED, "not checked: no answer to ping")]
        return [ping, _round_trip(client, f"{KEY_PREFIX}healthcheck:{uuid.uuid4().hex}")]
    finally:
        client.close()


def _ping(client, shown: str) -> Check:
    import redis

    started = time.perf_counter()
    try:
        client.ping()
        version = client.info("server").get("redis_version", "unknown")
    except redis.RedisError as error:
        return Check("Redis ping", Status.FAILED, f"{shown}: {type(error).__name__}: {error}")
    elapsed = (time.perf_counter() - started) * 1000
    return Check("Redis ping", Status.OK, f"{shown} answered in {elapsed:.1f} ms (Redis {version})")


def _round_trip(client, key: str) -> Check:
    import redis

    value = uuid.uuid4().hex
    try:
        client.set(key, value, ex=60)  # expires by itself if the delete below never runs
        read = client.get(key)
        deleted = client.delete(key)
    except redis.RedisError as error:
        return Check("Redis write/read/delete", Status.FAILED, f"{type(error).__name__}: {error}")
    if read is None or read.decode() != value:
        return Check("Redis write/read/delete", Status.FAILED, f"wrote {value!r} but read back {read!r}")
    if deleted != 1:
        return Check("Redis write/read/delete", Status.FAILED, "the test key could not be deleted")
    return Check("Redis write/read/delete", Status.OK, "a test key was written, read back and deleted")
