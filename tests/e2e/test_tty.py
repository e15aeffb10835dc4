"""The real program on a pseudo-terminal: menus, wrong input everywhere, Ctrl-C, EOF, the wizard with a secret."""

import sys

import pytest

from tests.e2e.helpers import Screen

pytestmark = [pytest.mark.tty, pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a pty")]


def test_walk_each_mode_and_back(project_home):
    screen = Screen(project_home)
    screen.expect("Main menu")
    for number, title in (("1", "Setup (First Time)"), ("2", "Development"), ("3", "Production")):
        screen.expect("Choose 0-3:")
        screen.send(number)
        screen.expect(title)
        screen.expect("0. Back")
        screen.send("0")
    screen.expect("Choose 0-3:")
    screen.send("0")
    screen.expect("Bye.")
    assert screen.exit_status() == 0
    assert "Traceback" not in screen.transcript


@pytest.mark.parametrize("path,count", [((), 3), (("1",), 7), (("2",), 8), (("3",), 9), (("1", "4"), 10)])
def test_bad_inputs_at_each_menu(project_home, path, count):
    screen = Screen(project_home)
    for step in path:
        screen.expect("Choose 0-")
        screen.send(step)
    for bad, message in (("abc", "is not a menu number"), (str(count + 1), "is not on this menu"),
                         ("", "Nothing entered"), ("9" * 300, "(300 characters)"), ("é", "is not a menu number")):
        screen.expect(f"Choose 0-{count}:")
        screen.send(bad)
        screen.expect(message)
    screen.expect(f"Choose 0-{count}:")
    screen.child.sendcontrol("c")
    screen.expect("Interrupted")
    assert screen.exit_status() == 130
    assert "Traceback" not in screen.transcript


def test_end_of_input_exits_130(project_home):
    screen = Screen(project_home)
    screen.expect("Choose 0-3:")
    screen.child.sendeof()
    screen.expect("Interrupted")
    assert screen.exit_status() == 130
    assert "Traceback" not in screen.transcript


def test_wizard_secret_is_masked_and_saved(project_home):
    secret = "Sup3rSecretApiValue9876"
    screen = Screen(project_home)
    screen.choose("1", "4", "1", "2")  # Setup > wizard > Kite credentials > Enter API secret
    screen.expect("Kite Connect API secret")
    screen.send(secret)
    screen.expect("saved to")
    screen.expect("****9876")
    screen.expect("Choose 0-7:")
    screen.send("2")  # again: Enter keeps it and the prompt shows it masked
    screen.expect("****9876, Enter keeps it")
    screen.send("")
    screen.expect("(kept)")
    screen.expect("Choose 0-7:")  # Ctrl-C before the menu is back would cancel the item, not leave the program
    screen.child.sendcontrol("c")
    assert screen.exit_status() == 130
    assert secret not in screen.transcript
    env = (project_home / ".env").read_text(encoding="utf-8")
    assert f"KITE_API_SECRET={secret}" in env


def test_wizard_rejects_bad_value_then_accepts(project_home):
    screen = Screen(project_home)
    screen.choose("1", "4", "4")  # Setup > wizard > Logging and monitoring
    screen.expect("Log level")
    screen.send("")  # select prompt: Enter takes the highlighted current value
    screen.expect("Log folder")
    screen.send("")
    screen.expect("Log format")
    screen.send("")
    screen.expect("Days of log files to keep")
    screen.send("lots")
    screen.expect("expected a whole number")
    screen.send("14")
    screen.expect("Save raw quote responses")
    screen.send("")
    screen.expect("saved to")
    screen.expect("Choose 0-10:")  # Ctrl-C before the menu is back (a loaded machine) would only cancel the item
    screen.child.sendcontrol("c")
    assert screen.exit_status() == 130
    assert "LOG_RETENTION_DAYS=14" in (project_home / ".env").read_text(encoding="utf-8")


def test_pasted_escape_sequence_at_a_question_is_harmless(project_home):
    """prompt_toolkit reads "ESC [ 31 m" as a mouse report and its handler used to print a traceback."""
    screen = Screen(project_home)
    screen.choose("1", "4", "3")  # Setup > wizard > Database: the first question is a text prompt
    screen.expect("(STORAGE_SINKS)")
    screen.send("\x1b[31mcsv")
    screen.expect("Data folder")  # the stray sequence was dropped and the rest accepted
    screen.child.sendcontrol("c")
    screen.expect("cancelled (Ctrl-C)")
    screen.expect("Choose 0-10:")
    screen.child.sendcontrol("c")
    assert screen.exit_status() == 130
    assert "Traceback" not in screen.transcript and "Unhandled exception" not in screen.transcript
    assert not (project_home / ".env").exists()  # cancelled before the end: nothing was written


def test_ctrl_c_at_a_question_goes_back_to_its_menu(project_home):
    screen = Screen(project_home)
    screen.choose("1", "4", "4")  # Setup > wizard > Logging and monitoring
    screen.expect("Log level")
    screen.child.sendcontrol("c")
    screen.expect("'Logging and monitoring' cancelled (Ctrl-C)")
    screen.expect("Choose 0-10:")  # the wizard menu again, the program still running
    screen.send("0")
    screen.expect("Choose 0-7:")
    screen.child.sendcontrol("c")  # at a menu Ctrl-C still leaves
    screen.expect("Interrupted")
    assert screen.exit_status() == 130
    assert "Traceback" not in screen.transcript
