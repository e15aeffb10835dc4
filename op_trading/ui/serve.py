"""The `api` command's terminal side: check the configuration, serve the API over the store, say where, and render
how it ended (the serving itself is `op_trading.api.server.serve_store`)."""

from __future__ import annotations

from op_trading.outcome import ExitCode
from op_trading.ui import render


def api_command(mode: str | None, overrides: dict[str, str]) -> int:
    from op_trading.api.server import serve_store
    from op_trading.config.settings import load_settings
    from op_trading.ui.app import configuration_problems

    console = render.make_console()
    problems = [problem for problem in configuration_problems(mode, overrides) if "required for" not in problem]
    if problems:  # the API reads the store: Kite credentials are not needed for it
        for problem in problems:
            console.print(f"Configuration problem: {problem}", markup=False)
        return ExitCode.USAGE
    result = serve_store(load_settings(mode, overrides), lambda line: console.print(line, markup=False))
    render.outcome(console, result, "api")
    return result.code()


def service_command(action: str, mode: str | None, overrides: dict[str, str], assume_yes: bool = False) -> int:
    """`service install|uninstall|status|run`: the background service's terminal side."""
    from op_trading.config.settings import load_settings
    from op_trading.runtime.install import service_command as run_action

    console = render.make_console()
    if action == "run":  # the log file too: a headless service is read through its log and these lines
        from op_trading.logs import setup_logging

        setup_logging(load_settings(mode, overrides))
    result = run_action(action, mode, overrides, assume_yes, lambda line: console.print(line, markup=False))
    render.outcome(console, result, f"service {action}")
    return result.code()
