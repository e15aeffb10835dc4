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
# Port, what uses it, and whether something already listening there is good news.
PORTS = ((8086, "InfluxDB", True), (6379, "Redis", True), (5000, "Kite login redirect", False),
         (8000, "metrics endpoint", False))


def check_requirements(ctx) -> Outcome:
    checks = [python_version(), operating_system(), cpu_cores(), memory(), free_disk(), *ports(),
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


def ports() -> list[Check]:
    checks = []
    for port, purpose, listening_is_good in PORTS:
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
