"""Self-recovery: a crashing component is restarted with backoff and counted; after SERVICE_MAX_RESTARTS crashes the
service stops with exit 1 and exactly one alert, delivered to a local webhook stand-in."""

from __future__ import annotations

from datetime import datetime

from op_trading.collectors.loop import LoopClock
from op_trading.config.settings import load_settings
from op_trading.market.calendar import IST
from op_trading.outcome import ExitCode
from op_trading.runtime.service import Service
from op_trading.sandbox.clock import SimClock
from tests.fixtures_notify import http_receiver, wait_until  # noqa: F401 (fixture)


def test_repeated_crashes_stop_the_service_with_one_alert(http_receiver, project_home):
    settings = load_settings("production", {
        "DATA_SOURCE_MODE": "live", "KITE_API_KEY": "a1b2c3d4e5f6a7b8", "STORAGE_SINKS": "embedded",
        "API_PORT": "0", "METRICS_PORT": "0", "SERVICE_MAX_RESTARTS": "2", "NOTIFY_WEBHOOK_MIN_SEVERITY": "info",
        "NOTIFY_WEBHOOK_URL": f"json://127.0.0.1:{http_receiver.port}/hook", "PREMARKET_CAPTURE_ENABLED": "false",
        "ENABLE_PARTICIPANT_ANALYSIS": "false"})
    saturday = SimClock(datetime(2026, 11, 21, 12, 0, tzinfo=IST), speed=1)  # market closed: collection sleeps
    crashes = []

    def flaky(stop):
        crashes.append(saturday.now())
        raise RuntimeError(f"crash {len(crashes)}")

    states = []
    service = Service(settings, analyzers=[], clock=LoopClock(saturday.now, 1), on_state=states.append,
                      restart_backoff=0.05)
    service.add_component("flaky", flaky)
    service.start()
    try:
        assert wait_until(service.finished, 30)
        assert wait_until(lambda: service.notifier.pending() == 0, 10)
    finally:
        service.stop()
    assert len(crashes) == 3  # the first run and two restarts, then the service gives up
    assert service.outcome.exit_code == ExitCode.FAILED and "flaky thread crashed 3 times" in service.outcome.message
    assert service.restart_counts()["flaky"] == 3 and service.restart_counts()["collection"] == 0
    assert service.metrics.value("op_thread_restarts_total", component="flaky") == 3
    assert service.errors.counts()["internal"] == 3
    stopped = [m for m in http_receiver.messages("/hook") if "service stopped" in m["message"]]
    assert len(stopped) == 1 and stopped[0]["type"] == "failure"
    assert states[0].startswith("market closed, next session Mon 23 Nov 09:15") and states[-1] == "stopped"
