"""What every action receives: the mode, the settings, and a way to talk to the user that it does not own.

Actions never print or read; when they need an answer, a confirmation, a progress bar or a live view they go
through `ctx.ui`, which the engine implements for a terminal, for piped input, for `--auto` and for tests.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from op_trading.config.settings import Settings, load_settings


class Interrupted(Exception):
    """The user pressed Ctrl-C at a menu or closed input; the engine exits with 130 after current writes finish."""


class Cancelled(Interrupted):
    """Ctrl-C at a question: the item stops (what it was asking is not saved) and its menu shows again.

    Where no menu is on screen (`run <item>`, `--auto`) it counts as an interruption like any other (exit 130).
    """


class NoAnswer(Exception):
    """Headless run with no value for a question that needs one."""


@dataclass(frozen=True)
class Question:
    prompt: str
    default: str | None = None
    secret: bool = False
    help: str = ""
    # Returns an error line for a bad answer, or None when the answer is acceptable.
    validate: Callable[[str], str | None] | None = None
    choices: tuple[str, ...] = ()


class Progress(Protocol):
    def advance(self, steps: float = 1) -> None: ...

    def describe(self, text: str) -> None: ...


class Interaction(Protocol):
    interactive: bool

    def ask(self, question: Question) -> str: ...

    def confirm(self, prompt: str, default: bool = False) -> bool: ...

    def notify(self, message: str) -> None: ...

    def progress(self, description: str, total: float | None = None) -> AbstractContextManager[Progress]: ...

    def live(self, frame: Callable[[], Any], refresh_seconds: float, stop: Callable[[], bool] | None = None) -> bool:
        """Show `frame()` (an Outcome) again every `refresh_seconds` until Ctrl-C or `stop()` is true.
        Returns True when the user stopped it with Ctrl-C."""
        ...


@dataclass
class RunContext:
    mode: str | None
    settings: Settings
    ui: Interaction
    auto: bool = False
    overrides: dict[str, str] = field(default_factory=dict)

    def reload(self) -> Settings:
        """Settings again after an action wrote `.env` (same overrides, same mode)."""
        self.settings = load_settings(self.mode, self.overrides)
        return self.settings
