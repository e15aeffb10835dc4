"""User and market text is shown as it is: never read as rich markup, escape sequences spelled out, URL secrets
masked, whichever renderer (message, checks, tables, summaries, prompts, headers) shows it."""

import io

import pytest

from op_trading.context import Question
from op_trading.outcome import Check, Outcome, Status, Table, ok
from op_trading.ui import render
from op_trading.ui.io import ConsoleUI, ScriptedUI
from op_trading.ui.render import make_console

WIDE = "-" * 40  # keeps the table wider than its title, so the title is not wrapped
HOSTILE = ("[/]", "[mock]", "[bold red]x[/]", "[link=http://x]y", ":bank:", "a\x1b[31mred", "\\[x]")


def _console():
    out = io.StringIO()
    return make_console(file=out, width=200), out


@pytest.mark.parametrize("text", HOSTILE)
def test_outcome_message_checks_tables_and_summary_show_text_as_is(text):
    console, out = _console()
    result = Outcome(Status.WARN, f"msg {text}", checks=(Check(f"name {text}", Status.OK, f"detail {text}"),),
                     tables=(Table(f"title {text}", (f"col {text}",), ((f"cell {text} {WIDE}",),),
                                   caption=f"cap {text}"),))
    render.outcome(console, result, f"item {text}")
    render.summary(console, f"summary {text}", [(f"step {text}", result)])
    shown = out.getvalue()
    expected = render.visible(text)
    for label in ("msg", "name", "detail", "title", "col", "cell", "cap", "item", "summary", "step"):
        assert f"{label} {expected}" in shown, (label, shown)
    assert "\x1b" not in shown


def test_escape_sequences_and_control_characters_are_spelled_out():
    assert render.visible("a\x1b[31mb\x07\x9b") == "a\\x1b[31mb\\x07\\x9b"
    assert render.visible("tab\tand\nnewline") == "tab\tand\nnewline"


def test_header_and_menu_lines_show_brackets():
    console, out = _console()
    render.header(console, [("", "OP"), ("data", "[mock]")])
    render.menu(console, "Menu [x]", [("1", "Item [/]", "needs [KEY]")], "help [dim]")
    shown = out.getvalue()
    assert "data: [mock]" in shown and "Menu [x]" in shown and "Item [/]" in shown
    assert "needs [KEY]" in shown and "help [dim]" in shown


def test_notify_prints_cycle_lines_with_their_mock_label():
    console, out = _console()
    ConsoleUI(console).notify("10:00:00 [mock] cycle 1: 5 indices")
    assert "10:00:00 [mock] cycle 1" in out.getvalue()


def test_piped_prompt_shows_a_lowercase_default_in_brackets():
    console, out = _console()
    ui = ConsoleUI(console, stdin=io.StringIO("\n"))
    assert ui.ask(Question("Market data source (DATA_SOURCE_MODE)", default="mock")) == "mock"
    assert "Market data source (DATA_SOURCE_MODE) [mock]:" in out.getvalue()


def test_markup_answer_gets_one_line_and_a_second_chance():
    console, out = _console()
    ui = ScriptedUI(console, ["[/]", "7"])
    answer = ui.ask(Question("Days", validate=lambda text: None if text.isdigit() else f"{text!r} is not a number"))
    assert answer == "7"
    assert "'[/]' is not a number Try again" in out.getvalue()


@pytest.mark.parametrize("text,expected", [
    ("redis://:hunter2secret@127.0.0.1:6379/0", "redis://:****@127.0.0.1:6379/0"),
    ("http://admin:pa55word@localhost:8086", "http://admin:****@localhost:8086"),
    ("failed to reach https://tok3nvalue@host/x: refused", "failed to reach https://****@host/x: refused"),
    ("http://host:8086/api?token=abcdef123&org=x", "http://host:8086/api?token=****&org=x"),
    ("http://127.0.0.1:8086", "http://127.0.0.1:8086"),
    ("no url here: a=b", "no url here: a=b"),
])
def test_url_credentials_are_masked_on_screen(text, expected):
    console, out = _console()
    render.outcome(console, ok(text))
    assert expected in out.getvalue()
