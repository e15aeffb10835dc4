"""The in-process cache: expiry, size bound, JSON copy semantics, TTL per kind, and open_cache's choice."""

import pytest

from op_trading.config.settings import load_settings
from op_trading.storage.cache import MemoryCache, TtlPolicy, open_cache
from tests.support import free_port


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_entries_expire_after_their_ttl():
    clock = Clock()
    cache = MemoryCache(clock=clock)
    cache.set("quote:NIFTY", {"ltp": 24000.5}, ttl=30)
    cache.set("forever", 1)
    clock.now += 29.9
    assert cache.get("quote:NIFTY") == {"ltp": 24000.5}
    clock.now += 0.1
    assert cache.get("quote:NIFTY") is None and cache.get("forever") == 1


def test_values_are_copies_like_redis_would_return():
    cache = MemoryCache()
    value = {"legs": [1, 2]}
    cache.set("k", value, ttl=10)
    value["legs"].append(3)
    assert cache.get("k") == {"legs": [1, 2]}
    with pytest.raises(TypeError):
        cache.set("bad", object(), ttl=10)  # what Redis could not store is refused here too


def test_size_is_bounded_least_recently_used_first():
    cache = MemoryCache(max_entries=3)
    for key in "abc":
        cache.set(key, key)
    cache.get("a")
    cache.set("d", "d")
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") == "a"


def test_delete_and_ping():
    cache = MemoryCache()
    cache.set("k", 1)
    assert cache.delete("k") is True and cache.delete("k") is False and cache.ping() is True


def test_ttl_per_kind_comes_from_settings():
    settings = load_settings(overrides={"CACHE_QUOTE_TTL_SECONDS": "15", "CACHE_ANALYTICS_TTL_SECONDS": "120"})
    cache = open_cache(settings)
    assert isinstance(cache, MemoryCache) and "REDIS_URL is not set" in cache.note
    assert cache.ttl_for("quote") == cache.ttl_for("overview") == 15
    assert cache.ttl_for("analytics") == cache.ttl_for("participants") == 120
    with pytest.raises(ValueError, match="unknown cache kind"):
        TtlPolicy().ttl_for("weather")


def test_unreachable_redis_falls_back_and_says_why():
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    cache = open_cache(load_settings(overrides={"REDIS_URL": url}))
    assert isinstance(cache, MemoryCache)
    assert cache.note.startswith(f"Redis at {url} did not answer (ConnectionError")


def test_passwords_in_redis_urls_are_masked_in_messages():
    from op_trading.storage.redis_cache import redacted_url

    assert redacted_url("redis://:hunter2secret@10.0.0.5:6380/1") == "redis://:****@10.0.0.5:6380/1"
    assert redacted_url("rediss://app:pw@cache.example/0") == "rediss://app:****@cache.example/0"
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
