"""Fixtures for every test: an isolated project home, and category markers taken from the folder a test lives in."""

from __future__ import annotations

import logging
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


@pytest.fixture(autouse=True)
def product_logger_restored():
    """Whatever a test's setup_logging() did to the `op_trading` logger (its file handler, level, propagate=False)
    is undone afterwards: tests share a worker process, and in another order (pytest-xdist) the next test's log
    capture would otherwise see nothing."""
    logger = logging.getLogger("op_trading")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    for handler in [h for h in logger.handlers if h not in handlers]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)
    logger.propagate = propagate


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in CATEGORY_FOLDERS and parts[0] != "e2e":
            item.add_marker(getattr(pytest.mark, parts[0]))
