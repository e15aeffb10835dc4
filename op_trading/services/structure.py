"""Setup step 3: the project's folders, created idempotently, reported as created or already there."""

from __future__ import annotations

import os
from pathlib import Path

from op_trading import paths
from op_trading.outcome import Check, Outcome, Status, from_checks

# Folders below DATA_DIR and LOG_DIR that the product writes to.
DATA_FOLDERS = ("store", "csv_data", "cache/instruments", "spool", "snapshots", "participants", "debug")
LOG_FOLDERS = ("",)


def project_folders(settings) -> list[Path]:
    data = settings.path("DATA_DIR")
    logs = settings.path("LOG_DIR")
    folders = [data / sub for sub in DATA_FOLDERS] + [logs / sub if sub else logs for sub in LOG_FOLDERS]
    folders.append(settings.path("PARTICIPANT_DATA_DIR"))
    folders.append(settings.path("TOKEN_FILE").parent)
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def create_structure(ctx) -> Outcome:
    checks = []
    # Owner-only like .env: the token folder holds secrets, log lines name users, hosts and paths.
    private = {ctx.settings.path("TOKEN_FILE").parent, ctx.settings.path("LOG_DIR")}
    for folder in project_folders(ctx.settings):
        checks.append(_ensure(folder, private=folder in private))
    created = sum(1 for check in checks if check.detail.startswith("created"))
    return from_checks(checks, f"{created} folder(s) created, {len(checks) - created} already there")


def _ensure(folder: Path, private: bool) -> Check:
    name = _relative(folder)
    existed = folder.is_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if private and os.name == "posix":
            folder.chmod(0o700)
    except OSError as error:
        return Check(name, Status.FAILED, f"cannot create: {error.strerror or error}")
    if not os.access(folder, os.W_OK):
        return Check(name, Status.FAILED, "exists but is not writable")
    return Check(name, Status.OK, "exists" if existed else "created" + (" (owner-only)" if private else ""))


def _relative(folder: Path) -> str:
    try:
        return str(folder.relative_to(paths.project_home()))
    except ValueError:
        return str(folder)
