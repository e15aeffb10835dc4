"""Messages point at real things: every menu path ("Production > Kite Connect authentication setup"), command
(`python op_trading_setup.py run production.login`) and setting name (KITE_API_KEY) that the product's own text
names must exist. The source is the catalogue: every string the code can show (docstrings left out) is searched.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from menus import ROOT
from op_trading.ui.model import Menu, find, visible

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("op_trading", "menus", "wizards") for p in (REPO / folder).rglob("*.py"))
ROOTS = tuple(item.title.split(" (")[0] for item in visible(ROOT))  # Setup, Development, Production
MENU_PATH = re.compile(r"\b(?:%s)(?: \([^)]*\))?(?: > [^>().;:,`'\"]+[A-Za-z0-9])+" % "|".join(ROOTS))
COMMAND = re.compile(r"python op_trading_setup\.py((?: +(?:--?[a-z][\w-]*(?:[= ][\w.=-]+)?|[a-z][\w.-]*))*)")
SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# Upper-case names in strings that are not our settings: the project-home variable, OS constants looked up by name.
NOT_SETTINGS = {"OP_TRADING_HOME", "O_BINARY", "SC_PAGE_SIZE", "SC_PHYS_PAGES", "NO_COLOR"}


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant and f-string in a module, docstrings excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
            found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
    return found


def _catalogue() -> list[tuple[str, int, str]]:
    return [(str(path.relative_to(REPO)), line, text) for path in SOURCES for line, text in _strings(path)]


def _menu_path_exists(reference: str) -> bool:
    node = ROOT
    for part in reference.split(" > "):
        if not isinstance(node, Menu):
            return False
        matches = [item for item in visible(node) if item.title == part or item.title.split(" (")[0] == part]
        if not matches:
            return False
        node = matches[0]
    return True


def test_every_menu_path_in_a_message_exists():
    references = [(where, line, match.group()) for where, line, text in _catalogue()
                  for match in MENU_PATH.finditer(text) if " > " in match.group()]
    assert references, "the scanner finds menu paths (it would pass vacuously otherwise)"
    missing = [f"{where}:{line}: {reference!r}" for where, line, reference in references
               if not _menu_path_exists(reference)]
    assert not missing, "messages name menu items that do not exist:\n" + "\n".join(missing)


def _command_exists(arguments: list[str]) -> bool:
    from op_trading.cli import app

    commands = {command.name or command.callback.__name__ for command in app.registered_commands}
    if not arguments:
        return True
    first = arguments[0]
    if first.startswith("-"):
        return first.split("=")[0] in {"--mode", "--auto", "--set", "--help"}
    if first not in commands:
        return False
    if first == "run":
        try:
            find(ROOT, arguments[1])
        except (IndexError, KeyError):
            return False
    return True


def test_every_command_in_a_message_exists():
    references = [(where, line, match.group(1).split()) for where, line, text in _catalogue()
                  for match in COMMAND.finditer(text)]
    assert references, "the scanner finds commands (it would pass vacuously otherwise)"
    missing = [f"{where}:{line}: python op_trading_setup.py {' '.join(arguments)}"
               for where, line, arguments in references if not _command_exists(arguments)]
    assert not missing, "messages name commands that do not exist:\n" + "\n".join(missing)


def test_every_setting_named_in_a_message_exists():
    from wizards.environment import FIELDS

    unknown = sorted(f"{where}:{line}: {name}" for where, line, text in _catalogue()
                     if not where.startswith("op_trading/sandbox")  # the simulator speaks Kite's own names
                     for name in SETTING.findall(text) if name not in FIELDS and name not in NOT_SETTINGS)
    assert not unknown, "messages name settings that do not exist:\n" + "\n".join(unknown)


@pytest.mark.parametrize("reference,exists", [
    ("Production > Kite Connect authentication setup", True), ("Production > Kite token", False),
    ("Setup > Environment configuration wizard > Kite Connect API credentials > Import from file", True),
])
def test_the_path_checker_itself(reference, exists):
    assert _menu_path_exists(reference) is exists
