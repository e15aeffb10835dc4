"""Setup step 2: the Python packages the product needs (installed with this interpreter's pip after asking) and the
optional servers (InfluxDB, Redis), found or not, with how to get them."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata

from op_trading.outcome import Check, Outcome, Status, from_checks

# Distribution name -> minimum version; the same list as setup.cfg's install_requires (a test keeps them equal).
REQUIRED = {
    "rich": "13.7", "questionary": "2.0", "typer": "0.15.4", "kiteconnect": "5.0", "influxdb-client": "1.40",
    "redis": "5.0", "python-dotenv": "1.0", "numpy": "1.26", "scipy": "1.11", "pytest": "8.0", "pytest-xdist": "3.5", "pexpect": "4.9",
    "hypothesis": "6.100", "pyyaml": "6.0", "promql-parser": "0.12",
    # the HTTP face (API, WebSocket streams, dashboard) and its browser tests
    "fastapi": "0.115", "uvicorn": "0.35", "websockets": "13.0", "prometheus-client": "0.20",
    "fastapi-offline": "1.7", "plotly": "5.0", "playwright": "1.45",
    # the unattended service: schedules, alert delivery, and the SMTP stand-in its tests deliver to
    "apscheduler": "3.10", "apprise": "1.6", "aiosmtpd": "1.4",
}
PIP_TIMEOUT_SECONDS = 900


def check_prerequisites(ctx) -> Outcome:
    checks, missing = package_checks()
    if missing:
        installed = install(ctx, missing)
        if installed.status is Status.OK:
            checks, missing = package_checks()  # what is installed now, not what was missing before
        checks.append(installed)
    checks.extend(server_checks(ctx.settings))
    return from_checks(checks, "all required packages present" if not missing else "packages checked")


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def package_checks() -> tuple[list[Check], list[str]]:
    checks, missing = [], []
    for name, minimum in REQUIRED.items():
        version = installed_version(name)
        if version is None:
            checks.append(Check(name, Status.FAILED, f"not installed (needs >= {minimum})"))
            missing.append(f"{name}>={minimum}")
        elif _older(version, minimum):
            checks.append(Check(name, Status.FAILED, f"{version} installed, needs >= {minimum}"))
            missing.append(f"{name}>={minimum}")
        else:
            checks.append(Check(name, Status.OK, version))
    return checks, missing


def install(ctx, requirements: list[str]) -> Check:
    """pip install with the running interpreter, after asking (automatic under --auto)."""
    question = f"Install {len(requirements)} missing package(s) with {sys.executable} -m pip?"
    if not ctx.ui.confirm(question, default=ctx.auto):
        return Check("install", Status.FAILED, "not installed (declined); run: pip install " + " ".join(requirements))
    command = [sys.executable, "-m", "pip", "install", *requirements]
    with ctx.ui.progress("Installing " + ", ".join(requirements)):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as error:
            return Check("install", Status.FAILED, f"pip did not finish: {error}")
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return Check("install", Status.FAILED, f"pip exited {result.returncode}: {last[0]}")
    importlib.invalidate_caches()  # the finders cached the folder listings from before pip ran
    still_missing = package_checks()[1]
    if still_missing:
        return Check("install", Status.FAILED, "pip finished but still missing: " + ", ".join(still_missing))
    return Check("install", Status.OK, "installed " + ", ".join(requirements))


# Optional server: name, its setting, default port, how to get it, and what is used without it.
SERVERS = (("InfluxDB server", "INFLUXDB_URL", 8086, "`docker compose up -d influxdb` or influxdata's packages",
            "embedded store in use"),
           ("Redis server", "REDIS_URL", 6379, "`docker compose up -d redis` or `apt install redis-server`",
            "in-process cache in use"))


def server_checks(settings) -> list[Check]:
    from op_trading.services.system import port_in_use

    checks = []
    for name, setting, port, how, fallback in SERVERS:
        if settings[setting]:
            checks.append(Check(name, Status.OK, f"configured at {settings.shown(setting)} (checked by step 5)"))
        elif port_in_use(port):
            checks.append(Check(name, Status.OK, f"something listens on {port}; set {setting} to use it"))
        else:
            checks.append(Check(name, Status.SKIPPED, f"optional; not configured. Get it with {how}; {fallback}"))
    return checks


def _older(version: str, minimum: str) -> bool:
    def parts(text: str) -> tuple[int, ...]:
        numbers = []
        for piece in text.split("."):
            digits = "".join(ch for ch in piece if ch.isdigit())
            if not digits:
                break
            numbers.append(int(digits))
        return tuple(numbers)

    return parts(version) < parts(minimum)
