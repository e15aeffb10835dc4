"""The command line: menus by default, `--mode X` for a mode's menu, `--auto` for headless runs, and a few
scripting commands that reuse the same menu and wizard definitions."""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from op_trading.outcome import ExitCode

app = typer.Typer(add_completion=False, no_args_is_help=False, rich_markup_mode=None,
                  help="OP Trading Platform: options analytics for Indian index options on Kite Connect.")


class Mode(str, Enum):
    setup = "setup"
    development = "development"
    production = "production"


MODE_HELP = "Open this mode's menu; with --auto run its complete sequence without prompts."
SET_HELP = "KEY=VALUE answers for --auto (repeatable); they take precedence over the environment and .env."


@app.callback(invoke_without_command=True)
def main_menu(ctx: typer.Context,
              mode: Optional[Mode] = typer.Option(None, "--mode", help=MODE_HELP),
              auto: bool = typer.Option(False, "--auto", help="Run without prompts (needs --mode)."),
              set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    if ctx.invoked_subcommand:
        return
    from op_trading.ui.app import run_auto, run_menus

    overrides = _parse_sets(set_)
    if auto:
        if mode is None:
            _usage("--auto needs --mode setup|development|production")
        raise typer.Exit(run_auto(mode.value, overrides))
    raise typer.Exit(run_menus(mode.value if mode else None, overrides))


@app.command("run")
def run_item(item: str = typer.Argument(..., help="Item id path, e.g. setup.requirements (see `tree`)."),
             auto: bool = typer.Option(False, "--auto", help="Run without prompts."),
             set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    """Run one menu item or sequence by its id."""
    from op_trading.ui.app import run_one

    raise typer.Exit(run_one(item, _parse_sets(set_), auto))


@app.command("collect")
def collect(cycles: Optional[int] = typer.Option(None, "--cycles", min=1, help="Stop after this many cycles "
                                                "(default: run on the market schedule until Ctrl-C)."),
            mode: Optional[Mode] = typer.Option(None, "--mode", help="Mode whose profile defaults apply."),
            set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    """Collect index overviews and ATM option legs into the configured storage (the main job)."""
    from op_trading.ui.app import collect_command

    raise typer.Exit(collect_command(cycles, mode.value if mode else None, _parse_sets(set_)))


@app.command("api")
def api(mode: Optional[Mode] = typer.Option(None, "--mode", help="Mode whose profile defaults apply."),
        set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    """Serve the REST API, WebSocket streams and web dashboard over the stored data, without collecting (Ctrl-C
    stops). The running service serves the same on API_PORT by itself."""
    from op_trading.ui.serve import api_command

    raise typer.Exit(api_command(mode.value if mode else None, _parse_sets(set_)))


class ServiceAction(str, Enum):
    install = "install"
    uninstall = "uninstall"
    status = "status"
    run = "run"


@app.command("service")
def service(action: ServiceAction = typer.Argument(..., help="install | uninstall | status | run"),
            yes: bool = typer.Option(False, "--yes", help="install: write the shown file without asking."),
            mode: Optional[Mode] = typer.Option(None, "--mode", help="Mode whose profile defaults apply."),
            set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    """The background service: install it to start at boot and restart on failure (systemd user unit, launchd
    agent or Task Scheduler task), uninstall it, show whether it is installed and running, or run it here."""
    from op_trading.ui.serve import service_command

    raise typer.Exit(service_command(action.value, mode.value if mode else None, _parse_sets(set_), yes))


@app.command("migrate-store")
def migrate_store(set_: List[str] = typer.Option([], "--set", help=SET_HELP, metavar="KEY=VALUE")) -> None:
    """Convert the embedded store to the compact daily-chunk layout, in place (resumable: run it again after an
    interruption; nothing is lost)."""
    from op_trading.config.settings import load_settings
    from op_trading.runtime.store_actions import migrate_store as run

    outcome = run(load_settings(overrides=_parse_sets(set_)),
                  lambda line: typer.echo(line))
    typer.echo(outcome.message, err=not outcome.ok)
    raise typer.Exit(outcome.code())


@app.command("tree")
def tree() -> None:
    """Print every menu item with its number path and id."""
    from op_trading.ui.app import print_tree

    raise typer.Exit(print_tree())


@app.command("status")
def status() -> None:
    """Mode-independent status: configuration problems, Kite token, storage."""
    from op_trading.ui.app import print_status

    raise typer.Exit(print_status())


@app.command("env-template")
def env_template(write: bool = typer.Option(False, "--write", help="Regenerate env-template.txt."),
                 check: bool = typer.Option(False, "--check", help="Exit 1 when env-template.txt is out of date.")) -> None:
    """Print env-template.txt as generated from wizards/environment.py (or --write / --check it)."""
    from op_trading.ui.app import env_template_command

    raise typer.Exit(env_template_command(write, check))


def _parse_sets(pairs: List[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _usage(f"--set expects KEY=VALUE, got {pair!r}")
        overrides[key.strip().upper()] = value
    return overrides


def _usage(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(ExitCode.USAGE)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C before the engine took over (e.g. while Python was still importing)
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(ExitCode.INTERRUPTED)
