"""Rich rendering of headers, menus, outcomes and summaries. Status is spelled out, so it reads without colour.

Nothing we print is rich markup: user answers, saved settings and market data may hold brackets (`[/]`,
`[mock]`), so the console is made with markup and emoji codes off, and every string we hand to rich becomes a
`Text` (styles are set as Text styles, never written as `[tags]`). Control characters are made visible and
URL credentials masked.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Iterable

from rich.console import Console
from rich.text import Text

from op_trading.config.fields import mask_url_secrets
from op_trading.outcome import Check, Outcome, Status, Table

if TYPE_CHECKING:  # rich.table costs start-up time and the first menu needs no table
    from rich.table import Table as RichTable

STATUS_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAILED: "bold red", Status.SKIPPED: "dim"}
STATUS_WORD = {Status.OK: "OK", Status.WARN: "WARN", Status.FAILED: "FAILED", Status.SKIPPED: "SKIPPED"}


PIPED_WIDTH = 120  # rich assumes 80 columns when output is not a terminal; tables of quotes need more


def make_console(file=None, width: int | None = None) -> Console:
    """The console for the app: rich honours NO_COLOR and falls back to plain text when output is not a terminal."""
    console = Console(file=file or sys.stdout, width=width, highlight=False, soft_wrap=False, markup=False,
                      emoji=False)
    if width is None and not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPED_WIDTH
    return console


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: object) -> str:
    """Text as it may appear on screen: control characters spelled out (`\\x1b`), so a pasted escape sequence
    cannot restyle the screen, and credentials inside URLs masked, whichever action produced the text."""
    return mask_url_secrets(_CONTROL.sub(lambda match: repr(match.group())[1:-1], str(value)))


def plain(value: object, style: str = "") -> Text:
    """Any user- or data-supplied value as rich Text: shown exactly as it is, never read as markup."""
    return Text(visible(value), style=style)


def line(console: Console, message: object, style: str = "", end: str = "\n") -> None:
    """Print one message as plain text (the only way the UI prints strings). A message stays one line: the
    terminal may wrap it on screen, but no line breaks are added, so logs and pipes get it whole."""
    console.print(plain(message, style), end=end, soft_wrap=True)


def status_text(status: Status) -> Text:
    return Text(STATUS_WORD[status], style=STATUS_STYLE[status])


def header(console: Console, parts: Iterable[tuple[str, str]]) -> None:
    text = Text()
    for number, (label, value) in enumerate(parts):
        if number:
            text.append("  |  ", style="dim")
        if label:
            text.append(f"{label}: ", style="dim")
        text.append(visible(value), style="bold" if not label else "")
    console.rule(style="dim")
    console.print(text)
    console.rule(style="dim")


def menu(console: Console, title: str, lines: list[tuple[str, str, str]], help_text: str = "") -> None:
    """`lines` are (number, title, reason-it-is-disabled-or-empty)."""
    console.print(plain(title, "bold"))
    if help_text:
        console.print(plain(help_text, "dim"))
    console.print()
    for number, title_text, reason in lines:
        text = Text(f"  {number:>2}. ")
        text.append(visible(title_text), style="dim" if reason else "")
        if reason:
            text.append(f"  ({visible(reason)})", style="yellow")
        console.print(text)
    console.print()


def outcome(console: Console, result: Outcome, title: str = "") -> None:
    text = Text()
    text.append_text(status_text(result.status))
    text.append("  ")
    if title:
        text.append(f"{visible(title)}: ", style="bold")
    text.append(visible(result.message))
    console.print(text)  # wrapped at word boundaries to the width (a number never breaks mid-digit)
    if result.checks:
        console.print(checks_table(result.checks))
    for table in result.tables:
        console.print(rich_table(table))


def _table(title: str | None = None, caption: str | None = None) -> "RichTable":
    from rich.table import Table as RichTable

    return RichTable(title=plain(title) if title else None, caption=plain(caption) if caption else None,
                     header_style="bold", show_edge=False, pad_edge=False)


def checks_table(checks: Iterable[Check], title: str | None = None) -> "RichTable":
    table = _table(title)
    table.add_column("Check")
    table.add_column("Status")
    table.add_column("Detail", overflow="fold")
    for check in checks:
        table.add_row(plain(check.name), status_text(check.status), plain(check.detail))
    return table


def rich_table(table: Table) -> "RichTable":
    rendered = _table(table.title, table.caption)
    for column in table.columns:
        rendered.add_column(plain(column), overflow="fold")
    for row in table.rows:
        rendered.add_row(*(_cell(value) for value in row))
    return rendered


def summary(console: Console, title: str, steps: list[tuple[str, Outcome]]) -> None:
    table = _table(title)
    table.add_column("Step")
    table.add_column("Status")
    table.add_column("Detail", overflow="fold")
    for name, result in steps:
        table.add_row(plain(name), status_text(result.status), plain(result.message))
    console.print(table)


def _cell(value) -> Text:
    if isinstance(value, Status):
        return status_text(value)
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("-")
    if isinstance(value, float):
        return Text(f"{value:,.2f}")
    return plain(value)
