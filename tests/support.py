"""Shared test helpers: finding real servers, and failing instead of skipping when CI says they must exist."""

from __future__ import annotations

import contextlib
import os
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("OP_REQUIRE_SERVICES") == "1"


def service_missing(what: str) -> None:
    """Skip (developer machine) or fail (CI with OP_REQUIRE_SERVICES=1) a test whose server is not there."""
    message = f"{what} is not available"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and OP_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def exclusive(name: str):
    """Hold a machine-wide lock named `name` for the block.

    Tests run in parallel (pytest-xdist, and other checkouts on the same machine); the few that need a resource of
    the whole machine (a well-known port, a process-wide setting of a shared server) take this lock so they run one
    at a time while everything else stays parallel. The lock file lives in the system's temp folder and is released
    when the holder exits, even when it is killed.
    """
    import fcntl
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / f"op-trading-test-{name}.lock"
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
