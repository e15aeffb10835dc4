"""Production 3 on a pseudo-terminal against the local Kite simulator: a wrong token, then a right one."""

import json
import sys

import pytest

from tests.e2e.helpers import Screen

pytestmark = [pytest.mark.tty, pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a pty")]


@pytest.fixture
def simulator():
    from op_trading.sandbox import Sandbox

    with Sandbox(port=0, seed=11, rate_limits=True) as sandbox:
        yield sandbox


def test_manual_token_wrong_then_right(project_home, simulator):
    (project_home / ".env").write_text(
        f"KITE_API_KEY={simulator.api_key}\nKITE_API_SECRET={simulator.api_secret}\nKITE_API_ROOT={simulator.url}\n",
        encoding="utf-8")
    good = simulator.issue_access_token()
    wrong = "WrongToken" + "x" * 22
    screen = Screen(project_home, "--mode", "production", timeout=60)
    screen.expect("token:")  # label and value are styled apart: expect them one after the other
    screen.expect("missing")
    screen.expect("Choose 0-9:")
    screen.send("3")
    screen.expect("Kite access token")
    screen.send(wrong)
    screen.expect("Kite rejected this access token")
    screen.expect("Kite access token")
    screen.send(good)
    screen.expect("Access token verified and stored")
    screen.expect("token:")
    screen.expect("valid until 06:00 IST")  # the header of the next screen knows
    screen.expect("Choose 0-9:")
    screen.send("0")
    screen.expect("Choose 0-3:")
    screen.send("0")
    assert screen.exit_status() == 0
    stored = json.loads((project_home / ".secrets" / "kite_token.json").read_text(encoding="utf-8"))
    assert stored["access_token"] == good and stored["api_key"] == simulator.api_key
    assert good not in screen.transcript and wrong not in screen.transcript
    assert simulator.count("GET /user/profile") == 2  # one verification call per token entered
