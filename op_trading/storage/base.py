"""What every sink promises: write points, say exactly what happened to them, flush, close.

A write never raises for a server or disk problem and never pretends: its `WriteResult` counts what was written,
what was spooled to disk for a later replay, what failed (with the reason) and what the sink does not store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Sequence, runtime_checkable

from op_trading.storage.point import Point


@dataclass(frozen=True)
class WriteResult:
    sink: str
    written: int = 0
    spooled: int = 0  # kept on disk; replayed when the server is back
    failed: int = 0  # lost or rejected; `reason` says why
    skipped: int = 0  # points this sink does not store (e.g. the CSV writer keeps only option legs)
    reason: str = ""
    replayed: int = 0  # spooled points from earlier writes delivered during this call

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def delivered(self) -> bool:
        """Everything handed over is stored now (nothing waiting in a spool, nothing failed)."""
        return self.failed == 0 and self.spooled == 0

    def summary(self) -> str:
        parts = [f"{self.written} written"]
        for label, count in (("replayed", self.replayed), ("spooled", self.spooled), ("failed", self.failed),
                             ("skipped", self.skipped)):
            if count:
                parts.append(f"{count} {label}")
        text = f"{self.sink}: " + ", ".join(parts)
        return f"{text} ({self.reason})" if self.reason else text


@runtime_checkable
class Sink(Protocol):
    name: str

    def write(self, points: Sequence[Point]) -> WriteResult: ...

    def flush(self) -> WriteResult: ...

    def close(self) -> None: ...


@runtime_checkable
class Reader(Protocol):
    def query(self, measurement: str, start: datetime | None = None, end: datetime | None = None,
              tags: dict[str, str] | None = None, fields: list[str] | None = None) -> list[dict[str, Any]]: ...

    def latest(self, measurement: str, tags: dict[str, str] | None = None) -> dict[str, Any] | None: ...
