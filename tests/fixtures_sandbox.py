"""Fixtures for the simulator's own tests: a started sandbox on a free port and an official client pointed at it."""

from __future__ import annotations

import pytest
import requests

FROZEN_AT = "2026-11-20 11:00:00"  # a Friday session; the following Tuesday (24 Nov) is a trading holiday


@pytest.fixture(scope="module")
def frozen_sandbox():
    """One sandbox per test module: seed 42, clock frozen at FROZEN_AT, no rate limits (they get their own tests)."""
    from op_trading.sandbox import Sandbox

    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at=FROZEN_AT) as box:
        yield box


@pytest.fixture
def kite(frozen_sandbox):
    """The official client with a valid session on the frozen sandbox."""
    return client(frozen_sandbox, frozen_sandbox.issue_access_token())


def client(box, access_token=None, **options):
    from kiteconnect import KiteConnect

    return KiteConnect(box.api_key, access_token=access_token, root=box.url, **options)


def raw(box, method: str, path: str, token: str | None = None, **options) -> requests.Response:
    """A request as the official client would send it, but returning the raw response."""
    headers = {"X-Kite-Version": "3", **options.pop("headers", {})}
    if token:
        headers["Authorization"] = f"token {box.api_key}:{token}"
    return requests.request(method, box.url + path, headers=headers, timeout=5, **options)
