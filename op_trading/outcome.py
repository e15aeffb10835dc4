"""What an action returns: a status, one message, and details the engine renders. Actions never print.

Exit codes follow SPEC §4.1 and are shared by the interactive engine and `--auto`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2  # usage or configuration error, e.g. missing required values
    AUTH_REQUIRED = 3  # Kite token missing, expired or invalid
    INTERRUPTED = 130


class Status(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def worst_first(self) -> int:
        return {"failed": 0, "warn": 1, "skipped": 2, "ok": 3}[self.value]


@dataclass(frozen=True)
class Check:
    """One line of a step's report: what was checked, how it went, and why."""

    name: str
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    checks: tuple[Check, ...] = ()
    tables: tuple[Table, ...] = ()
    exit_code: ExitCode | None = None  # set when the outcome needs a specific code (e.g. 2 or 3)
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable results for callers and tests

    @property
    def ok(self) -> bool:
        return self.status in (Status.OK, Status.WARN, Status.SKIPPED)

    def code(self) -> ExitCode:
        if self.exit_code is not None:
            return self.exit_code
        return ExitCode.OK if self.ok else ExitCode.FAILED


def ok(message: str, **kwargs: Any) -> Outcome:
    return Outcome(Status.OK, message, **kwargs)


def warn(message: str, **kwargs: Any) -> Outcome:
    return Outcome(Status.WARN, message, **kwargs)


def failed(message: str, **kwargs: Any) -> Outcome:
    return Outcome(Status.FAILED, message, **kwargs)


def skipped(message: str, **kwargs: Any) -> Outcome:
    return Outcome(Status.SKIPPED, message, **kwargs)


def from_checks(checks: list[Check] | tuple[Check, ...], message: str, **kwargs: Any) -> Outcome:
    """An outcome whose status is the worst of its checks (a failed line fails the step, a warning warns)."""
    statuses = [check.status for check in checks] or [Status.OK]
    worst = min(statuses, key=lambda status: status.worst_first)
    status = Status.OK if worst is Status.SKIPPED else worst
    if status in (Status.WARN, Status.FAILED):
        names = [check.name for check in checks if check.status is status]
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        message = f"{message}; {'failed' if status is Status.FAILED else 'warnings'}: {shown}"
    return Outcome(status, message, checks=tuple(checks), **kwargs)
