"""The menu engine: shows a tree from `menus/`, reads choices, runs items, renders what they return.

It is the only place that decides numbering (order), Back/Exit (`0`), what happens on bad input (one line and the
same menu), which items are unavailable and why, and how sequences run. Items never print; they return Outcomes.
"""

from __future__ import annotations

import logging
import re

from op_trading import PRODUCT_NAME, __version__
from op_trading.actions import resolve
from op_trading.config.settings import load_settings
from op_trading.context import Cancelled, Interrupted, NoAnswer, RunContext
from op_trading.kite.tokens import token_state
from op_trading.outcome import ExitCode, Outcome, Status, failed, skipped
from op_trading.ui import render
from op_trading.ui.io import ConsoleUI, describe_bad_input
from op_trading.ui.model import Configure, Leaf, Menu, Node, Sequence, find, resolve_step, visible

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"[0-9]{1,4}")
MODES = ("setup", "development", "production")


class Engine:
    def __init__(self, root: Menu, ui: ConsoleUI, mode: str | None = None, overrides: dict | None = None,
                 auto: bool = False) -> None:
        self.root = root
        self.ui = ui
        self.ctx = RunContext(mode, load_settings(mode, overrides), ui, auto, dict(overrides or {}))
        self._logging = False

    def start_logging(self) -> None:
        """Log to LOG_DIR from the first item that runs on (drawing menus logs nothing and needs no log file)."""
        if not self._logging:
            from op_trading.logs import setup_logging

            setup_logging(self.ctx.settings)
            self._logging = True

    # -- interactive -------------------------------------------------------------------------------------------
    def browse(self, start: str = "") -> ExitCode:
        """Menus until the user leaves with 0 at the root. Returns the exit code for the process."""
        stack: list[tuple[str, Menu]] = [("", self.root)]
        if start:
            stack.append((start, find(self.root, start)))
        while True:
            path, menu = stack[-1]
            self._set_mode(path)
            choice = self._choose(path, menu, at_root=len(stack) == 1)
            if choice == 0:
                if len(stack) == 1:
                    return ExitCode.OK
                stack.pop()
                continue
            item = visible(menu)[choice - 1]
            item_path = f"{path}.{item.id}" if path else item.id
            if isinstance(item, Menu):
                stack.append((item_path, item))
                continue
            reason = self.unmet(item)
            if reason:
                self.ui.notify(f"'{item.title}' is not available: {reason}.", "yellow")
                continue
            try:
                result = self.run_path(item_path)
            except Cancelled:
                self.ui.notify(f"'{item.title}' cancelled (Ctrl-C); nothing it was asking was saved.", "yellow")
                continue
            if not isinstance(item, Sequence):
                render.outcome(self.ui.console, result, item.title)

    def _choose(self, path: str, menu: Menu, at_root: bool) -> int:
        items = visible(menu)
        count = len(items)
        self._show(menu, items, at_root, with_header=True)
        while True:
            try:
                text = self.ui.read_line(f"Choose 0-{count}: ")
            except Cancelled:  # Ctrl-C at a menu leaves the program (exit 130); at a question it only goes back
                raise Interrupted("Ctrl-C") from None
            stripped = text.strip()
            if _NUMBER.fullmatch(stripped) and int(stripped) <= count:
                return int(stripped)
            self.ui.notify(self._bad_choice(stripped, count), "yellow")
            self._show(menu, items, at_root, with_header=False)

    @staticmethod
    def _bad_choice(text: str, count: int) -> str:
        allowed = f"type a number from 0 to {count} and press Enter"
        if not text:
            return f"Nothing entered: {allowed}."
        if _NUMBER.fullmatch(text):
            return f"{int(text)} is not on this menu: {allowed}."
        return f"{describe_bad_input(text)} is not a menu number: {allowed}."

    def _show(self, menu: Menu, items: tuple[Node, ...], at_root: bool, with_header: bool) -> None:
        if with_header:
            render.header(self.ui.console, self.header_parts())
        lines = [(str(n), item.title, self.unmet(item)) for n, item in enumerate(items, start=1)]
        lines.append(("0", "Exit" if at_root else "Back", ""))
        render.menu(self.ui.console, menu.title, lines, menu.help)

    def header_parts(self) -> list[tuple[str, str]]:
        settings = self.ctx.settings
        source = settings["DATA_SOURCE_MODE"]
        storage = ", ".join(settings["STORAGE_SINKS"]) or "embedded"
        return [("", f"{PRODUCT_NAME} {__version__}"), ("mode", self.ctx.mode or "-"),
                ("data", "mock (simulator)" if source == "mock" else source),
                ("token", token_summary(settings)), ("storage", storage)]

    def _set_mode(self, path: str) -> None:
        mode = path.split(".", 1)[0] if path else None
        if mode in MODES and mode != self.ctx.mode:
            self.ctx.mode = mode
            self.ctx.reload()

    # -- running items -----------------------------------------------------------------------------------------
    def unmet(self, node: Node) -> str:
        """Why an item cannot run now ("" when it can)."""
        if not isinstance(node, Leaf):
            return ""
        for need in node.requires:
            if need == "token":
                state = token_state(self.ctx.settings)
                if not state.usable:
                    return (f"needs a valid Kite token (token {state.summary}): log in with "
                            "Production > Kite Connect authentication setup")
            elif self.ctx.settings.values.get(need) in (None, "", []):
                return f"needs {need}: set it in Setup > Environment configuration wizard"
        return ""

    def run_path(self, path: str) -> Outcome:
        self.start_logging()
        node = find(self.root, path)
        if isinstance(node, Menu):
            raise ValueError(f"{path} is a menu, not an item that runs")
        if isinstance(node, Sequence):
            return self._run_sequence(path, node)
        return self._run_item(path, node)

    def _run_item(self, path: str, node: Leaf | Configure) -> Outcome:
        if isinstance(node, Configure):
            action, params = resolve("config.edit"), {"fields": node.fields, "only_if": node.only_if,
                                                      "note": node.note, "save_overrides": node.save_overrides}
        else:
            action, params = resolve(node.action), dict(node.params)
        try:
            result = action(self.ctx, **params)
        except (Interrupted, KeyboardInterrupt):
            raise
        except NoAnswer as missing:
            result = failed(f"needs an answer that --auto cannot give: {missing}", exit_code=ExitCode.USAGE)
        except Exception as error:  # one line for the user; the traceback goes to the log file only
            log.exception("item %s failed", path)
            result = failed(f"{type(error).__name__}: {error}")
        log.info("item %s -> %s: %s", path, result.status.value, result.message)
        self.ctx.reload()
        return result

    def _run_sequence(self, path: str, sequence: Sequence) -> Outcome:
        menu_path = path.rsplit(".", 1)[0] if "." in path else ""
        steps: list[tuple[str, Outcome]] = []
        stopped = False
        for step in sequence.steps:
            step_path = resolve_step(self.root, menu_path, step)
            node = find(self.root, step_path)
            title = node.title
            reason = self.unmet(node)
            if stopped:
                result = skipped("not run: an earlier step failed")
            elif reason:
                result = skipped(reason)
            else:
                result = self.run_path(step_path)
            if not isinstance(node, Sequence):
                render.outcome(self.ui.console, result, title)
            steps.append((title, result))
            stopped = stopped or (sequence.stop_on_failure and result.status is Status.FAILED)
        render.summary(self.ui.console, sequence.title, steps)
        return combine(sequence.title, steps)


