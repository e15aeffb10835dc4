"""RedisCache and the Redis check against the real Redis on 127.0.0.1:6379 (DB 15, a key prefix per test)."""

import time
import uuid

import redis

from op_trading.config.settings import load_settings
from op_trading.outcome import Status
from op_trading.services.redis_check import check_redis
from op_trading.storage.cache import TtlPolicy, open_cache
from op_trading.storage.redis_cache import KEY_PREFIX, RedisCache
from tests.fixtures_storage import redis_prefix, redis_url  # noqa: F401 - pytest fixtures
from tests.support import free_port


def test_values_round_trip_as_json_under_the_prefix(redis_url, redis_prefix):
    cache = RedisCache(redis_url, prefix=redis_prefix)
    snapshot = {"index": "NIFTY", "ltp": 24012.35, "legs": [{"strike": 24000, "iv": None}], "ok": True}
    assert cache.set("overview:NIFTY", snapshot, ttl=30) is True
    assert cache.get("overview:NIFTY") == snapshot
    raw = redis.Redis.from_url(redis_url)
    assert raw.exists(redis_prefix + "overview:NIFTY") == 1
    assert 29_000 < raw.pttl(redis_prefix + "overview:NIFTY") <= 30_000
    assert cache.delete("overview:NIFTY") is True and cache.get("overview:NIFTY") is None
    assert cache.delete("overview:NIFTY") is False


def test_entries_expire_after_their_ttl(redis_url, redis_prefix):
    cache = RedisCache(redis_url, TtlPolicy(quote_seconds=1), prefix=redis_prefix)
    cache.set("quote:a", 1, ttl=0.2)
    cache.set("quote:b", 2, ttl=cache.ttl_for("quote"))
    time.sleep(0.35)
    assert cache.get("quote:a") is None and cache.get("quote:b") == 2


def test_open_cache_uses_redis_with_the_product_prefix(redis_url):
    cache = open_cache(load_settings(overrides={"REDIS_URL": redis_url, "CACHE_ANALYTICS_TTL_SECONDS": "90"}))
    assert isinstance(cache, RedisCache) and cache.ping() and cache.ttl_for("analytics") == 90
    key = f"test:{uuid.uuid4().hex}"
    try:
        cache.set(key, [1, 2, 3], ttl=10)
        assert redis.Redis.from_url(redis_url).get(KEY_PREFIX + key) == b"[1, 2, 3]"
    finally:
        cache.delete(key)


def test_a_redis_that_went_away_turns_into_misses_with_the_reason():
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/15", timeout_seconds=0.5)
    assert cache.get("k") is None and cache.set("k", 1, ttl=1) is False and cache.ping() is False
    assert "ConnectionError" in cache.last_error


def test_check_redis_pings_and_round_trips_a_key(redis_url):
    raw = redis.Redis.from_url(redis_url)
    before = set(raw.scan_iter(match=f"{KEY_PREFIX}healthcheck:*"))
    ping, round_trip = check_redis(redis_url)
    assert ping.status is Status.OK and "(Redis " in ping.detail
    assert round_trip.status is Status.OK
    assert set(raw.scan_iter(match=f"{KEY_PREFIX}healthcheck:*")) <= before  # the test key is gone


def test_check_redis_reports_an_unreachable_server():
    ping, round_trip = check_redis(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.5)
    assert ping.status is Status.FAILED and "Connection refused" in ping.detail
    assert round_trip.status is Status.SKIPPED


def test_check_redis_without_url_says_in_process():
    [check] = check_redis("")
    assert check.status is Status.SKIPPED and "in-process cache" in check.detail
