"""`python op_trading_setup.py api` serves the stored data on its own (a real process, a real port)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from tests.e2e.helpers import ENTRY, app_env
from tests.support import free_port


def test_api_command_serves_the_store_until_interrupted(project_home):
    port = free_port()
    process = subprocess.Popen([sys.executable, ENTRY, "api", "--set", f"API_PORT={port}"], cwd=project_home,
                               env=app_env(project_home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 30, None
        while time.monotonic() < deadline and health is None:
            try:
                health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read())
            except OSError:
                time.sleep(0.2)
        assert health is not None, "the api command did not answer"
        assert health["service"] == "op-trading" and health["mode"].startswith("api only")
    finally:
        process.send_signal(2)  # Ctrl-C
        output, _ = process.communicate(timeout=30)
    assert f"API and dashboard on http://127.0.0.1:{port}" in output
    assert process.returncode == 130, output


def test_api_command_refuses_an_open_address_without_a_token(project_home):
    result = subprocess.run([sys.executable, ENTRY, "api", "--set", "API_HOST=0.0.0.0", "--set", "API_PORT=0"],
                            cwd=project_home, env=app_env(project_home), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    result = subprocess.run([sys.executable, ENTRY, "api", "--set", "API_HOST=0.0.0.0",
                             "--set", f"API_PORT={free_port()}"], cwd=project_home, env=app_env(project_home),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "API_TOKEN" in result.stdout
