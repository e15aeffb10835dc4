"""The long-running service over the simulator: cycles, analytics panels, metrics endpoint, health, scheduler."""

import threading
import time
import urllib.request
from datetime import datetime

from op_trading.config.settings import load_settings
from op_trading.market.calendar import IST
from op_trading.outcome import Status
from op_trading.runtime.service import Service
from tests.support import free_port


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_service_collects_analyses_and_serves_metrics(project_home):
    port = free_port()
    settings = load_settings("development", {"SIMULATOR_SPEED": "60", "METRICS_PORT": str(port),
                                             "HEALTH_CHECK_INTERVAL_SECONDS": "5", "CHAIN_SNAPSHOT_SECONDS": "0"})
    service = Service(settings, cycles=2).start()
    try:
        assert wait_for(lambda: service.metrics.value("op_cycles_total") >= 2)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "op_cycles_total 2" in body and "# TYPE op_cycles_total counter" in body
        assert "op_quote_calls_total" in body
        assert wait_for(service.finished)
    finally:
        service.stop()
    snapshot = service.snapshot()
    assert snapshot.status is not Status.FAILED, snapshot.message
    titles = [table.title for table in snapshot.tables]
    assert "Index overview" in titles and "Option chain metrics" in titles and "Recent alerts" in titles
    overview = next(table for table in snapshot.tables if table.title == "Index overview")
    assert "[MOCK DATA]" in overview.caption and len(overview.rows) == 6
    assert "2 cycle(s) collected" in snapshot.message
