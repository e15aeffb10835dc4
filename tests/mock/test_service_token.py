"""Token rollover inside one session: Kite rejects the token mid-session, the service pauses with ONE alert, never
sends the rejected token again, reports a stale cycle as FAILED, keeps its other parts up, and resumes by itself when
a new token is stored (as a login in another terminal would)."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from op_trading.market.calendar import IST
from op_trading.outcome import Status
from op_trading.runtime.health import health_report
from op_trading.runtime.service import Service
from tests.fixtures_notify import http_receiver, smtp_receiver, wait_until  # noqa: F401 (fixtures)
from tests.mock.test_service_week import week_settings
from tests.mock.week_driver import SimClockView, follow_simulated_time, login


@pytest.fixture
def session_sandbox():
    from op_trading.sandbox.server import Sandbox

    with Sandbox(port=0, seed=42, speed=600, start_at=datetime(2026, 11, 25, 10, 0, tzinfo=IST)) as box:
        follow_simulated_time(box)
        yield box


def test_rejected_token_pauses_alerts_once_and_resumes_on_a_new_login(session_sandbox, http_receiver,
                                                                       smtp_receiver, project_home):
    box = session_sandbox
    settings = week_settings(box, http_receiver, smtp_receiver, HEALTH_CHECK_INTERVAL_SECONDS="5")
    login(box, settings)
    states = []
    service = Service(settings, analyzers=[], clock=SimClockView(box.clock), on_state=states.append).start()
    try:
        assert wait_until(lambda: len(service.cycle_times) >= 2, 60)
        assert service.state == "collecting"
        assert wait_until(lambda: service.health, 10)
        first = {check.name: check for check in service.health}  # the health thread's first report, at start
        assert first["Threads"].status is Status.OK, first["Threads"].detail
        box.expire_tokens()  # Kite invalidates the session (e.g. a login elsewhere)
        assert wait_until(lambda: service.state == "waiting for Kite login", 60)
        rejected = box.count("GET /quote", 403)
        cycles = len(service.cycle_times)
        time.sleep(3)  # 30 simulated minutes: six slots in which the old token must not be tried
        assert box.count("GET /quote", 403) == rejected == 1
        assert len(service.cycle_times) == cycles
        report = {check.name: check for check in health_report(service, servers=False)}
        assert report["Collection"].status is Status.FAILED and "STALE" in report["Collection"].detail
        assert report["Kite token"].status is Status.FAILED
        assert service.components_alive()["schedule"] and service.components_alive()["health"]
        login(box, settings)  # the trader logs in from another terminal
        assert wait_until(lambda: len(service.cycle_times) > cycles, 60)
        assert service.state == "collecting"
        assert wait_until(lambda: service.notifier.pending() == 0, 20)
    finally:
        service.stop()
    logins = [m for m in http_receiver.messages("/hook") if "Kite login needed" in m["message"]]
    assert len(logins) == 1 and "production.login" in logins[0]["message"]
    assert states[:3] == ["collecting", "waiting for Kite login", "collecting"]
    errors = service.errors.recent()
    assert any(item.kind == "authentication" and "log in" in item.suggestion.lower() for item in errors)
    assert service.metrics.value("op_errors_total", **{"class": "authentication"}) >= 1
    assert box.count("GET /quote", 403) == 1
