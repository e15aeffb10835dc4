"""Start-up stays light: the real entry drawing the first menu imports none of the heavy libraries.

The command-line library is one of them: typer brings click and (since typer 0.29) pydantic, which cost more than
the whole menu. `--help`, `--auto` and subcommands may load it; the plain menu start may not.
"""

import json
import subprocess
import sys

import pytest

from op_trading.ui.launch import menu_mode
from tests.e2e.helpers import ROOT, app_env

HEAVY = ("scipy", "numpy", "kiteconnect", "influxdb_client", "redis", "questionary", "prompt_toolkit", "requests",
         "pandas", "typer", "click", "pydantic", "fastapi", "uvicorn", "starlette", "apprise", "apscheduler",
         "duckdb", "plotly", "logging.handlers", "tempfile")

PROBE = """
import io, json, sys
sys.argv = ["op_trading_setup.py"] + %r
sys.stdin = io.StringIO("0\\n0\\n")
from op_trading.ui.launch import main
try:
    main()
except SystemExit as leaving:
    code = leaving.code
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "loaded": sorted(n for n in %r if n in sys.modules)}))
"""


def _probe(home, args):
    result = subprocess.run([sys.executable, "-c", PROBE % (list(args), HEAVY)], capture_output=True, text=True,
                            cwd=ROOT, env=app_env(home), timeout=60)
    assert "PROBE " in result.stderr, result.stdout + result.stderr
    return json.loads(result.stderr.rsplit("PROBE ", 1)[1]), result.stdout


@pytest.mark.parametrize("args", [(), ("--mode", "production"), ("--mode=development",)])
def test_first_menu_imports_no_heavy_library(project_home, args):
    probe, screen = _probe(project_home, args)
    assert probe == {"code": 0, "loaded": []}
    assert "Choose 0-" in screen and "Bye." in screen


def test_command_line_still_parses_everything_else(project_home):
    probe, screen = _probe(project_home, ("--help",))
    assert probe["code"] == 0 and "typer" in probe["loaded"]
    assert "--mode" in screen and "--auto" in screen


@pytest.mark.parametrize("argv,expected", [
    ([], (True, None)), (["--mode", "setup"], (True, "setup")), (["--mode=production"], (True, "production")),
    (["--mode", "nope"], (False, None)), (["--mode"], (False, None)), (["--help"], (False, None)),
    (["--mode", "setup", "--auto"], (False, None)), (["status"], (False, None)), (["--set", "A=1"], (False, None)),
])
def test_only_plain_menu_starts_skip_the_command_line_library(argv, expected):
    assert menu_mode(argv) == expected
