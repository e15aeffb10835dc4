"""Shared test helpers: finding real servers, and failing instead of skipping when CI says they must exist."""

from __future__ import annotations

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
