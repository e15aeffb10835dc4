"""The test launcher runs real pytest processes, reports progress and counts, and honours pytest's exit status."""

import io

import pytest

from op_trading.config.settings import load_settings
from op_trading.context import RunContext
from op_trading.outcome import Status
from op_trading.testing import runner
from op_trading.ui.io import ConsoleUI
from op_trading.ui.render import make_console

PASSING = "def test_one():\n    assert 1 + 1 == 2\n\ndef test_two():\n    assert 'a' in 'abc'\n"
FAILING = "def test_bad():\n    assert 2 + 2 == 5\n"


@pytest.fixture
def fake_tests(tmp_path, monkeypatch):
    root = tmp_path / "project" / "tests"
    for category in runner.CATEGORIES:
        (root / category).mkdir(parents=True)
    monkeypatch.setattr(runner, "tests_root", lambda: root)
    return root


def context():
    out = io.StringIO()
    return RunContext(None, load_settings(), ConsoleUI(make_console(file=out, width=120))), out


def test_passing_category_reports_counts(fake_tests):
    (fake_tests / "unit" / "test_a.py").write_text(PASSING)
    ctx, out = context()
    result = runner.run_category(ctx, "unit")
    assert result.status is Status.OK and result.data["exit_code"] == 0
    assert result.data["counts"] == {"passed": 2}
    assert "Running unit tests" in out.getvalue()


def test_failing_category_fails_with_the_failed_test_named(fake_tests):
    (fake_tests / "chaos" / "test_b.py").write_text(PASSING + FAILING)
    ctx, _ = context()
    result = runner.run_category(ctx, "chaos")
    assert result.status is Status.FAILED and result.data["exit_code"] == 1
    assert result.data["counts"] == {"passed": 2, "failed": 1}
    assert any("test_bad" in row[0] for table in result.tables for row in table.rows)


def test_empty_category_says_so(fake_tests):
    ctx, _ = context()
    result = runner.run_category(ctx, "live")
    assert result.status is Status.SKIPPED and "no tests" in result.message


def test_all_runs_every_category_and_the_command_is_an_argument_list(fake_tests):
    (fake_tests / "unit" / "test_a.py").write_text(PASSING)
    (fake_tests / "mock" / "test_c.py").write_text(PASSING)
    ctx, _ = context()
    result = runner.run_category(ctx, "all")
    assert result.data["counts"] == {"passed": 4}
    command = result.data["command"]
    assert isinstance(command, list) and command[1:3] == ["-m", "pytest"]


def test_unknown_category_is_refused(fake_tests):
    ctx, _ = context()
    assert runner.run_category(ctx, "everything").status is Status.FAILED


SKIPPING = ("import pytest\n\ndef test_runs():\n    pass\n\n"
            "@pytest.mark.skip(reason='needs a real Kite session (KITE_API_KEY and a token)')\n"
            "def test_live():\n    pass\n")
BENCHMARK = "def test_bench():\n    print('case    median s')\n    print('fast    0.123')\n"


def test_skipped_tests_are_listed_with_their_reason(fake_tests):
    (fake_tests / "live" / "test_live.py").write_text(SKIPPING)
    ctx, _ = context()
    result = runner.run_category(ctx, "live")
    assert result.status is Status.OK and "skip reasons below" in result.message
    skipped = [table for table in result.tables if table.title == "Skipped tests"]
    assert skipped and skipped[0].rows[0][1:] == (1, "needs a real Kite session (KITE_API_KEY and a token)")
    assert skipped[0].rows[0][0].startswith("tests/live/test_live.py") or "test_live.py" in skipped[0].rows[0][0]


def test_what_benchmarks_print_is_shown(fake_tests):
    (fake_tests / "performance" / "test_bench.py").write_text(BENCHMARK + PASSING)
    ctx, out = context()
    result = runner.run_category(ctx, "performance")
    from op_trading.ui.render import outcome

    outcome(ctx.ui.console, result, "Performance")
    printed = [table for table in result.tables if table.title == "Printed by test_bench"]
    assert printed and printed[0].rows == (("case    median s",), ("fast    0.123",))
    assert "fast    0.123" in out.getvalue()
    assert not [table for table in result.tables if table.title == "Printed by test_one"]  # printed nothing
