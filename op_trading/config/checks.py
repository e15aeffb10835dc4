"""Runtime rules for values that a field's kind alone cannot judge, named by `Field.check` in the wizard definitions.

Each function takes the parsed value and raises ValueError with a one-line reason when the runtime could not use it;
the wizard, `--set`, `.env` loading and the runtime all run it through `parse_value`. They leave nothing behind: a
folder that does not exist yet is not created, only shown to be creatable (a probe folder is made and removed).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from op_trading import paths


def usable_folder(text: str) -> None:
    """A folder the program can create (when missing) and write in."""
    try:
        _writable_folder(paths.resolve(text), _preview(text))
    except OSError as error:  # e.g. a name longer than the file system allows
        raise ValueError(f"that path is not usable ({error.strerror or type(error).__name__})") from None


def usable_file_location(text: str) -> None:
    """A file path whose folder the program can create and write in, and that is not itself a folder."""
    try:
        target = paths.resolve(text)
        if target.is_dir():
            raise ValueError(f"{_preview(text)} is a folder; give the path of a file")
        _writable_folder(target.parent, _preview(str(Path(text).parent)))
    except OSError as error:
        raise ValueError(f"that path is not usable ({error.strerror or type(error).__name__})") from None


def _writable_folder(folder: Path, shown: str) -> None:
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"{shown} is not writable")
        return
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            raise ValueError(f"{shown} cannot be created: no part of it exists")
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == folder else f"cannot be created: {_short(existing)} is a file"
        raise ValueError(f"{shown} {where}, not a folder")
    probe = existing / f".op-trading-probe-{uuid.uuid4().hex}"  # creatable here? (as root, access() says yes)
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"{shown} cannot be created in {_short(existing)} ({reason})") from None


def _short(path: Path) -> str:
    """A path as the user wrote it: relative to the project home when it is inside it."""
    try:
        return str(path.relative_to(paths.project_home()))
    except ValueError:
        return str(path)


def _preview(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
