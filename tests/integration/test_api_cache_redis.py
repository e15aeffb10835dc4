"""API answers cached in a real Redis with the TTL of their kind; hits and misses counted in /metrics."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.fixtures_api import mock_settings
from tests.support import port_open, service_missing

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_answers_are_cached_in_redis_with_their_ttl(tmp_path):
    if not port_open("127.0.0.1", 6379):
        service_missing("Redis on 127.0.0.1:6379")
    import redis

    from op_trading.api.server import ApiServer

    prefix = f"optrading-test:api:{time.time_ns()}:"
    settings = mock_settings(tmp_path, REDIS_URL=REDIS_URL)
    server = ApiServer(settings, port=0, cache_prefix=prefix).start()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert server.app.state.cache.backend == "redis"
        for _ in range(3):
            urllib.request.urlopen(server.url + "/api/v1/overview", timeout=10).read()
        urllib.request.urlopen(server.url + "/api/v1/participants?days=3", timeout=10).read()
        keys = sorted(key.decode() for key in client.scan_iter(prefix + "*"))
        assert keys == [prefix + "overview:/api/v1/overview?", prefix + "participants:/api/v1/participants?days=3"]
        assert 0 < client.pttl(prefix + "overview:/api/v1/overview?") <= 30_000
        assert 30_000 < client.pttl(prefix + "participants:/api/v1/participants?days=3") <= 300_000
        assert json.loads(client.get(prefix + "overview:/api/v1/overview?"))["source"] == "mock"
        metrics = urllib.request.urlopen(server.url + "/metrics", timeout=10).read().decode()
        assert 'op_api_cache_requests_total{kind="overview",result="miss"} 1.0' in metrics
        assert 'op_api_cache_requests_total{kind="overview",result="hit"} 2.0' in metrics
    finally:
        server.stop()
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()
