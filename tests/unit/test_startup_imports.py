"""Start-up stays light: building and showing the first menu imports none of the heavy libraries."""

import json
import subprocess
import sys

from tests.e2e.helpers import ROOT, app_env

HEAVY = ("scipy", "numpy", "kiteconnect", "influxdb_client", "redis", "questionary", "requests", "pandas")

PROBE = """
import io, json, sys
from op_trading.cli import app  # the command line is built, as on every start
from menus import ROOT
from op_trading.ui.engine import Engine
from op_trading.ui.io import ConsoleUI
from op_trading.ui.render import make_console
engine = Engine(ROOT, ConsoleUI(make_console(file=io.StringIO())), None, {})
engine._show(ROOT, tuple(ROOT.items), at_root=True, with_header=True)
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
"""


def test_first_menu_imports_no_heavy_library(project_home):
    result = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True, cwd=ROOT,
                            env=app_env(project_home), timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
