"""API settings: the wizard offers a generated token (masked, saved on Enter), and the fields parse as documented."""

from __future__ import annotations

import io

from op_trading import paths
from op_trading.config.envfile import read_env
from op_trading.config.settings import load_settings
from op_trading.context import RunContext
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console


def test_wizard_offers_a_generated_token_and_masks_it(project_home):
    from op_trading.config.edit import edit_fields

    out = io.StringIO()
    ui = ScriptedUI(make_console(file=out, width=120), [""])  # Enter accepts the offered token
    result = edit_fields(RunContext("production", load_settings("production"), ui), ("API_TOKEN",))
    token = read_env(paths.env_file())["API_TOKEN"]
    assert result.ok and len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum()
    assert token not in out.getvalue() and f"****{token[-4:]}" in result.checks[0].detail
    second = ScriptedUI(make_console(file=io.StringIO(), width=120), [""])
    edit_fields(RunContext("production", load_settings("production"), second), ("API_TOKEN",))
    assert read_env(paths.env_file())["API_TOKEN"] == token  # a set token is kept, not replaced


def test_api_defaults_are_safe():
    settings = load_settings("production")
    assert settings["API_HOST"] == "127.0.0.1" and settings["API_PORT"] == 8080
    assert settings["API_TOKEN"] is None and settings["API_CORS_ORIGINS"] == []
    assert settings["API_RATE_LIMIT_PER_MINUTE"] == 600
    bad = load_settings("production", {"API_TOKEN": "short"})
    assert "API_TOKEN" in bad.errors
