"""How the app talks to a person: a terminal, piped input, `--auto`, or a test script.

All four share `ConsoleUI`'s rendering; they differ only in where answers come from. Menu choices are always a
plain line (a number then Enter). Field questions use questionary on a real terminal (masked secrets, defaults) and
plain lines otherwise. Ctrl-C and end of input become `Interrupted`, which the engine turns into exit 130.
"""

from __future__ import annotations

import re
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console

from op_trading.context import Interrupted, NoAnswer, Question
from op_trading.ui import render

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_SHOWN = 20
HEADLESS_FRAME_SECONDS = 60.0


def describe_bad_input(text: str) -> str:
    """A short, safe rendering of what was typed, for the one-line error message."""
    if _CONTROL.search(text):
        return "control characters"
    if len(text) > MAX_SHOWN:
        return f"{text[:MAX_SHOWN]!r}... ({len(text)} characters)"
    return repr(text)


class ConsoleUI:
    """Rendering plus line input from stdin; the base of every other UI."""

    interactive = True

    def __init__(self, console: Console, stdin=None) -> None:
        self.console = console
        self.stdin = stdin or sys.stdin

    # -- input -------------------------------------------------------------------------------------------------
    def read_line(self, prompt: str, secret: bool = False) -> str:
        self.console.print(prompt, end="")
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        if line == "":
            self.console.print()
            raise Interrupted("input closed")
        if not self.stdin.isatty():
            self.console.print()  # piped input is not echoed; keep the transcript readable
        return line.rstrip("\r\n")

    def ask(self, question: Question) -> str:
        while True:
            answer = self._ask_once(question)
            if answer == "" and question.default is not None:
                answer = question.default
            error = question.validate(answer) if question.validate else None
            if error is None:
                return answer
            self.console.print(f"[yellow]{error}[/] Try again (Ctrl-C to leave).")

    def _ask_once(self, question: Question) -> str:
        shown = _shown_default(question)
        suffix = f" [{shown}]" if shown else ""
        if question.help:
            self.console.print(f"[dim]{question.help}[/]")
        if question.choices:
            self.console.print(f"[dim]One of: {', '.join(question.choices)}[/]")
        return self.read_line(f"{question.prompt}{suffix}: ", secret=question.secret).strip()

    def confirm(self, prompt: str, default: bool = False) -> bool:
        hint = "Y/n" if default else "y/N"
        while True:
            answer = self.read_line(f"{prompt} [{hint}]: ").strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self.console.print("[yellow]Please answer y or n.[/]")

    # -- output ------------------------------------------------------------------------------------------------
    def notify(self, message: str) -> None:
        self.console.print(message)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Any]:
        if not self.console.is_terminal:
            self.console.print(f"{description} ...")
            yield _PlainProgress(self.console)
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield _RichProgress(bar, task)

    def live(self, frame: Callable[[], Any], refresh_seconds: float, stop: Callable[[], bool] | None = None) -> bool:
        from rich.console import Group
        from rich.live import Live
        from rich.text import Text

        def renderable():
            result = frame()
            line = render.status_text(result.status) + Text("  " + result.message)
            return Group(line, *(render.checks_table(result.checks) for _ in (0,) if result.checks),
                         *(render.rich_table(t) for t in result.tables))

        try:
            with Live(renderable(), console=self.console, auto_refresh=False) as live:
                while not (stop and stop()):
                    _sleep_until(stop, refresh_seconds)
                    live.update(renderable(), refresh=True)
        except KeyboardInterrupt:
            self.console.print("[dim]Stopped (Ctrl-C).[/]")
            return True
        return False


class TerminalUI(ConsoleUI):
    """A real terminal: field questions through questionary (imported only when a question is asked)."""

    def _ask_once(self, question: Question) -> str:
        import questionary

        shown = _shown_default(question)
        message = question.prompt + (f" [{shown}, Enter keeps it]" if shown else "")
        if question.help:
            self.console.print(f"[dim]{question.help}[/]")
        if question.secret:
            prompt = questionary.password(message)
        elif question.choices and len(question.choices) <= 12:
            default = question.default if question.default in question.choices else None
            prompt = questionary.select(message, choices=list(question.choices), default=default)
        else:
            prompt = questionary.text(message)
        try:
            answer = prompt.unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            raise Interrupted("interrupted") from None
        return (answer or "").strip()

    def confirm(self, prompt: str, default: bool = False) -> bool:
        import questionary

        try:
            return bool(questionary.confirm(prompt, default=default).unsafe_ask())
        except (KeyboardInterrupt, EOFError):
            raise Interrupted("interrupted") from None


class HeadlessUI(ConsoleUI):
    """`--auto`: never waits for a person. Questions take their default; without one they raise NoAnswer."""

    interactive = False

    def read_line(self, prompt: str, secret: bool = False) -> str:
        raise NoAnswer(prompt.rstrip(": "))

    def ask(self, question: Question) -> str:
        if question.default is None:
            raise NoAnswer(question.prompt)
        error = question.validate(question.default) if question.validate else None
        if error:
            raise NoAnswer(error)
        return question.default

    def confirm(self, prompt: str, default: bool = False) -> bool:
        return default

    def live(self, frame, refresh_seconds, stop=None) -> bool:
        """Headless runs print a frame as plain tables now and then (a log, not a screen) and the last one."""
        every = max(refresh_seconds, HEADLESS_FRAME_SECONDS)
        try:
            while True:
                render.outcome(self.console, frame())
                if _sleep_until(stop, every):
                    render.outcome(self.console, frame())
                    return False
        except KeyboardInterrupt:
            self.console.print("Stopped (interrupt).")
            return True


class ScriptedUI(ConsoleUI):
    """Tests: answers come from a list, in order; running out means end of input."""

    def __init__(self, console: Console, answers: list[str]) -> None:
        super().__init__(console)
        self.answers = list(answers)
        self.prompts: list[str] = []

    def read_line(self, prompt: str, secret: bool = False) -> str:
        self.prompts.append(prompt)
        self.console.print(prompt, end="")
        if not self.answers:
            self.console.print()
            raise Interrupted("input closed")
        answer = self.answers.pop(0)
        self.console.print("****" if secret else answer)
        return answer


def _sleep_until(stop: Callable[[], bool] | None, seconds: float) -> bool:
    """Sleep up to `seconds`, waking early when `stop()` turns true; returns whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop and stop():
            return True
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    return bool(stop and stop())


def _shown_default(question: Question) -> str:
    if question.default in (None, ""):
        return ""
    if question.secret:
        from op_trading.config.fields import mask

        return mask(question.default) or "set"
    return question.default


class _PlainProgress:
    def __init__(self, console: Console) -> None:
        self.console = console

    def advance(self, steps: float = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        self.console.print(f"  {text}")


class _RichProgress:
    def __init__(self, bar, task) -> None:
        self.bar, self.task = bar, task

    def advance(self, steps: float = 1) -> None:
        self.bar.advance(self.task, steps)

    def describe(self, text: str) -> None:
        self.bar.update(self.task, description=text)
