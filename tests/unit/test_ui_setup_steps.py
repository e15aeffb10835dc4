"""Menu leaves a new user walks first: Setup 7 asks only what it must, Setup 1 checks the configured ports, Setup 2
reports what it installed, credentials import reads the whole Kite app block, Production 3 has a way back."""

import io
import json
import socket
import zipfile

import pytest

from menus import ROOT
from op_trading.config.envfile import read_env
from op_trading.config.settings import load_settings
from op_trading.context import RunContext
from op_trading.outcome import Status
from op_trading.services import prerequisites, system
from op_trading.ui.engine import Engine
from op_trading.ui.io import HeadlessUI, ScriptedUI
from op_trading.ui.model import find
from op_trading.ui.render import make_console


def scripted(answers, mode="setup"):
    out = io.StringIO()
    return Engine(ROOT, ScriptedUI(make_console(file=out, width=200), list(answers)), mode), out


def test_setup_all_asks_only_credentials_data_source_and_storage(project_home):
    steps = find(ROOT, "setup.all").steps
    assert "wizard.first_time" in steps and "wizard.all" not in steps
    engine, out = scripted(["kiteapikey1", "averysecretvalue1234", "", ""])
    result = engine.run_path("setup.wizard.first_time")
    assert result.status is Status.OK
    assert len(engine.ui.prompts) == 4  # key, secret, data source, storage; no InfluxDB questions without it
    assert "change them later in Setup > Environment configuration wizard" in result.message
    env = read_env(project_home / ".env")
    assert env["KITE_API_KEY"] == "kiteapikey1" and env["LOG_LEVEL"] == ""  # the rest: not asked, not frozen
    assert load_settings("setup")["LOG_LEVEL"] == "INFO"  # ...so the documented default applies


def test_setup_all_asks_for_influxdb_only_when_it_is_chosen(project_home):
    engine, _ = scripted(["", "", "", "embedded,influxdb", "http://127.0.0.1:8086", "tok"])
    engine.run_path("setup.wizard.first_time")
    assert len(engine.ui.prompts) == 6 and "INFLUXDB_URL" in engine.ui.prompts[4]
    assert read_env(project_home / ".env")["INFLUXDB_URL"] == "http://127.0.0.1:8086"


def _listening_socket():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_requirements_check_the_configured_ports(project_home):
    busy = _listening_socket()
    try:
        port = busy.getsockname()[1]
        settings = load_settings("production", {"METRICS_PORT": str(port),
                                                "KITE_REDIRECT_URL": "http://127.0.0.1:5123/back"})
        checks = {check.name: check for check in system.ports(settings)}
    finally:
        busy.close()
    assert checks[f"Port {port}"].status is Status.WARN and "METRICS_PORT" in checks[f"Port {port}"].detail
    assert "KITE_REDIRECT_URL" in checks["Port 5123"].detail
    assert "Port 5000" not in checks  # the default redirect port is not the configured one


def test_a_new_port_field_is_checked_without_code_changes(project_home, monkeypatch):
    from op_trading.config.fields import Field
    from wizards import environment

    extended = dict(environment.FIELDS, API_PORT=Field("API_PORT", "HTTP API port", "", default="8321",
                                                        kind="int", minimum=0, maximum=65535))
    monkeypatch.setattr(environment, "FIELDS", extended)
    ports = {port: purpose for port, purpose, _ in system.configured_ports(load_settings())}
    assert "API_PORT" in ports[8321]


WHEEL_FILES = {
    "op_probe_pkg/__init__.py": "VALUE = 1\n",
    "op_probe_pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: op-probe-pkg\nVersion: 1.0\n",
    "op_probe_pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n",
}


