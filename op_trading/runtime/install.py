"""Installing the service to start at boot and restart on failure, per platform, plus its status.

- Linux: a systemd *user* unit (~/.config/systemd/user/op-trading.service), Restart=on-failure; `loginctl
  enable-linger` lets it start at boot without a login session (shown as a hint, never run for the user).
- macOS: a launchd agent (~/Library/LaunchAgents/in.optrading.service.plist), RunAtLoad, KeepAlive on failure.
- Windows: a Task Scheduler task (XML imported with schtasks), at logon, restarted every minute on failure.
Each runs `<this python> <project>/op_trading_setup.py service run` in the project home. The generated file is
shown before it is written (and written atomically); uninstall stops it and removes the file.

`status` reads the heartbeat the running service writes (DATA_DIR/state/service.json: pid, state, health) and asks
the platform's manager, so it says "installed" and "running" separately. Commands run through `runner` (tests pass
their own; a missing systemctl/launchctl/schtasks is reported, never a traceback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

from op_trading.outcome import Check, ExitCode, Outcome, Status, failed, from_checks, ok, warn
from op_trading.paths import HOME_VARIABLE, project_home

UNIT_NAME = "op-trading.service"
AGENT_LABEL = "in.optrading.service"
TASK_NAME = "OP Trading service"
HEARTBEAT = Path("state") / "service.json"
HEARTBEAT_STALE_SECONDS = 300
Runner = Callable[[list[str]], tuple[int, str]]


@dataclass(frozen=True)
class ServiceFile:
    platform: str  # linux / macos / windows
    path: Path
    text: str
    start: tuple[tuple[str, ...], ...]  # commands that load and start it
    stop: tuple[tuple[str, ...], ...]  # commands that stop and unload it
    query: tuple[str, ...]  # command whose success means "running"
    hint: str = ""


def platform_name(value: str | None = None) -> str:
    value = value or sys.platform
    return "windows" if value.startswith("win") else "macos" if value == "darwin" else "linux"


def command_line() -> list[str]:
    script = Path(__file__).resolve().parents[2] / "op_trading_setup.py"
    return [sys.executable, str(script), "service", "run"]


def service_file(platform: str | None = None, home: Path | None = None, user_home: Path | None = None) -> ServiceFile:
    platform = platform_name(platform)
    home = Path(home or project_home())
    user_home = Path(user_home or Path.home())
    if platform == "linux":
        return _systemd(home, user_home)
    if platform == "macos":
        return _launchd(home, user_home)
    return _task(home)


def _systemd(home: Path, user_home: Path) -> ServiceFile:
    exec_start = " ".join(_quote_systemd(part) for part in command_line())
    text = f"""[Unit]
Description=OP Trading Platform service (collection, schedules, alerts, API)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory={home}
Environment={HOME_VARIABLE}={home}
Environment=PYTHONUNBUFFERED=1
ExecStart={exec_start}
Restart=on-failure
RestartSec=30
# exit 3 = Kite login needed at start: restarting would not help, the running service waits for a login itself
RestartPreventExitStatus=2

[Install]
WantedBy=default.target
"""
    path = user_home / ".config" / "systemd" / "user" / UNIT_NAME
    return ServiceFile("linux", path, text,
                       (("systemctl", "--user", "daemon-reload"), ("systemctl", "--user", "enable", "--now", UNIT_NAME)),
                       (("systemctl", "--user", "disable", "--now", UNIT_NAME), ("systemctl", "--user", "daemon-reload")),
                       ("systemctl", "--user", "is-active", "--quiet", UNIT_NAME),
                       "to start it at boot without logging in: `loginctl enable-linger $USER`")


def _quote_systemd(part: str) -> str:
    return f'"{part}"' if any(ch in part for ch in ' "\\') else part


def _launchd(home: Path, user_home: Path) -> ServiceFile:
    arguments = "\n".join(f"        <string>{escape(part)}</string>" for part in command_line())
    logs = home / "logs"
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>{AGENT_LABEL}</string>
    <key>ProgramArguments</key>
    <array>
{arguments}
    </array>
    <key>WorkingDirectory</key>
    <string>{escape(str(home))}</string>
    <key>EnvironmentVariables</key>
    <dict>
        <key>{HOME_VARIABLE}</key>
        <string>{escape(str(home))}</string>
    </dict>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
        <key>SuccessfulExit</key>
        <false/>
    </dict>
    <key>ThrottleInterval</key>
    <integer>30</integer>
    <key>StandardOutPath</key>
    <string>{escape(str(logs / 'service.out.log'))}</string>
    <key>StandardErrorPath</key>
    <string>{escape(str(logs / 'service.err.log'))}</string>
</dict>
</plist>
"""
    path = user_home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    domain = f"gui/{os.getuid() if hasattr(os, 'getuid') else 501}"
    return ServiceFile("macos", path, text, (("launchctl", "bootstrap", domain, str(path)),),
                       (("launchctl", "bootout", f"{domain}/{AGENT_LABEL}"),),
                       ("launchctl", "print", f"{domain}/{AGENT_LABEL}"))


