"""Settings resolve with the documented precedence and go through the same parser as the wizard."""

import pytest

from op_trading.config.fields import Field, FieldError, mask, parse_value
from op_trading.config.settings import load_settings


def write_env(home, text):
    (home / ".env").write_text(text, encoding="utf-8")


def test_defaults_and_profiles(project_home):
    assert load_settings("setup")["DATA_SOURCE_MODE"] == "mock"
    assert load_settings("production")["DATA_SOURCE_MODE"] == "live"
    assert load_settings("setup")["INFLUXDB_RETENTION_DAYS"] == 7
    assert load_settings("production")["INFLUXDB_RETENTION_DAYS"] == 0
    assert load_settings()["STRIKE_OFFSETS"] == [-2, -1, 0, 1, 2]


def test_precedence_override_then_environment_then_dotenv(project_home, monkeypatch):
    write_env(project_home, "LOG_LEVEL=WARNING\nCOLLECTION_INTERVAL_SECONDS=60\nSIMULATOR_SEED=5\n")
    monkeypatch.setenv("COLLECTION_INTERVAL_SECONDS", "45")
    monkeypatch.setenv("SIMULATOR_SEED", "6")
    settings = load_settings("development", {"SIMULATOR_SEED": "7"})
    assert settings["LOG_LEVEL"] == "WARNING" and settings.sources["LOG_LEVEL"] == ".env"
    assert settings["COLLECTION_INTERVAL_SECONDS"] == 45 and settings.sources["COLLECTION_INTERVAL_SECONDS"] == "environment"
    assert settings["SIMULATOR_SEED"] == 7 and settings.sources["SIMULATOR_SEED"] == "override"


def test_invalid_values_are_reported_and_replaced_by_the_default(project_home):
    write_env(project_home, "COLLECTION_INTERVAL_SECONDS=fast\nINDICES=NIFTY,FOO\n")
    settings = load_settings()
    assert set(settings.errors) == {"COLLECTION_INTERVAL_SECONDS", "INDICES"}
    assert settings["COLLECTION_INTERVAL_SECONDS"] == 30
    assert "expected a whole number" in settings.errors["COLLECTION_INTERVAL_SECONDS"]


def test_missing_required_values_are_all_listed(project_home):
    assert load_settings("production").missing() == ["KITE_API_KEY", "KITE_API_SECRET"]
    assert load_settings("setup").missing() == []


def test_unknown_setting_name_is_an_error_not_silence(project_home):
    with pytest.raises(KeyError):
        load_settings()["NO_SUCH_SETTING"]


def test_secrets_are_shown_masked(project_home):
    write_env(project_home, "KITE_API_SECRET=abcdefghijklmnop\n")
    assert load_settings().shown("KITE_API_SECRET") == "****mnop"
    assert mask("short") == "****"


@pytest.mark.parametrize("kind,text,expected", [
    ("int", "42", 42), ("float", "0.5", 0.5), ("bool", "Yes", True), ("bool", "off", False),
    ("time", "08:00", "08:00"), ("url", "http://127.0.0.1:8086", "http://127.0.0.1:8086"),
    ("int_list", "-2, -1,0,1,2", [-2, -1, 0, 1, 2]),
])
def test_parse_value_kinds(kind, text, expected):
    assert parse_value(Field("X", "x", "", kind=kind), text) == expected


@pytest.mark.parametrize("kind,text", [
    ("int", "1.5"), ("float", "nan"), ("bool", "maybe"), ("time", "25:00"), ("url", "localhost:8086"),
    ("text", "bad\x1bvalue"),
])
def test_parse_value_rejects_with_one_line(kind, text):
    with pytest.raises(FieldError) as error:
        parse_value(Field("X", "x", "", kind=kind), text)
    assert "\n" not in str(error.value) and str(error.value).startswith("X:")


def test_secret_values_never_appear_in_error_messages():
    field = Field("KITE_API_SECRET", "secret", "", pattern=r"[a-z]+", secret=True)
    with pytest.raises(FieldError) as error:
        parse_value(field, "NOT-VALID-SECRET-123")
    assert "NOT-VALID" not in str(error.value)
