"""The terminal option chain: chosen by number, from the running service's API when one runs (no second collector),
else a snapshot from the simulator; each section fits 80 columns without breaking a number."""

from __future__ import annotations

import io
import re

import pytest

from op_trading.context import RunContext
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console, outcome
from tests.fixtures_api import mock_settings, start_service


def run_view(settings, answers, **params):
    from op_trading.runtime.chain_view import option_chain

    ui = ScriptedUI(make_console(file=io.StringIO(), width=80), list(answers))
    return option_chain(RunContext("development", settings, ui), **params), ui


def rendered(result) -> list[str]:
    out = io.StringIO()
    outcome(make_console(file=out, width=80), result)
    return out.getvalue().splitlines()


def check_fits(lines: list[str], table_rows: int) -> None:
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    body = [line for line in lines if "│" in line]
    assert len(body) == table_rows, "\n".join(lines)  # one line per row: no cell folded onto a second line
    header = next(line for line in lines if "┃" in line)
    assert sum("┃" in line for line in lines) == 1, header  # column titles on one line too


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    running = start_service(tmp_path_factory.mktemp("chainview"), cycles=2)
    yield running
    running.stop()


@pytest.mark.parametrize("section", ["1", "2", "3"])
def test_view_attaches_to_the_running_service(running, section):
    settings = running.settings.with_overrides({"API_PORT": str(running.face.server.port)})
    result, ui = run_view(settings, ["1", "2", section])
    assert result.ok, result.message
    assert "from the running service" in result.message and "source mock" in result.message
    assert any("Expiry (1 " in prompt for prompt in ui.prompts)
    table = result.tables[0]
    assert sum(1 for row in table.rows if str(row[table.columns.index("Strike")]).startswith("spot ")) == 1
    assert sum("ATM" in str(row[table.columns.index("Strike")]) for row in table.rows) == 1
    check_fits(rendered(result), len(table.rows))


def test_bad_choices_get_a_second_chance(running):
    settings = running.settings.with_overrides({"API_PORT": str(running.face.server.port)})
    result, ui = run_view(settings, ["9", "x", "2", "1", "1"])
    assert result.ok and result.data["chain"]["index"] == "SENSEX"


def test_without_a_service_it_takes_one_snapshot(tmp_path):
    settings = mock_settings(tmp_path, API_PORT="0", SIMULATOR_SPEED="60")
    result, _ = run_view(settings, ["1", "1", "1"])
    assert result.ok, result.message
    assert "one snapshot taken now" in result.message and "[MOCK DATA]" in result.tables[0].caption
    assert any(str(cell).endswith("*") for row in result.tables[0].rows for cell in row)  # ITM marked