def _task(home: Path) -> ServiceFile:
    executable, *arguments = command_line()
    args = " ".join(f'"{part}"' for part in arguments)
    text = f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>OP Trading Platform service (collection, schedules, alerts, API)</Description>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
    </LogonTrigger>
  </Triggers>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <StartWhenAvailable>true</StartWhenAvailable>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(executable)}</Command>
      <Arguments>{escape(args)}</Arguments>
      <WorkingDirectory>{escape(str(home))}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""
    path = home / "deploy" / "op-trading-task.xml"
    return ServiceFile("windows", path, text,
                       (("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(path), "/F"),
                        ("schtasks", "/Run", "/TN", TASK_NAME)),
                       (("schtasks", "/End", "/TN", TASK_NAME), ("schtasks", "/Delete", "/TN", TASK_NAME, "/F")),
                       ("schtasks", "/Query", "/TN", TASK_NAME),
                       "the task starts at logon; the service sets OP_TRADING_HOME from its working directory")


def run_command(command: list[str]) -> tuple[int, str]:
    """Run a service-manager command; (exit code, first line of output). A missing tool is code 127."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return 127, f"{command[0]} is not available on this machine"
    except (OSError, subprocess.TimeoutExpired) as error:
        return 1, str(error).splitlines()[0]
    output = (done.stderr or done.stdout or "").strip().splitlines()
    return done.returncode, output[0] if output else ""


def install(definition: ServiceFile, confirm: Callable[[str], bool], show: Callable[[str], None],
            runner: Runner = run_command) -> Outcome:
    from op_trading.fileio import atomic_write_text

    show(f"{definition.path}:\n{definition.text}")
    if not confirm(f"Write {definition.path} and start the service?"):
        return ok("Nothing written (declined)")
    if definition.platform == "windows":  # Task Scheduler reads XML declared UTF-16 in that encoding
        definition.path.parent.mkdir(parents=True, exist_ok=True)
        _write_utf16(definition.path, definition.text)
    else:
        definition.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(definition.path, definition.text)
    checks = [Check("Service file", Status.OK, f"written: {definition.path}")]
    checks += _run_all(definition.start, runner)
    if definition.hint:
        checks.append(Check("Hint", Status.OK, definition.hint))
    return from_checks(checks, f"Service installed ({definition.platform})")


def _write_utf16(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-16")
    os.replace(temporary, path)


def uninstall(definition: ServiceFile, runner: Runner = run_command) -> Outcome:
    if not definition.path.exists():
        return ok(f"Not installed (no {definition.path})")
    checks = _run_all(definition.stop, runner)
    definition.path.unlink(missing_ok=True)
    checks.append(Check("Service file", Status.OK, f"removed: {definition.path}"))
    return from_checks(checks, f"Service uninstalled ({definition.platform})")


def _run_all(commands, runner: Runner) -> list[Check]:
    checks = []
    for command in commands:
        code, output = runner(list(command))
        shown = " ".join(command)
        if code == 0:
            checks.append(Check(shown, Status.OK, output or "done"))
        else:
            checks.append(Check(shown, Status.WARN, f"{output or f'exit {code}'}; run it yourself"))
    return checks


def write_heartbeat(settings, state: str, health: str, checks: list[Check] | tuple = ()) -> None:
    """The running service's pid, state and health report, for `service status` (atomic; no secrets in it: the
    checks carry masked values only)."""
    from op_trading.fileio import atomic_write_json

    path = settings.path("DATA_DIR") / HEARTBEAT
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {"pid": os.getpid(), "state": state, "health": health, "time": time.time(),
                             "checks": [[check.name, check.status.value, check.detail] for check in checks]})


def read_heartbeat(settings) -> dict | None:
    try:
        return json.loads((settings.path("DATA_DIR") / HEARTBEAT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def status(settings, definition: ServiceFile, runner: Runner = run_command) -> Outcome:
    installed = definition.path.exists()
    checks = [Check("Installed", Status.OK if installed else Status.WARN,
                    f"{definition.path}" if installed else
                    f"not installed ({definition.platform}): `python op_trading_setup.py service install`")]
    if installed:
        code, output = runner(list(definition.query))
        checks.append(Check("Service manager", Status.OK if code == 0 else Status.WARN,
                            "running" if code == 0 else f"not running ({output or f'exit {code}'})"))
    beat = read_heartbeat(settings)
    running = False
    if beat:
        age = time.time() - float(beat.get("time", 0))
        running = _pid_alive(int(beat.get("pid", 0))) and age < HEARTBEAT_STALE_SECONDS
        detail = f"pid {beat.get('pid')}, {beat.get('state') or '?'}, health {beat.get('health') or '?'}, " \
                 f"heartbeat {age:.0f} s ago"
        checks.append(Check("Service process", Status.OK if running else Status.WARN,
                            ("running: " if running else "not running (last seen: ") + detail +
                            ("" if running else ")")))
        if running:  # the running service's own health report, component by component
            checks += [Check(f"  {name}", Status(status), detail) for name, status, detail in beat.get("checks", ())]
    else:
        checks.append(Check("Service process", Status.WARN, "no heartbeat: the service has not run here"))
    message = f"Service {'installed' if installed else 'not installed'}, {'running' if running else 'not running'}"
    return from_checks(checks, message)


# -- menu actions ----------------------------------------------------------------------------------------------
def install_action(ctx, **params) -> Outcome:
    definition = service_file()
    if not ctx.ui.interactive and not ctx.auto:
        return failed("Installing needs a confirmation: run it from the menu or with --auto",
                      exit_code=ExitCode.USAGE)
    confirm = (lambda prompt: True) if ctx.auto else (lambda prompt: ctx.ui.confirm(prompt, default=False))
    return install(definition, confirm, ctx.ui.notify)


def uninstall_action(ctx, **params) -> Outcome:
    return uninstall(service_file())


def status_action(ctx, **params) -> Outcome:
    return status(ctx.settings, service_file())


def service_command(action: str, mode: str | None, overrides: dict[str, str], assume_yes: bool = False,
                    notify: Callable[[str], None] = print) -> Outcome:
    """`service install|uninstall|status|run` (cli.py)."""
    from op_trading.config.settings import load_settings

    settings = load_settings(mode, overrides)
    if action == "status":
        return status(settings, service_file())
    if action == "uninstall":
        return uninstall(service_file())
    if action == "install":
        def confirm(prompt: str) -> bool:
            if assume_yes:
                return True
            try:
                return input(f"{prompt} [y/N] ").strip().lower() in ("y", "yes")
            except EOFError:
                return False
        return install(service_file(), confirm, notify)
    if action == "run":
        return run_service(settings, notify, mode)
    return warn(f"unknown action {action!r}: install, uninstall, status or run", exit_code=ExitCode.USAGE)


def run_service(settings, notify: Callable[[str], None], mode: str | None = None) -> Outcome:
    """The service in the foreground, headless (what the installed service and the container run): configuration
    checked, InfluxDB buckets made sure of, then one line per state change; Ctrl-C / SIGTERM stop it."""
    import signal

    from op_trading.api.security import ApiConfigError
    from op_trading.api.server import api_faces
    from op_trading.runtime.service import Service
    from op_trading.services.validate import config_checks

    problems = [check for check in config_checks(settings, mode) if check.status is Status.FAILED]
    if problems:
        return failed("configuration is not valid for the service", checks=tuple(problems),
                      exit_code=ExitCode.USAGE)
    if "influxdb" in settings["STORAGE_SINKS"] and settings["INFLUXDB_URL"]:
        from op_trading.services.bootstrap import influx_checks

        for check in influx_checks(settings):  # buckets created when missing; a down server is spooled for
            notify(f"storage: {check.name}: {check.status.value} {check.detail}")
    service = Service(settings, faces=api_faces(settings), on_state=lambda line: notify(f"service: {line}"))
    if hasattr(signal, "SIGTERM"):  # systemd/launchd stop: the same orderly stop as Ctrl-C
        signal.signal(signal.SIGTERM, lambda *_: service.stop_event.set())
    try:
        return service.run_until_stopped(notify)
    except (ApiConfigError, OSError) as error:
        service.stop(wait=5)
        return failed(f"the service cannot start: {error}", exit_code=ExitCode.USAGE)
