"""A service collecting from the simulator with the API as its face, for the API, dashboard and browser tests.

The service runs a few cycles (chain snapshots included) into a private embedded store, then stops collecting; its
API keeps serving what was stored until the fixture ends. Paths are absolute, so nothing depends on the working
folder of the test that uses it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Running:
    settings: Any
    service: Any
    face: Any

    @property
    def url(self) -> str:
        return self.face.url

    def stop(self) -> None:
        self.service.stop()


def mock_settings(home: Path, **extra: str):
    from op_trading.config.settings import load_settings

    values = {"SIMULATOR_SPEED": "60", "CHAIN_SNAPSHOT_SECONDS": "30", "CHAIN_STRIKE_WINDOW": "8",
              "STORAGE_SINKS": "embedded", "DATA_DIR": str(home / "data"), "API_PORT": "0",
              "HEALTH_CHECK_INTERVAL_SECONDS": "5", "METRICS_PORT": "0", **extra}
    return load_settings("development", values)


def start_service(home: Path, cycles: int = 3, poll_seconds: float = 0.2, **extra: str) -> Running:
    from op_trading.api.server import ApiFace
    from op_trading.runtime.service import Service

    home.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        from wizards.environment import FIELDS

        patch.setenv("OP_TRADING_HOME", str(home))
        for name in FIELDS:
            patch.delenv(name, raising=False)
        settings = mock_settings(home, **extra)
        face = ApiFace(settings, port=0, poll_seconds=poll_seconds, cache_prefix=f"optrading-test:{time.time_ns()}:")
        service = Service(settings, cycles=cycles, faces=[face]).start()
        deadline = time.monotonic() + 90
        while not service.finished() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert service.finished(), "the service did not finish its cycles"
    assert service.outcome.ok, service.outcome.message
    return Running(settings, service, face)


def import_mock_participants(settings, sessions: int = 6) -> None:
    """Simulated NSE participant files (labelled mock) imported into the service's store, as the menu item does."""
    from op_trading.analytics.participant_import import ParticipantImporter
    from op_trading.market.calendar import latest_session_day, now_ist
    from op_trading.sandbox.participants import write_history
    from op_trading.storage import open_store

    write_history(settings.path("PARTICIPANT_DATA_DIR"), latest_session_day(now_ist()), sessions,
                  settings["SIMULATOR_SEED"])
    store = open_store(settings)
    try:
        result = ParticipantImporter.from_settings(settings, store).run()
    finally:
        store.close()
    assert result.ok, result.message


def raise_alert(settings, message: str) -> None:
    """An alert raised through the product's alert engine into the store (what the service does on a threshold)."""
    from op_trading.analytics.alerts import Alert, AlertEngine, Severity
    from op_trading.market.calendar import now_ist
    from op_trading.storage import open_store

    store = open_store(settings)
    try:
        engine = AlertEngine.from_settings(settings, store)
        raised = engine.submit([Alert("iv_spike", f"TEST {message}", Severity.WARNING, message, now_ist(), "mock")])
    finally:
        store.close()
    assert raised, "the alert engine did not raise the alert"
