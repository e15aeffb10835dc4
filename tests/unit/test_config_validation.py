"""One validator per field: the wizard, `--set`, `.env` loading and the runtime accept and refuse the same values."""

import io
import os

import pytest

from op_trading.config.envfile import duplicate_keys, read_env, render_updates
from op_trading.config.fields import FieldError, parse_value
from op_trading.config.settings import fields, load_settings
from op_trading.context import Interrupted
from op_trading.outcome import Status
from op_trading.config.edit import edit_fields
from op_trading.context import RunContext
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console


def _field(name):
    return fields()[name]


def _context(answers, out=None):
    ui = ScriptedUI(make_console(file=out or io.StringIO(), width=200), answers)
    return RunContext(None, load_settings(), ui)


@pytest.mark.parametrize("text", ["nonsense=1", "error_rate=2", "429_burst=-1", "error_rate=0.1,bogus=3"])
def test_simulator_faults_the_simulator_refuses_are_refused_by_the_field(text):
    from op_trading.sandbox.faults import parse_faults

    with pytest.raises(ValueError):
        parse_faults(text)  # the runtime's rule...
    with pytest.raises(FieldError) as error:
        parse_value(_field("SIMULATOR_FAULTS"), text)  # ...is the field's rule
    assert str(error.value).startswith("SIMULATOR_FAULTS:") and "\n" not in str(error.value)


def test_simulator_faults_the_simulator_takes_are_taken():
    assert parse_value(_field("SIMULATOR_FAULTS"), "429_burst=3,error_rate=0.1") == "429_burst=3,error_rate=0.1"


@pytest.mark.parametrize("name,text", [
    ("COLLECTION_INTERVAL_SECONDS", "१०"), ("COLLECTION_INTERVAL_SECONDS", "３０"),
    ("COLLECTION_INTERVAL_SECONDS", "1_0"),
    ("COLLECTION_INTERVAL_SECONDS", "30.0"), ("COLLECTION_INTERVAL_SECONDS", "1e2"),
    ("IV_RISK_FREE_RATE", "०.०६"), ("IV_RISK_FREE_RATE", "0_1"), ("IV_RISK_FREE_RATE", "inf"),
    ("IV_RISK_FREE_RATE", "nan"), ("STRIKE_OFFSETS", "-2,१,0"), ("PREMARKET_CAPTURE_TIME", "０8:00"),
    ("PREMARKET_CAPTURE_TIME", "0८:00"), ("INFLUXDB_URL", "http://host:８０８６"), ("INFLUXDB_URL", "http://h:99999"),
])
def test_numbers_are_ascii_digits_only(name, text):
    with pytest.raises(FieldError) as error:
        parse_value(_field(name), text)
    assert "\n" not in str(error.value)


def test_non_ascii_digits_get_a_hint():
    with pytest.raises(FieldError) as error:
        parse_value(_field("COLLECTION_INTERVAL_SECONDS"), "३०")
    assert "digits 0-9 only" in str(error.value)


@pytest.mark.parametrize("name", ["DATA_DIR", "INFLUXDB_ORG", "KITE_API_SECRET", "INFLUXDB_TOKEN", "SIMULATOR_FAULTS"])
def test_five_thousand_characters_are_refused(name):
    with pytest.raises(FieldError) as error:
        parse_value(_field(name), "a" * 5000)
    assert "too long" in str(error.value) and "aaaa" not in str(error.value)


def test_unusable_data_dir_is_one_line(project_home):
    (project_home / "afile").write_text("x", encoding="utf-8")
    for text in ("afile", "afile/sub", "/proc/op-trading-nope"):
        with pytest.raises(FieldError) as error:
            parse_value(_field("DATA_DIR"), text)
        assert str(error.value).startswith("DATA_DIR:") and "\n" not in str(error.value)
    assert parse_value(_field("DATA_DIR"), "new/deeper/data") == "new/deeper/data"
    assert not (project_home / "new").exists()  # checked, not created
    assert [p.name for p in project_home.iterdir()] == ["afile"]  # no probe left behind


def test_token_file_must_not_be_a_folder(project_home):
    (project_home / "folder").mkdir()
    with pytest.raises(FieldError):
        parse_value(_field("TOKEN_FILE"), "folder")


def test_errors_say_where_the_value_came_from(project_home, monkeypatch):
    (project_home / ".env").write_text("SIMULATOR_FAULTS=nonsense=1\n", encoding="utf-8")
    monkeypatch.setenv("SIMULATOR_SEED", "x")
    settings = load_settings(None, {"COLLECTION_INTERVAL_SECONDS": "1_0"})
    assert settings.errors["COLLECTION_INTERVAL_SECONDS"].endswith("(from --set)")
    assert settings.errors["SIMULATOR_FAULTS"].endswith("(from .env)")
    assert settings.errors["SIMULATOR_SEED"].endswith("(from the environment)")
    assert settings["SIMULATOR_FAULTS"] is None  # the runtime never sees the refused value


def test_key_set_twice_in_env_is_reported_and_saving_resolves_it(project_home):
    (project_home / ".env").write_text("LOG_LEVEL=INFO\nLOG_FORMAT=text\nLOG_LEVEL=ERROR\n", encoding="utf-8")
    settings = load_settings()
    assert settings["LOG_LEVEL"] == "ERROR"  # python-dotenv's rule: the last one counts
    assert any("LOG_LEVEL is set 2 times in .env (lines 1, 3)" in w for w in settings.warnings)
    result = edit_fields(_context(["DEBUG"]), ("LOG_LEVEL",))
    assert result.status is Status.OK
    text = (project_home / ".env").read_text(encoding="utf-8")
    assert duplicate_keys(text) == {} and read_env(project_home / ".env")["LOG_LEVEL"] == "DEBUG"
    assert load_settings()["LOG_LEVEL"] == "DEBUG" and not load_settings().warnings


def test_kept_value_of_a_duplicated_key_is_written_once():
    assert render_updates("A=1\nB=2\nA=3\n", {"A": "3"}) == "A=3\nB=2\n"


def test_wizard_refuses_a_bad_fault_then_takes_a_good_one(project_home):
    out = io.StringIO()
    result = edit_fields(_context(["error_rate=5", "nonsense=1", "error_rate=0.2"], out), ("SIMULATOR_FAULTS",))
    assert result.status is Status.OK, out.getvalue()
    shown = out.getvalue()
    assert "SIMULATOR_FAULTS: fault error_rate=5 is out of range" in shown and "unknown fault 'nonsense=1'" in shown
    assert read_env(project_home / ".env")["SIMULATOR_FAULTS"] == "error_rate=0.2"


def test_wizard_refuses_hostile_numbers_and_nothing_is_written(project_home):
    with pytest.raises(Interrupted):  # every answer refused, then input ends
        edit_fields(_context(["१०", "1_0", "３０", "30.0"]), ("COLLECTION_INTERVAL_SECONDS",))
    assert not (project_home / ".env").exists()


def test_every_field_check_names_a_function_that_exists():
    from importlib import import_module

    for f in fields().values():
        if f.check:
            module, _, function = f.check.partition(":")
            assert callable(getattr(import_module(module), function)), f.env
