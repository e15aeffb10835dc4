"""Rich rendering of headers, menus, outcomes and summaries. Status is spelled out, so it reads without colour."""

from __future__ import annotations

import os
import sys
from typing import Iterable

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from op_trading.outcome import Check, Outcome, Status, Table

STATUS_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAILED: "bold red", Status.SKIPPED: "dim"}
STATUS_WORD = {Status.OK: "OK", Status.WARN: "WARN", Status.FAILED: "FAILED", Status.SKIPPED: "SKIPPED"}


PIPED_WIDTH = 120  # rich assumes 80 columns when output is not a terminal; tables of quotes need more


def make_console(file=None, width: int | None = None) -> Console:
    """The console for the app: rich honours NO_COLOR and falls back to plain text when output is not a terminal."""
    console = Console(file=file or sys.stdout, width=width, highlight=False, soft_wrap=False)
    if width is None and not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPED_WIDTH
    return console


def status_text(status: Status) -> Text:
    return Text(STATUS_WORD[status], style=STATUS_STYLE[status])


def header(console: Console, parts: Iterable[tuple[str, str]]) -> None:
    line = Text()
    for number, (label, value) in enumerate(parts):
        if number:
            line.append("  |  ", style="dim")
        if label:
            line.append(f"{label}: ", style="dim")
        line.append(value, style="bold" if not label else "")
    console.rule(style="dim")
    console.print(line)
    console.rule(style="dim")


def menu(console: Console, title: str, lines: list[tuple[str, str, str]], help_text: str = "") -> None:
    """`lines` are (number, title, reason-it-is-disabled-or-empty)."""
    console.print(Text(title, style="bold"))
    if help_text:
        console.print(Text(help_text, style="dim"))
    console.print()
    for number, title_text, reason in lines:
        line = Text(f"  {number:>2}. ")
        line.append(title_text, style="dim" if reason else "")
        if reason:
            line.append(f"  ({reason})", style="yellow")
        console.print(line)
    console.print()


def outcome(console: Console, result: Outcome, title: str = "") -> None:
    line = Text()
    line.append_text(status_text(result.status))
    line.append("  ")
    if title:
        line.append(f"{title}: ", style="bold")
    line.append(result.message)
    console.print(line)
    if result.checks:
        console.print(checks_table(result.checks))
    for table in result.tables:
        console.print(rich_table(table))


def checks_table(checks: Iterable[Check], title: str | None = None) -> RichTable:
    table = RichTable(title=title, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Check")
    table.add_column("Status")
    table.add_column("Detail", overflow="fold")
    for check in checks:
        table.add_row(check.name, status_text(check.status), check.detail)
    return table


def rich_table(table: Table) -> RichTable:
    rendered = RichTable(title=table.title or None, caption=table.caption or None, header_style="bold",
                         show_edge=False, pad_edge=False)
    for column in table.columns:
        rendered.add_column(column, overflow="fold")
    for row in table.rows:
        rendered.add_row(*(_cell(value) for value in row))
    return rendered


def summary(console: Console, title: str, steps: list[tuple[str, Outcome]]) -> None:
    table = RichTable(title=title, header_style="bold", show_edge=False, pad_edge=False)
    table.add_column("Step")
    table.add_column("Status")
    table.add_column("Detail", overflow="fold")
    for name, result in steps:
        table.add_row(name, status_text(result.status), result.message)
    console.print(table)


def _cell(value) -> Text | str:
    if isinstance(value, Status):
        return status_text(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