def test_prerequisites_install_then_report_what_is_installed_now(tmp_path, monkeypatch, project_home):
    wheels, target = tmp_path / "wheels", tmp_path / "target"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "op_probe_pkg-1.0-py3-none-any.whl", "w") as wheel:
        for name, text in WHEEL_FILES.items():
            wheel.writestr(name, text)
        wheel.writestr("op_probe_pkg-1.0.dist-info/RECORD", "".join(f"{name},,\n" for name in WHEEL_FILES))
    for name, value in {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_TARGET": str(target),
                        "PIP_DISABLE_PIP_VERSION_CHECK": "1"}.items():
        monkeypatch.setenv(name, value)  # pip installs the local wheel into a folder of this test only
    monkeypatch.syspath_prepend(str(target))
    monkeypatch.setattr(prerequisites, "REQUIRED", {"op-probe-pkg": "1.0"})
    ctx = RunContext("setup", load_settings("setup"), HeadlessUI(make_console(file=io.StringIO())), auto=True)
    result = prerequisites.check_prerequisites(ctx)
    checks = {check.name: check for check in result.checks}
    assert checks["op-probe-pkg"].status is Status.OK and checks["op-probe-pkg"].detail == "1.0"
    assert checks["install"].status is Status.OK and result.status is not Status.FAILED, result


def test_import_from_file_reads_api_root_login_and_redirect_urls(project_home, tmp_path):
    source = tmp_path / "kite.json"
    source.write_text(json.dumps({"api_key": "kiteapikey1", "api_secret": "averysecretvalue1234",
                                  "KITE_API_ROOT": "http://127.0.0.1:8765", "login_url": "http://127.0.0.1:8765/l",
                                  "redirect_url": "http://127.0.0.1:5001/done"}), encoding="utf-8")
    engine, out = scripted([str(source)])
    result = engine.run_path("setup.wizard.kite.import")
    assert result.status is Status.OK and "imported 5 setting(s)" in result.message
    env = read_env(project_home / ".env")
    assert env["KITE_API_ROOT"] == "http://127.0.0.1:8765" and env["KITE_LOGIN_URL"] == "http://127.0.0.1:8765/l"
    assert env["KITE_REDIRECT_URL"] == "http://127.0.0.1:5001/done"


def test_import_refuses_a_bad_url_and_imports_nothing(project_home, tmp_path):
    source = tmp_path / "kite.env"
    source.write_text("api_key=kiteapikey1\nKITE_API_ROOT=not a url\n", encoding="utf-8")
    engine, _ = scripted([str(source)])
    result = engine.run_path("setup.wizard.kite.import")
    assert result.status is Status.FAILED and "KITE_API_ROOT" in result.message
    assert not (project_home / ".env").exists()


@pytest.mark.parametrize("answer", ["x" * 5000, "nul\x00byte", "/no/such/file"])
def test_import_asks_again_for_an_unreadable_path(project_home, answer):
    engine, out = scripted([answer])
    with pytest.raises(Exception) as stop:
        engine.run_path("setup.wizard.kite.import")
    assert type(stop.value).__name__ == "Interrupted"  # asked again, then input ended: no crash on the path
    assert "not a readable file" in out.getvalue()


def test_oauth_step_shows_and_checks_the_api_root(project_home):
    steps = find(ROOT, "setup.wizard.kite.redirect").fields
    assert "KITE_API_ROOT" in steps
    from op_trading.kite.actions import api_root_check

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    check = api_root_check(load_settings(None, {"KITE_API_ROOT": f"http://127.0.0.1:{port}"}))
    assert check.status is Status.WARN and f"127.0.0.1:{port}" in check.detail and "did not answer" in check.detail


def test_manual_token_enter_with_nothing_goes_back(project_home):
    out = io.StringIO()
    engine = Engine(ROOT, ScriptedUI(make_console(file=out, width=200), [""]), "production",
                    {"KITE_API_KEY": "kiteapikey1"})
    result = engine.run_path("production.manual_token")
    assert result.status is Status.SKIPPED and "no token entered" in result.message
    assert "Enter with nothing typed goes back" in out.getvalue()
