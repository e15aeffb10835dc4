"""Running the real program the way a user does: a pseudo-terminal (pexpect) or a plain subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "op_trading_setup.py")


def app_env(home: Path, **extra: str) -> dict[str, str]:
    from wizards.environment import FIELDS

    env = {k: v for k, v in os.environ.items() if k not in FIELDS}
    env.update({"OP_TRADING_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120", "LINES": "40", "TERM": "xterm",
                "PYTHONIOENCODING": "utf-8", "PROMPT_TOOLKIT_NO_CPR": "1"})
    env.update(extra)
    return env


def run_app(home: Path, *args: str, stdin: str | None = None, timeout: float = 120, **extra: str):
    return subprocess.run([sys.executable, ENTRY, *args], input=stdin, capture_output=True, text=True,
                          cwd=home, env=app_env(home, **extra), timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


class Screen:
    """A pexpect session with readable failures: expected text, and the whole transcript so far."""

    # 60 s: a loaded machine (parallel workers, CI) can take many seconds to start Python and draw a screen;
    # a generous timeout only slows a test that fails anyway
    def __init__(self, home: Path, *args: str, timeout: float = 60, **extra: str) -> None:
        import pexpect

        self.pexpect = pexpect
        self.log = io.StringIO()
        self.child = pexpect.spawn(sys.executable, [ENTRY, *args], cwd=str(home), env=app_env(home, **extra),
                                   dimensions=(40, 120), encoding="utf-8", timeout=timeout)
        self.child.logfile_read = self.log

    def expect(self, text: str) -> None:
        try:
            self.child.expect_exact(text)
        except (self.pexpect.TIMEOUT, self.pexpect.EOF) as error:
            raise AssertionError(f"expected {text!r}; screen so far:\n{self.log.getvalue()[-3000:]}") from error

    def send(self, line: str) -> None:
        self.child.send(line + "\r")

    def choose(self, *numbers: str) -> None:
        """Walk down the menus: at each `Choose 0-N:` prompt, the next number."""
        for number in numbers:
            self.expect("Choose 0-")
            self.send(number)

    def interrupt_at_menu(self) -> None:
        """Ctrl-C once the menu asks again: sent while the questionary prompt is still tearing down, the byte lands
        in a raw-mode terminal, is never turned into SIGINT and the menu waits for a line that never comes."""
        self.expect("Choose 0-")
        self.child.sendcontrol("c")

    def exit_status(self) -> int:
        self.child.expect(self.pexpect.EOF)
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else 128 + (self.child.signalstatus or 0)

    @property
    def transcript(self) -> str:
        return self.log.getvalue()
