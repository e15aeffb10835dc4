"""Writing files so that an interruption never leaves half a file behind.

A write goes to a temporary file beside the target (`.NAME.XXXX.tmp`, owner-only from the moment it exists, since
it may hold the same secret the target holds), which then replaces the target. A process killed between the two
leaves that temporary file behind; `remove_stale_temp_files` clears such leftovers when the program starts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"
STALE_AFTER_SECONDS = 5.0  # a younger temp file may be another process's write in progress (they take milliseconds)


def atomic_write_text(path: Path, text: str, private: bool = False) -> None:
    """Write via a temporary file in the same folder, then replace: readers see the old or the new file, never half.

    `private` asks for owner-only permissions where the OS has them (the file may hold secrets). The temporary file
    is owner-only in every case (mkstemp creates it so) and removed when the write fails or is interrupted.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        if private and os.name == "posix":
            os.chmod(temp_name, 0o600)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any, private: bool = False) -> None:
    import json

    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", private=private)


def is_temp_file(path: Path) -> bool:
    """A name `atomic_write_text` gives its temporary files."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def remove_stale_temp_files(folder: Path, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Delete temporary files a killed write left in `folder` (not below it); returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    cutoff = time.time() - older_than
    for entry in entries:
        path = Path(entry.path)
        try:
            if is_temp_file(path) and entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove: the next start tries again
    return removed
