"""The engine with a scripted UI and a string console: transcripts, action calls, bad input, sequences, the wizard."""

import io

import pytest

from menus import ROOT
from op_trading.config.envfile import read_env
from op_trading.context import Interrupted
from op_trading.outcome import ExitCode, Status, failed, ok
from op_trading.ui import engine as engine_module
from op_trading.ui.engine import Engine
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console
from op_trading.ui.render import outcome as render_outcome


class Recorder:
    """Stands in for the action table: records calls, returns what the test chose."""

    def __init__(self, results=None):
        self.calls = []
        self.results = results or {}

    def resolve(self, action_id):
        if action_id == "config.edit":
            from op_trading.config.edit import edit_fields
            return edit_fields

        def action(ctx, **params):
            self.calls.append((action_id, params, ctx.mode))
            return self.results.get(action_id, ok(f"{action_id} done"))
        return action


@pytest.fixture
def recorder(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(engine_module, "resolve", rec.resolve)
    return rec


def scripted(answers, mode=None):
    out = io.StringIO()
    ui = ScriptedUI(make_console(file=out, width=120), answers)
    return Engine(ROOT, ui, mode), out


def test_main_menu_to_setup_and_back_out(recorder):
    engine, out = scripted(["1", "1", "0", "0"])
    assert engine.browse() == ExitCode.OK
    text = out.getvalue()
    assert "Main menu" in text and "Setup (First Time)" in text and "0. Exit" in text and "0. Back" in text
    assert recorder.calls == [("system.requirements", {}, "setup")]
    assert "system.requirements done" in text


def test_header_shows_mode_source_token_and_storage(recorder):
    engine, out = scripted(["3", "0", "0"])
    engine.browse()
    text = out.getvalue()
    assert "mode: production" in text and "data: live" in text and "token: missing" in text
    assert "storage: embedded, csv" in text


@pytest.mark.parametrize("bad,expected", [
    ("abc", "'abc' is not a menu number"),
    ("99", "99 is not on this menu"),
    ("", "Nothing entered"),
    ("7" * 5000, "(5000 characters)"),
    ("\x1b[A", "control characters"),
    ("٣", "is not a menu number"),  # a non-ASCII digit that int() would accept
    ("-1", "is not a menu number"),
    ("1.0", "is not a menu number"),
])
def test_bad_input_gets_one_line_and_the_same_menu(recorder, bad, expected):
    engine, out = scripted([bad, "0"])
    assert engine.browse() == ExitCode.OK
    text = out.getvalue()
    assert expected in text and "type a number from 0 to 3 and press Enter" in text
    assert text.count("1. Setup (First Time)") == 2
    assert recorder.calls == []


def test_end_of_input_is_an_interruption_not_a_traceback(recorder):
    engine, _ = scripted(["2"])
    with pytest.raises(Interrupted):
        engine.browse()


def test_unavailable_item_shows_reason_and_does_not_run(recorder):
    engine, out = scripted(["3", "3", "0", "0"])
    engine.browse()
    text = out.getvalue()
    assert "Enter valid access token manually  (needs KITE_API_KEY" in text
    assert "is not available: needs KITE_API_KEY" in text
    assert recorder.calls == []


def test_mode_menu_opens_directly_and_back_goes_to_main(recorder):
    engine, out = scripted(["0", "0"])
    engine.browse("development")
    text = out.getvalue()
    assert text.index("Test mode selection") < text.index("Main menu")


def test_sequence_runs_steps_in_order_and_summarises(recorder):
    recorder.results["system.prerequisites"] = failed("pip is broken")
    engine, out = scripted([], mode="setup")
    result = engine.run_path("development.all")
    assert [call[0] for call in recorder.calls] == ["system.requirements", "system.prerequisites",
                                                    "system.structure", "system.debug_tools",
                                                    "sandbox.mock_environment"]
    assert result.status is Status.FAILED and "Check prerequisites" in result.message
    assert "Complete development environment setup" in out.getvalue()


def test_sequence_with_stop_on_failure_skips_the_rest(recorder):
    recorder.results["system.requirements"] = failed("too old")
    engine, out = scripted([], mode="production")
    result = engine.run_path("production.all")
    assert [call[0] for call in recorder.calls] == ["system.requirements"]
    assert result.status is Status.FAILED
    assert out.getvalue().count("not run: an earlier step failed") >= 3


def test_exceptions_in_actions_become_one_failed_line(monkeypatch):
    def boom(ctx, **params):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine_module, "resolve", lambda action_id: boom)
    engine, out = scripted([])
    result = engine.run_path("setup.requirements")
    assert result.status is Status.FAILED and result.message == "RuntimeError: disk on fire"
    assert "Traceback" not in out.getvalue()


def test_configure_walks_fields_writes_env_and_masks_secrets(project_home, recorder):
    secret = "averysecretvalue1234"
    engine, out = scripted(["kiteapikey1", secret])
    for path in ("setup.wizard.kite.api_key", "setup.wizard.kite.api_secret"):
        result = engine.run_path(path)
        assert result.status is Status.OK
        render_outcome(engine.ui.console, result)
    env = read_env(project_home / ".env")
    assert env["KITE_API_KEY"] == "kiteapikey1" and env["KITE_API_SECRET"] == secret
    assert secret not in out.getvalue() and "****1234" in out.getvalue()


def test_configure_interval_with_retries_and_enter_keeps(project_home, recorder):
    answers = ["", "", "", "often", "4", "45", "", "", "", ""]
    engine, out = scripted(answers)
    result = engine.run_path("setup.wizard.data_source")
    text = out.getvalue()
    assert "expected a whole number, got 'often'" in text and "must be at least 5" in text
    assert result.status is Status.OK
    env = read_env(project_home / ".env")
    assert env["COLLECTION_INTERVAL_SECONDS"] == "45"
    assert env["DATA_SOURCE_MODE"] == ""  # kept: a mode default is not frozen into .env


def test_interrupting_a_walk_writes_nothing(project_home, recorder):
    engine, _ = scripted(["", ""])  # input ends in the middle of the category
    with pytest.raises(Interrupted):
        engine.run_path("setup.wizard.data_source")
    assert not (project_home / ".env").exists()
