"""A disk queue of line-protocol batches that a server did not take, replayed oldest first when it is back.

One file per batch, written atomically (temporary file + rename), so a crash leaves either the whole batch or
nothing; a batch is deleted only after the server has accepted it. File names sort in arrival order.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from op_trading.fileio import atomic_write_text

log = logging.getLogger(__name__)

SUFFIX = ".lp"
REJECTED = "rejected"


class SpoolFull(RuntimeError):
    """The spool reached its size limit; the batch was not kept."""


@dataclass(frozen=True)
class SpooledBatch:
    path: Path
    bucket: str
    body: str
    points: int


class Spool:
    def __init__(self, folder: Path | str, max_bytes: int) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._sequence = 0
        self._remove_stale_temporaries()
        self._bytes = sum(path.stat().st_size for path in self.pending())  # kept up to date by put/remove

    def put(self, bucket: str, lines: list[str]) -> Path:
        header = json.dumps({"bucket": bucket, "points": len(lines)})
        text = "#" + header + "\n" + "\n".join(lines) + "\n"
        size = len(text.encode("utf-8"))
        if self._bytes + size > self.max_bytes:
            raise SpoolFull(f"spool {self.folder} would exceed {self.max_bytes // (1024 * 1024)} MB")
        self._sequence += 1
        path = self.folder / f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}{SUFFIX}"
        atomic_write_text(path, text)
        self._bytes += size
        return path

    def pending(self) -> list[Path]:
        return sorted(path for path in self.folder.glob(f"*{SUFFIX}") if not path.name.startswith("."))

    def read(self, path: Path) -> SpooledBatch:
        text = path.read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        meta = json.loads(header[1:])
        return SpooledBatch(path, meta["bucket"], body.rstrip("\n"), int(meta["points"]))

    def remove(self, batch: SpooledBatch) -> None:
        self._bytes -= _size(batch.path)
        batch.path.unlink(missing_ok=True)

    def reject(self, batch: SpooledBatch, reason: str) -> Path:
        """Set aside a batch the server refuses for good (e.g. a field type conflict) so it blocks no others."""
        folder = self.folder / REJECTED
        folder.mkdir(exist_ok=True)
        target = folder / batch.path.name
        self._bytes -= _size(batch.path)
        os.replace(batch.path, target)
        atomic_write_text(target.with_suffix(".reason.txt"), reason + "\n")
        log.error("spooled batch %s rejected by the server and set aside: %s", batch.path.name, reason)
        return target

    def size_bytes(self) -> int:
        return self._bytes

    def pending_points(self) -> int:
        total = 0
        for path in self.pending():
            with open(path, encoding="utf-8") as handle:  # the header line says how many; no need for the rest
                total += int(json.loads(handle.readline()[1:])["points"])
        return total

    def _remove_stale_temporaries(self) -> None:
        for path in self.folder.glob(".*.tmp"):  # left by a crash inside atomic_write_text
            path.unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
