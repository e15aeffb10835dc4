"""How the app talks to a person: a terminal, piped input, `--auto`, or a test script.

All four share `ConsoleUI`'s rendering; they differ only in where answers come from. Menu choices are always a
plain line (a number then Enter). Field questions use questionary on a real terminal (masked secrets, defaults) and
plain lines otherwise. Ctrl-C at a question becomes `Cancelled` (the engine goes back to the menu); end of input
becomes `Interrupted`, which the engine turns into exit 130.
"""

from __future__ import annotations

import re
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console

from op_trading.context import Cancelled, Interrupted, NoAnswer, Question
from op_trading.ui import render

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_SHOWN = 20
HEADLESS_FRAME_SECONDS = 60.0


def describe_bad_input(text: str) -> str:
    """A short, safe rendering of what was typed, for the one-line error message."""
    if _CONTROL.search(text):
        return "control characters"
    shown = repr(text[:MAX_SHOWN])
    if len(shown) > 3 * MAX_SHOWN:  # escapes (\U0002ebe1) make a repr long
        shown = shown[:3 * MAX_SHOWN] + "'"
    return f"{shown}... ({len(text)} characters)" if len(text) > MAX_SHOWN else shown


class ConsoleUI:
    """Rendering plus line input from stdin; the base of every other UI."""

    interactive = True

    def __init__(self, console: Console, stdin=None) -> None:
        self.console = console
        self.stdin = stdin or sys.stdin

    # -- input -------------------------------------------------------------------------------------------------
    def read_line(self, prompt: str, secret: bool = False) -> str:
        render.line(self.console, prompt, end="")
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            self.console.print()
            raise Cancelled("Ctrl-C") from None
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
            render.line(self.console, f"{error} Try again (Ctrl-C goes back).", "yellow")

    def _ask_once(self, question: Question) -> str:
        shown = _shown_default(question)
        suffix = f" [{shown}]" if shown else ""
        if question.help:
            render.line(self.console, question.help, "dim")
        if question.choices:
            render.line(self.console, f"One of: {', '.join(question.choices)}", "dim")
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
            render.line(self.console, "Please answer y or n.", "yellow")

    # -- output ------------------------------------------------------------------------------------------------
    def notify(self, message: str, style: str = "") -> None:
        render.line(self.console, message, style)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Any]:
        if not self.console.is_terminal:
            render.line(self.console, f"{description} ...")
            yield _PlainProgress(self.console)
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(render.visible(description), total=total)
            yield _RichProgress(bar, task)

    def live(self, frame: Callable[[], Any], refresh_seconds: float, stop: Callable[[], bool] | None = None) -> bool:
        from rich.console import Group
        from rich.live import Live

        def renderable():
            result = frame()
            line = render.status_text(result.status) + render.plain("  " + result.message)
            return Group(line, *(render.checks_table(result.checks) for _ in (0,) if result.checks),
                         *(render.rich_table(t) for t in result.tables))

        try:
            with Live(renderable(), console=self.console, auto_refresh=False) as live:
                while not (stop and stop()):
                    _sleep_until(stop, refresh_seconds)
                    live.update(renderable(), refresh=True)
        except KeyboardInterrupt:
            render.line(self.console, "Stopped (Ctrl-C).", "dim")
            return True
        return False


class TerminalUI(ConsoleUI):
    """A real terminal: field questions through questionary (imported only when a question is asked)."""

    def _ask_once(self, question: Question) -> str:
        import questionary

        shown = _shown_default(question)
        message = render.visible(question.prompt + (f" [{shown}, Enter keeps it]" if shown else ""))
        if question.help:
            render.line(self.console, question.help, "dim")
        if question.secret:
            prompt = questionary.password(message)
        elif question.choices and len(question.choices) <= 12:
            default = question.default if question.default in question.choices else None
            prompt = questionary.select(message, choices=list(question.choices), default=default)
        else:  # erased when answered and shown again through the renderer: a URL's password stays masked
            prompt = questionary.text(message, erase_when_done=True)
            answer = (_ask_safely(prompt) or "").strip()
            kept = "(kept)" if question.default else "(empty)"
            render.line(self.console, f"? {question.prompt}: {answer or kept}", "dim")
            return answer
        return (_ask_safely(prompt) or "").strip()

    def confirm(self, prompt: str, default: bool = False) -> bool:
        import questionary

        return bool(_ask_safely(questionary.confirm(prompt, default=default)))


def _ask_safely(prompt) -> Any:
    """Run a questionary prompt: Ctrl-C cancels the item, end of input interrupts, typed escapes stay harmless.

    Mouse reporting is never switched on, so an "ESC [ 31 m" that reaches prompt_toolkit was typed or pasted; its
    parser reads such text as a mouse report whose default handler raises and prints a traceback. Our binding for
    mouse reports takes precedence over the default one and ignores them.
    """
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from prompt_toolkit.keys import Keys

    ignore_mouse = KeyBindings()
    ignore_mouse.add(Keys.Vt100MouseEvent)(lambda event: None)
    application = prompt.application
    application.key_bindings = merge_key_bindings([b for b in (application.key_bindings, ignore_mouse) if b])
    try:
        return prompt.unsafe_ask()
    except KeyboardInterrupt:
        raise Cancelled("Ctrl-C") from None
    except EOFError:
        raise Interrupted("input closed") from None


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
            render.line(self.console, "Stopped (interrupt).")
            return True


class ScriptedUI(ConsoleUI):
    """Tests: answers come from a list, in order; running out means end of input."""

    def __init__(self, console: Console, answers: list[str]) -> None:
        super().__init__(console)
        self.answers = list(answers)
        self.prompts: list[str] = []

    def read_line(self, prompt: str, secret: bool = False) -> str:
        self.prompts.append(prompt)
        render.line(self.console, prompt, end="")
        if not self.answers:
            self.console.print()
            raise Interrupted("input closed")
        answer = self.answers.pop(0)
        render.line(self.console, "****" if secret else answer)
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
    return render.visible(question.default)  # URL credentials masked, control characters spelled out


class _PlainProgress:
    def __init__(self, console: Console) -> None:
        self.console = console

    def advance(self, steps: float = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        render.line(self.console, f"  {text}")


class _RichProgress:
    def __init__(self, bar, task) -> None:
        self.bar, self.task = bar, task

    def advance(self, steps: float = 1) -> None:
        self.bar.advance(self.task, steps)

    def describe(self, text: str) -> None:
        self.bar.update(self.task, description=render.visible(text))
