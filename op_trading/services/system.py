"""Setup step 1: is this machine fit to run the product? Each line says ok / warn / failed and why."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timezone

from op_trading import paths
from op_trading.outcome import Check, Outcome, Status, from_checks

MIN_PYTHON = (3, 11)
MIN_MEMORY_GB = 2.0
MIN_FREE_DISK_GB = 2.0
# Servers the product talks to: something listening on their port is good news (default ports when not configured).
SERVER_PORTS = (("INFLUXDB_URL", 8086, "InfluxDB"), ("REDIS_URL", 6379, "Redis"))
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


def check_requirements(ctx) -> Outcome:
    checks = [python_version(), operating_system(), cpu_cores(), memory(), free_disk(), *ports(ctx.settings),
              docker_engine(), clock()]
    return from_checks(checks, "system requirements checked")


def python_version() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", Status.OK, f"{version} at {sys.executable}")
    return Check("Python", Status.FAILED, f"{version}; Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+ is required")


def operating_system() -> Check:
    return Check("Operating system", Status.OK, f"{platform.system()} {platform.release()} ({platform.machine()})")


def cpu_cores() -> Check:
    cores = os.cpu_count() or 0
    status = Status.OK if cores >= 2 else Status.WARN
    return Check("CPU cores", status, f"{cores}" + ("" if cores >= 2 else " (2 or more recommended)"))


def memory() -> Check:
    total = total_memory_bytes()
    if total is None:
        return Check("Memory", Status.WARN, "could not be measured on this system")
    gib = total / 2**30
    if gib < MIN_MEMORY_GB:
        return Check("Memory", Status.WARN, f"{gib:.1f} GiB ({MIN_MEMORY_GB:.0f} GiB or more recommended)")
    return Check("Memory", Status.OK, f"{gib:.1f} GiB")


def total_memory_bytes() -> int | None:
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in getattr(os, "sysconf_names", {}):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if sys.platform == "win32":
        import ctypes

        class MemoryStatus(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                        ("available", ctypes.c_ulonglong), ("page_total", ctypes.c_ulonglong),
                        ("page_available", ctypes.c_ulonglong), ("virtual_total", ctypes.c_ulonglong),
                        ("virtual_available", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

        status = MemoryStatus()
        status.length = ctypes.sizeof(MemoryStatus)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return int(status.total)
    return None


def free_disk() -> Check:
    home = paths.project_home()
    free = shutil.disk_usage(home).free / 2**30
    status = Status.OK if free >= MIN_FREE_DISK_GB else Status.WARN
    note = "" if status is Status.OK else f" ({MIN_FREE_DISK_GB:.0f} GiB or more recommended for data)"
    return Check("Free disk", status, f"{free:.1f} GiB free at {home}{note}")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def configured_ports(settings) -> list[tuple[int, str, bool]]:
    """(port, what uses it, whether something listening there is good news) from the current settings.

    The ports the product serves: every `*_PORT` setting in the wizard definitions that is switched on (a new port
    field is checked without touching this code) and the port of the Kite login redirect. The servers it uses:
    InfluxDB and Redis at their configured local address, or their default ports when not configured."""
    from op_trading.config.settings import fields

    wanted: list[tuple[int, str, bool]] = []
    simulated = settings.get("DATA_SOURCE_MODE") == "mock" or settings.get("MOCK_FALLBACK_ENABLED")
    for name, f in fields().items():
        if name == "SIMULATOR_PORT" and not simulated:
            continue  # live data only: the local simulator does not run
        if name.endswith("_PORT") and f.kind == "int" and settings.get(name, 0) > 0:
            wanted.append((settings[name], f"{f.prompt.split(' (')[0]} ({name})", False))
    redirect = _local_port(settings.get("KITE_REDIRECT_URL", ""))
    if redirect:
        wanted.append((redirect, "Kite login redirect (KITE_REDIRECT_URL)", False))
    for name, default, server in SERVER_PORTS:
        url = settings.get(name, "")
        port = _local_port(url) if url else default
        if port:
            wanted.append((port, f"{server} ({name})" if url else server, True))
    unique: dict[int, tuple[int, str, bool]] = {}
    for port, purpose, good in wanted:
        unique.setdefault(port, (port, purpose, good))
    return list(unique.values())


def _local_port(url: str) -> int | None:
    """The port of a URL on this machine (None for another host or no URL)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        if parts.hostname not in LOCAL_HOSTS:
            return None
        return parts.port or {"http": 80, "https": 443, "redis": 6379, "rediss": 6379}.get(parts.scheme)
    except ValueError:
        return None


def ports(settings) -> list[Check]:
    checks = []
    for port, purpose, listening_is_good in configured_ports(settings):
        if not port_in_use(port):
            checks.append(Check(f"Port {port}", Status.OK, f"free for {purpose}"))
        elif listening_is_good:
            checks.append(Check(f"Port {port}", Status.OK, f"in use — probably {purpose} is already running"))
        else:
            checks.append(Check(f"Port {port}", Status.WARN, f"in use; {purpose} needs it (change it in .env)"))
    return checks


def docker_engine() -> Check:
    docker = shutil.which("docker")
    if not docker:
        return Check("Docker", Status.WARN, "not installed; optional (InfluxDB/Redis can run without it)")
    try:
        result = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                                timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check("Docker", Status.WARN, f"client found but `docker info` did not answer ({error})")
    if result.returncode == 0 and result.stdout.strip():
        return Check("Docker", Status.OK, f"engine {result.stdout.strip()} running")
    return Check("Docker", Status.WARN, "client found, no engine running; optional (embedded defaults work)")


def clock() -> Check:
    """The clock is plausible and IST arithmetic works (IST is a fixed offset: no tz database needed)."""
    from op_trading.market.calendar import now_ist

    utc = datetime.now(timezone.utc)
    if utc.year < 2025:
        return Check("Clock and timezone", Status.FAILED, f"system clock says {utc:%Y-%m-%d}; set the date")
    ist = now_ist()
    detail = f"IST now {ist:%Y-%m-%d %H:%M}; machine timezone {datetime.now().astimezone().tzname()}"
    return Check("Clock and timezone", Status.OK, detail)
