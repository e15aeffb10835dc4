"""The service's health, told truthfully: one Check per component, OK / WARN / FAILED.

Used by the live view, `service status`, the metrics (op_health_ok, op_component_status) and the API's /health.
A stale cycle during market hours is FAILED even when every server answers: the point of the service is fresh data.

Components: collection (age of the last good cycle against COLLECTION_INTERVAL_SECONDS, on the service clock),
Kite token (remaining life; the service pauses without one), market (open / next session), sink backlog (points
spooled while a sink was down), storage and cache reachability (the existing bootstrap checks), disk space for
DATA_DIR, threads (restarts), notifications (channels, failed deliveries).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from op_trading.market import calendar
from op_trading.market.calendar import to_ist
from op_trading.outcome import Check, Status

STALE_INTERVALS = 3  # a cycle older than this many intervals during market hours is FAILED
DISK_WARN_BYTES = 2 * 1024 ** 3
DISK_FAIL_BYTES = 200 * 1024 ** 2
TOKEN_WARN_SECONDS = 3600
STATUS_LEVEL = {Status.OK: 0, Status.SKIPPED: 0, Status.WARN: 1, Status.FAILED: 2}


def health_report(service, servers: bool = True) -> list[Check]:
    """Every component's check now. `servers=False` leaves out the network checks (storage/cache servers)."""
    settings, now = service.settings, to_ist(service.clock.now())
    checks = [collection_check(service, now), market_check(now)]
    if settings["DATA_SOURCE_MODE"] == "live":
        checks.append(token_check(settings, now))
    checks += [backlog_check(settings), disk_check(settings), threads_check(service)]
    notifier = getattr(service, "notifier", None)
    if notifier is not None and notifier.senders:
        checks.append(notifications_check(notifier))
    if servers:
        checks += server_checks(settings)
    return checks


def collection_check(service, now: datetime) -> Check:
    interval = service.settings["COLLECTION_INTERVAL_SECONDS"]
    last = service.last_good_cycle  # service-clock time of the last cycle that completed
    open_now = calendar.is_market_open(now)
    state = service.state or "starting"
    if last is None:
        if open_now and service.state == "collecting" and service.uptime_clock_seconds() > STALE_INTERVALS * interval:
            return Check("Collection", Status.FAILED, f"no cycle yet, {state}; market open")
        return Check("Collection", Status.OK if not open_now else Status.WARN, f"no cycle yet; {state}")
    age = (now - last).total_seconds()
    text = f"last good cycle {age:.0f} s ago (every {interval} s); {state}"
    if open_now and age > STALE_INTERVALS * interval:
        return Check("Collection", Status.FAILED, "STALE: " + text)
    if open_now and age > interval * 1.5:
        return Check("Collection", Status.WARN, text)
    return Check("Collection", Status.OK, text)


def market_check(now: datetime) -> Check:
    if calendar.is_market_open(now):
        return Check("Market", Status.OK, f"open until {calendar.market_close_at(now):%H:%M} IST")
    opens = calendar.next_session_open(now)
    return Check("Market", Status.OK, f"closed; next session {opens:%a %d %b %H:%M} IST")


def token_check(settings, now: datetime) -> Check:
    from op_trading.kite.tokens import token_state

    state = token_state(settings, now=now)
    if not state.usable:
        return Check("Kite token", Status.FAILED, f"{state.summary}: collection paused until a login")
    remaining = state.remaining.total_seconds() if state.remaining else 0
    return Check("Kite token", Status.WARN if remaining < TOKEN_WARN_SECONDS else Status.OK, state.summary)


def token_seconds_left(settings, now: datetime) -> float:
    from op_trading.kite.tokens import token_state

    state = token_state(settings, now=now)
    return state.remaining.total_seconds() if state.usable and state.remaining else 0.0


def spool_backlog(settings) -> int:
    """Points waiting in DATA_DIR/spool (files exist only while a sink is or was down, so this stays cheap)."""
    total = 0
    folder = settings.path("DATA_DIR") / "spool"
    if not folder.is_dir():
        return 0
    for path in folder.glob("*/*.lp"):
        try:
            with open(path, encoding="utf-8") as handle:
                total += int(json.loads(handle.readline()[1:])["points"])
        except (OSError, ValueError, KeyError):
            continue
    return total


def backlog_check(settings) -> Check:
    points = spool_backlog(settings)
    if not points:
        return Check("Sink backlog", Status.OK, "nothing spooled")
    return Check("Sink backlog", Status.WARN, f"{points:,} point(s) spooled, replayed when the sink is back")


def disk_check(settings) -> Check:
    folder = settings.path("DATA_DIR")
    probe = next((path for path in (folder, *folder.parents) if path.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    text = f"{free / 1024 ** 3:.1f} GB free for {folder}"
    if free < DISK_FAIL_BYTES:
        return Check("Disk space", Status.FAILED, text)
    return Check("Disk space", Status.WARN if free < DISK_WARN_BYTES else Status.OK, text)


def threads_check(service) -> Check:
    restarts = {name: count for name, count in service.restart_counts().items() if count}
    dead = [name for name, alive in service.components_alive().items() if not alive]
    if dead and not service.stop_event.is_set():
        return Check("Threads", Status.FAILED, f"not running: {', '.join(dead)}")
    if restarts:
        return Check("Threads", Status.WARN, "restarted: " + ", ".join(f"{k} x{v}" for k, v in restarts.items()))
    return Check("Threads", Status.OK, ", ".join(service.components_alive()) or "none")


def notifications_check(notifier) -> Check:
    failed = sum(sender.failed for sender in notifier.senders)
    sent = sum(sender.sent for sender in notifier.senders)
    names = ", ".join(sender.config.name for sender in notifier.senders)
    text = f"{names}: {sent} sent, {failed} failed, {notifier.pending()} queued"
    return Check("Notifications", Status.WARN if failed else Status.OK, text)


def server_checks(settings) -> list[Check]:
    """Storage and cache reachability (the bootstrap's own checks)."""
    from op_trading.services.bootstrap import influx_checks, redis_checks

    checks = []
    if settings["INFLUXDB_URL"] and "influxdb" in settings["STORAGE_SINKS"]:
        checks += [check for check in influx_checks(settings) if check.name.lower().startswith(("influx", "health"))]
    if settings["REDIS_URL"]:
        checks += redis_checks(settings)[:1]
    return checks


def overall(checks: list[Check]) -> Status:
    return max((check.status for check in checks), key=lambda status: STATUS_LEVEL.get(status, 0), default=Status.OK)
