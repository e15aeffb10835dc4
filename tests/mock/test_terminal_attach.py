"""Live terminal views attach to a running service through its API: no second collector, so no "Address already in
use" for the metrics port the service holds; labels say which PCR is which."""

from __future__ import annotations

import io

import pytest

from op_trading.context import RunContext
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console
from tests.fixtures_api import start_service
from tests.support import free_port


class OneFrameUI(ScriptedUI):
    """Shows one frame of a live view, then behaves as if the user pressed Ctrl-C."""

    def live(self, frame, refresh_seconds, stop=None):
        self.frames = [frame()]
        return True


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    running = start_service(tmp_path_factory.mktemp("attach"), cycles=2, METRICS_PORT=str(free_port()))
    yield running
    running.stop()


@pytest.mark.parametrize("view, title", [("overview", "Index overview"), ("positions", "Largest OI changes"),
                                         ("alerts", "Recent alerts")])
def test_live_view_reads_the_running_service(running, view, title):
    from op_trading.runtime.analytics_views import live_view

    settings = running.settings.with_overrides({"API_PORT": str(running.face.server.port)})
    ui = OneFrameUI(make_console(file=io.StringIO(), width=80), [])
    result = live_view(RunContext("development", settings, ui), view)
    assert result.ok and "attached to the service at" in result.message, result.message
    assert "Address already in use" not in result.message
    table = next(table for table in result.tables if table.title.startswith(title))
    lines = rendered(result)
    print("\n".join(lines))
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for shown in result.tables:  # one line per row: no number folded onto a second line
        assert sum(line.startswith(str(row[0])[:8]) for row in shown.rows for line in lines) >= len(shown.rows)
    if view == "overview":
        assert len(lines) <= 24, "\n".join(lines)  # an 80x24 terminal shows the whole view
        body = [line for line in lines if "│" in line]
        assert len(body) == len(table.rows), "\n".join(lines)
        assert len(table.rows) == 5 and "PCR OI over the whole chain" in table.caption
        assert "chain snapshot" in table.caption and "nearest expiry" in table.caption
        assert "the 5 option indices: " in table.caption and " up, " in table.caption  # named for what it is


def rendered(result) -> list[str]:
    from op_trading.ui.render import outcome

    out = io.StringIO()
    outcome(make_console(file=out, width=80), result)
    return out.getvalue().splitlines()


def test_flows_view_asks_the_timeframe_then_attaches(running):
    from op_trading.runtime.analytics_views import live_view

    settings = running.settings.with_overrides({"API_PORT": str(running.face.server.port)})
    ui = OneFrameUI(make_console(file=io.StringIO(), width=80), ["1m"])
    result = live_view(RunContext("development", settings, ui), "flows")
    assert result.ok and result.tables[0].title == "Estimated cash flow, 1m buckets"
