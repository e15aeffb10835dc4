"""Service parts without servers: error classification and registry, metrics names, install files per platform,
install/uninstall/status with a recording command runner, the heartbeat."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ElementTree
from datetime import datetime

import pytest

from op_trading.market.calendar import IST
from op_trading.runtime.errors import CLASSES, SUGGESTIONS, ErrorRegistry, classify


def kite_error(name: str, code: int | None = None):
    import kiteconnect.exceptions as kex

    error = getattr(kex, name)("message", code=code) if code else getattr(kex, name)("message")
    return error


@pytest.mark.parametrize("make, expected", [
    (lambda: kite_error("TokenException", 403), "authentication"),
    (lambda: kite_error("NetworkException", 429), "rate_limit"),
    (lambda: kite_error("NetworkException", 503), "network"),
    (lambda: kite_error("DataException", 502), "data"),
    (lambda: kite_error("InputException", 400), "configuration"),
    (lambda: __import__("requests").ConnectionError("refused"), "network"),
    (lambda: __import__("redis").ConnectionError("down"), "storage"),
    (lambda: OSError(28, "No space left on device", "/data/x"), "storage"),
    (lambda: ValueError("bad number"), "data"),
    (lambda: RuntimeError("bug"), "internal"),
])
def test_errors_are_classified_by_type(make, expected):
    assert classify(make()) == expected


def test_registry_is_bounded_newest_first_and_counts_by_class():
    registry = ErrorRegistry(lambda: datetime(2026, 11, 25, 10, 0, tzinfo=IST), kept=3)
    seen = []
    registry._on_record = seen.append
    for number in range(5):
        registry.record(ValueError(f"bad {number}"), where="cycle")
    registry.record("Kite rejected the token", kind="authentication")
    items = registry.recent()
    assert len(items) == 3 and items[0].kind == "authentication" and items[1].message == "cycle: ValueError: bad 4"
    assert registry.counts() == {**{kind: 0 for kind in CLASSES}, "data": 5, "authentication": 1}
    assert all(SUGGESTIONS[item.kind] == item.suggestion for item in items) and len(seen) == 6
    with pytest.raises(ValueError):
        registry.record("x", kind="nonsense")


def test_metrics_export_the_declared_names_with_labels():
    from op_trading.runtime.metrics import SERVICE_METRICS, service_metrics

    metrics = service_metrics()
    metrics.inc("op_errors_total", **{"class": "network"})
    metrics.inc("op_thread_restarts_total", component="collection")
    text = metrics.render()
    for name, kind, _, labels in SERVICE_METRICS:
        assert f"# TYPE {name} {kind}" in text or f"# TYPE {name.removesuffix('_total')} counter" in text
    assert 'op_errors_total{class="network"} 1.0' in text
    assert 'op_thread_restarts_total{component="collection"} 1.0' in text
    assert metrics.value("op_errors_total", **{"class": "network"}) == 1


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_service_files_per_platform(platform, tmp_path):
    from op_trading.runtime.install import service_file

    definition = service_file(platform, home=tmp_path / "project", user_home=tmp_path / "user")
    assert str(tmp_path / "project") in definition.text
    if definition.platform == "linux":
        assert definition.path == tmp_path / "user/.config/systemd/user/op-trading.service"
        assert "Restart=on-failure" in definition.text and "service run" in definition.text
        assert "WantedBy=default.target" in definition.text
    elif definition.platform == "macos":
        plist = plistlib.loads(definition.text.encode())
        assert plist["ProgramArguments"][-2:] == ["service", "run"] and plist["RunAtLoad"] is True
        assert plist["KeepAlive"] == {"SuccessfulExit": False}
    else:
        root = ElementTree.fromstring(definition.text.split("?>", 1)[1])
        ns = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"
        assert root.find(f"{ns}Settings/{ns}RestartOnFailure/{ns}Count").text == "999"
        assert "service" in root.find(f"{ns}Actions/{ns}Exec/{ns}Arguments").text
        assert definition.start[0][:2] == ("schtasks", "/Create")


def test_install_shows_the_file_asks_then_writes_and_starts(tmp_path, project_home):
    from op_trading.config.settings import load_settings
    from op_trading.runtime.install import install, service_file, status, uninstall, write_heartbeat

    definition = service_file("linux", home=tmp_path, user_home=tmp_path / "user")
    commands, shown = [], []

    def runner(command):
        commands.append(command)
        return (0, "") if "is-active" not in command else (3, "inactive")

    declined = install(definition, lambda prompt: False, shown.append, runner)
    assert "declined" in declined.message and not definition.path.exists() and shown and not commands
    done = install(definition, lambda prompt: True, shown.append, runner)
    assert done.ok and definition.path.read_text() == definition.text
    assert commands == [list(step) for step in definition.start]
    settings = load_settings("production")
    before = status(settings, definition, runner)
    assert "installed, not running" in before.message
    from op_trading.outcome import Check, Status

    write_heartbeat(settings, "collecting", "failing",  # a service process in this very process
                    [Check("Collection", Status.FAILED, "STALE: last good cycle 900 s ago")])
    after = status(settings, definition, runner)
    assert "installed, running" in after.message and after.status is Status.FAILED
    assert any(check.detail.startswith("STALE") for check in after.checks)
    assert any("collecting" in check.detail for check in after.checks)
    removed = uninstall(definition, runner)
    assert removed.ok and not definition.path.exists()
    assert commands[-2:] == [list(step) for step in definition.stop]
    missing = install(definition, lambda prompt: True, shown.append, lambda command: (127, "systemctl missing"))
    assert missing.status.value == "warn" and definition.path.exists()  # file written; the command is for the user