def combine(title: str, steps: list[tuple[str, Outcome]]) -> Outcome:
    """One outcome for a sequence: the worst step decides the status; special exit codes survive."""
    failures = [name for name, result in steps if result.status is Status.FAILED]
    codes = {result.exit_code for _, result in steps if result.exit_code is not None}
    exit_code = next((code for code in (ExitCode.INTERRUPTED, ExitCode.AUTH_REQUIRED, ExitCode.USAGE)
                      if code in codes), None)
    if failures:
        return Outcome(Status.FAILED, f"{len(failures)} of {len(steps)} steps failed: {', '.join(failures)}",
                       exit_code=exit_code)
    skipped = [name for name, result in steps if result.status is Status.SKIPPED]
    done = f"all {len(steps)} steps done" if not skipped else \
        f"{len(steps) - len(skipped)} of {len(steps)} steps done, skipped: {', '.join(skipped)}"
    warned = [name for name, result in steps if result.status is Status.WARN]
    if warned:
        return Outcome(Status.WARN, f"{done}; warnings in: {', '.join(warned)}", exit_code=exit_code)
    return Outcome(Status.OK, done, exit_code=exit_code)


def token_summary(settings) -> str:
    """The Kite token state for the header; cheap (reads one small file, imports no Kite client)."""
    return token_state(settings).summary
