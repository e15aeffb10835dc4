"""The service's registries reach the API it serves: /api/v1/errors lists the errors registry (class, message, what
to do), /metrics is the service's own prometheus_client registry (errors by class next to the API's counters), and
/health carries the service's per-component checks."""

from __future__ import annotations

import json
import urllib.request

from op_trading.runtime.health import health_report
from tests.fixtures_api import start_service


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=15) as response:
        return response.read().decode("utf-8")


def test_errors_metrics_and_health_come_from_the_service(tmp_path):
    running = start_service(tmp_path / "home", cycles=1)
    try:
        service = running.service
        service.errors.record(ConnectionResetError("peer reset"), where="collection")
        service.errors.record("Kite rejected the access token", kind="authentication")
        service.health = health_report(service, servers=False)
        errors = json.loads(fetch(f"{running.url}/api/v1/errors"))
        assert [item["kind"] for item in errors["items"][:2]] == ["authentication", "network"]
        assert "log in" in errors["items"][0]["suggestion"].lower()
        assert errors["items"][1]["message"].startswith("collection: ConnectionResetError")
        metrics = fetch(f"{running.url}/metrics")
        assert 'op_errors_total{class="network"} 1.0' in metrics
        assert "op_cycles_total 1.0" in metrics and "op_api_cache_requests" in metrics
        health = json.loads(fetch(f"{running.url}/health"))
        names = {check["name"] for check in health["checks"]}
        assert {"Collection", "Market", "Disk space", "Threads", "Sink backlog"} <= names
    finally:
        running.stop()
