"""Fixtures for every test: an isolated project home, and category markers taken from the folder a test lives in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CATEGORY_FOLDERS = ("unit", "integration", "performance", "chaos", "property", "live", "mock", "participant", "e2e")


@pytest.fixture(autouse=True)
def project_home(tmp_path, monkeypatch):
    """Each test gets an empty project home, so nothing reads or writes the checkout's .env, data or logs."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("OP_TRADING_HOME", str(home))
    from wizards.environment import FIELDS

    for name in FIELDS:  # a developer's own KITE_*/INFLUXDB_* variables must not leak into tests
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)
    return home


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in CATEGORY_FOLDERS and parts[0] != "e2e":
            item.add_marker(getattr(pytest.mark, parts[0]))
