"""The process entry: the plain menu start skips the command-line library, everything else goes through it.

Drawing the first menu must be fast, and typer (with click and, since typer 0.29, pydantic behind it) costs more
than the menu itself. So `python op_trading_setup.py` and `python op_trading_setup.py --mode X` open the menus
straight away; any other arguments (`--help`, `--auto`, `--set`, subcommands, mistakes) go to `op_trading.cli`,
which parses and reports them as before.
"""

from __future__ import annotations

import sys

MENU_MODES = ("setup", "development", "production")


def menu_mode(argv: list[str]) -> tuple[bool, str | None]:
    """(True, mode) when the arguments only ask for a menu; (False, None) when the command line must parse them."""
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--mode" and argv[1] in MENU_MODES:
        return True, argv[1]
    if len(argv) == 1 and argv[0].startswith("--mode=") and argv[0][len("--mode="):] in MENU_MODES:
        return True, argv[0][len("--mode="):]
    return False, None


def main() -> None:
    is_menu, mode = menu_mode(sys.argv[1:])
    if not is_menu:
        from op_trading.cli import main as command_line

        command_line()
        return
    from op_trading.outcome import ExitCode

    try:
        from op_trading.ui.app import run_menus

        code = run_menus(mode, {})
    except KeyboardInterrupt:  # Ctrl-C while Python was still importing, before the engine took over
        sys.stderr.write("\nInterrupted.\n")
        code = ExitCode.INTERRUPTED
    sys.exit(int(code))
