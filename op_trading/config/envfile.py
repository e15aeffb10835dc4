"""Reading and updating `.env` without losing anything the user wrote.

Updates change the lines of the keys given, in place, and append new keys at the end; comments, blank lines and
keys we do not know stay as they were. The previous file is kept as `.env.bak`. The new text goes to a temporary
file in the same folder that then replaces `.env`, so an interrupted write leaves the old file whole.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:,@+\-]*$")


def read_env(path: Path) -> dict[str, str]:
    """Keys and values of a .env file (missing file: empty). Values are taken literally as python-dotenv parses them."""
    if not path.exists():
        return {}
    from dotenv import dotenv_values

    return {key: value or "" for key, value in dotenv_values(path, interpolate=False).items()}


def quote(value: str) -> str:
    """The .env spelling of a value that python-dotenv reads back unchanged."""
    if _PLAIN.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def duplicate_keys(text: str) -> dict[str, list[int]]:
    """Keys assigned more than once, with their line numbers (1-based). python-dotenv lets the last one count."""
    seen: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ASSIGNMENT.match(line)
        if match:
            seen.setdefault(match.group(1), []).append(number)
    return {key: numbers for key, numbers in seen.items() if len(numbers) > 1}


def render_updates(old_text: str, updates: Mapping[str, str]) -> str:
    """The text of the file with the given keys set; other lines untouched.

    A key that was assigned more than once ends up with one line (the first place, with the new value): a later
    duplicate would otherwise override what was just saved."""
    pending = dict(updates)
    lines = old_text.splitlines()
    for number, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in updates:
            key = match.group(1)
            lines[number] = f"{key}={quote(pending.pop(key))}" if key in pending else None
    lines = [line for line in lines if line is not None]
    if pending:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend(f"{key}={quote(value)}" for key, value in pending.items())
    return "\n".join(lines) + "\n"


def update_env(path: Path, updates: Mapping[str, str]) -> Path | None:
    """Set keys in a .env file atomically. Returns the backup path when there was a previous file."""
    from op_trading.fileio import atomic_write_text  # tempfile and shutil are not needed to draw a menu

    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    new_text = render_updates(old_text, updates)
    backup = None
    if path.exists():
        backup = path.with_name(path.name + ".bak")
        atomic_write_text(backup, old_text, private=True)
    atomic_write_text(path, new_text, private=True)
    return backup
