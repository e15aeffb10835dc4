"""What each command-line entry does: pick the UI for the situation, run the engine, map results to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

from op_trading.context import Interrupted
from op_trading.outcome import ExitCode
from op_trading.ui import render
from op_trading.ui.io import ConsoleUI, HeadlessUI, TerminalUI


def _console():
    return render.make_console()


def _interactive_ui(console) -> ConsoleUI:
    return TerminalUI(console) if sys.stdin.isatty() and console.is_terminal else ConsoleUI(console)


def _engine(ui, mode, overrides, auto=False):
    from menus import ROOT
    from op_trading.ui.engine import Engine

    engine = Engine(ROOT, ui, mode, overrides, auto)
    _remove_leftovers(engine.ctx.settings)
    return engine


def _remove_leftovers(settings) -> None:
    """Temporary files a killed write left beside `.env` or the token store (they may hold a secret)."""
    from op_trading import paths
    from op_trading.fileio import remove_stale_temp_files

    for folder in {paths.project_home(), settings.path("TOKEN_FILE").parent}:
        remove_stale_temp_files(folder)


def _interrupted(console, reason: str) -> ExitCode:
    render.line(console, f"\nInterrupted ({reason}). Nothing half-written was left behind.")
    return ExitCode.INTERRUPTED


def run_menus(mode: str | None, overrides: dict[str, str]) -> int:
    console = _console()
    if overrides and _refuse_bad_overrides(console, mode, overrides):
        return ExitCode.USAGE
    engine = _engine(_interactive_ui(console), mode, overrides)
    for message in engine.ctx.settings.errors.values():  # said once, before the menu, not on every screen
        render.line(console, f"Configuration problem: {message}", "yellow")
    for message in engine.ctx.settings.warnings:
        render.line(console, f"Configuration warning: {message}", "yellow")
    try:
        code = engine.browse(mode or "")
    except (Interrupted, KeyboardInterrupt) as stop:
        return _interrupted(console, str(stop) or "Ctrl-C")
    render.line(console, "Bye.")
    return code


def _refuse_bad_overrides(console, mode: str | None, overrides: dict[str, str]) -> bool:
    """`--set` values that are unknown or invalid, one line each; True when there were any."""
    from op_trading.config.settings import load_settings, unknown_override_keys

    problems = [f"--set {key}: not a known setting (see env-template.txt)" for key in unknown_override_keys(overrides)]
    settings = load_settings(mode, overrides)
    problems += [message for name, message in settings.errors.items() if name in overrides]
    for problem in problems:
        render.line(console, f"Configuration problem: {problem}")
    return bool(problems)


def _show_warnings(console, mode: str | None, overrides: dict[str, str]) -> None:
    from op_trading.config.settings import load_settings

    for message in load_settings(mode, overrides).warnings:
        render.line(console, f"Configuration warning: {message}")


def configuration_problems(mode: str | None, overrides: dict[str, str]) -> list[str]:
    """Everything that stops a headless run before it starts, all at once."""
    from op_trading.config.settings import load_settings, unknown_override_keys

    problems = [f"--set {key}: not a known setting (see env-template.txt)" for key in unknown_override_keys(overrides)]
    settings = load_settings(mode, overrides)
    problems += list(settings.errors.values())
    problems += [f"{name} is required for {mode} mode: pass --set {name}=... or put it in .env"
                 for name in settings.missing(mode)]
    return problems


def run_auto(mode: str, overrides: dict[str, str]) -> int:
    console = _console()
    problems = configuration_problems(mode, overrides)
    if problems:
        render.line(console, f"Cannot run {mode} --auto; fix these first:")
        for problem in problems:
            render.line(console, f"  - {problem}")
        return ExitCode.USAGE
    _show_warnings(console, mode, overrides)
    engine = _engine(HeadlessUI(console), mode, overrides, auto=True)
    try:
        result = engine.run_path(f"{mode}.all")
    except (Interrupted, KeyboardInterrupt) as stop:
        return _interrupted(console, str(stop) or "Ctrl-C")
    render.outcome(console, result, f"{mode} --auto")
    return result.code()


def run_one(path: str, overrides: dict[str, str], auto: bool) -> int:
    from menus import ROOT
    from op_trading.ui.model import Menu, find

    console = _console()
    try:
        node = find(ROOT, path)
    except KeyError:
        render.line(console, f"No item {path!r}; `python op_trading_setup.py tree` lists them.")
        return ExitCode.USAGE
    if isinstance(node, Menu):
        render.line(console, f"{path!r} is a menu; run one of its items (see `tree`).")
        return ExitCode.USAGE
    mode = path.split(".", 1)[0]
    mode = mode if mode in ("setup", "development", "production") else None
    if overrides and _refuse_bad_overrides(console, mode, overrides):
        return ExitCode.USAGE
    ui = HeadlessUI(console) if auto else _interactive_ui(console)
    engine = _engine(ui, mode, overrides, auto)
    reason = engine.unmet(node)
    if reason:
        render.line(console, f"'{node.title}' is not available: {reason}.")
        return ExitCode.USAGE
    try:
        result = engine.run_path(path)
    except (Interrupted, KeyboardInterrupt) as stop:
        return _interrupted(console, str(stop) or "Ctrl-C")
    render.outcome(console, result, node.title)
    return result.code()


def collect_command(cycles: int | None, mode: str | None, overrides: dict[str, str]) -> int:
    from op_trading.runtime.actions import collect

    console = _console()
    problems = configuration_problems(mode, overrides)
    if problems:
        for problem in problems:
            render.line(console, f"Configuration problem: {problem}")
        return ExitCode.USAGE
    _show_warnings(console, mode, overrides)
    engine = _engine(HeadlessUI(console), mode, overrides, auto=True)
    engine.start_logging()
    result = collect(engine.ctx, cycles=cycles)
    render.outcome(console, result, "collect")
    return result.code()


def print_tree() -> int:
    from menus import ROOT
    from op_trading.ui.model import Menu, visible

    console = _console()

    def show(menu: Menu, numbers: str, path: str, depth: int) -> None:
        for number, item in enumerate(visible(menu), start=1):
            item_path = f"{path}.{item.id}" if path else item.id
            label = f"{numbers}{number}"
            text = render.plain(f"{'  ' * depth}{label:<8} {item.title}  ")
            text.append(render.visible(f"({item_path})"), style="dim")
            console.print(text)
            if isinstance(item, Menu):
                show(item, f"{label}.", item_path, depth + 1)

    show(ROOT, "", "", 0)
    return ExitCode.OK


def print_status() -> int:
    from op_trading.config.settings import load_settings
    from op_trading.ui.engine import token_summary

    console = _console()
    settings = load_settings()
    render.line(console, f"Kite token: {token_summary(settings)}")
    storage = ", ".join(settings["STORAGE_SINKS"])
    render.line(console, f"Data source: {settings['DATA_SOURCE_MODE']}; storage: {storage}")
    from op_trading.runtime.install import service_file, status as service_status

    render.line(console, f"Background service: {service_status(settings, service_file()).message}")
    for message in settings.errors.values():
        render.line(console, f"Configuration problem: {message}")
    for message in settings.warnings:
        render.line(console, f"Configuration warning: {message}")
    return ExitCode.FAILED if settings.errors else ExitCode.OK


def env_template_command(write: bool, check: bool) -> int:
    """The template and the README's configuration reference (from wizards/environment.py) and storage schema."""
    from op_trading.config.template import render_template, replace_reference
    from op_trading.fileio import atomic_write_text
    from op_trading.storage.schema_doc import replace_schema

    text = render_template()
    root = Path(__file__).resolve().parents[2]
    template, readme = root / "env-template.txt", root / "README.md"
    readme_text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    wanted = {template: text}
    if readme_text:
        wanted[readme] = replace_schema(replace_reference(readme_text))
    if write:
        for path, content in wanted.items():
            atomic_write_text(path, content)
            sys.stdout.write(f"wrote {path}\n")
        return ExitCode.OK
    if check:
        stale = [path.name for path, content in wanted.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != content]
        sys.stdout.write(f"out of date: {', '.join(stale)}; run --write\n" if stale else "up to date\n")
        return ExitCode.FAILED if stale else ExitCode.OK
    sys.stdout.write(text)
    return ExitCode.OK
