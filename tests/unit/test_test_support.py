"""The test helpers parallel workers rely on: free ports, and a machine-wide lock held by one process at a time."""

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import exclusive, free_port

PROBE = """
import fcntl, sys
with open(sys.argv[1], "a+b") as handle:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("held")
    else:
        print("free")
"""


def probe(name: str) -> str:
    path = Path(tempfile.gettempdir()) / f"op-trading-test-{name}.lock"
    return subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def test_exclusive_holds_the_lock_for_other_processes_until_the_block_ends():
    name = f"probe-{free_port()}"
    with exclusive(name):
        assert probe(name) == "held"
    assert probe(name) == "free"
    (Path(tempfile.gettempdir()) / f"op-trading-test-{name}.lock").unlink()


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
