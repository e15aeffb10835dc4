"""Helpers for the Kite tests: settings for a given API root, a scripted Kite-like HTTP server, and the simulator.

`ScriptedKite` is a real HTTP server on 127.0.0.1 that answers with Kite's envelope. Each path has a queue of
answers (status, body, delay); when a queue runs dry the path's default answer is used. It records every request
(path, time, Authorization header present) so tests can count attempts and measure pacing against the official
kiteconnect client talking real HTTP to it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from op_trading.config.settings import load_settings

API_KEY = "kitekey1234abcd"
API_SECRET = "kitesecret5678efgh"
ACCESS_TOKEN = "accesstok9012ijklmnop"

TOO_MANY = (429, {"status": "error", "message": "Too many requests", "error_type": "NetworkException"})
BAD_TOKEN = (403, {"status": "error", "message": "Incorrect `api_key` or `access_token`.",
                   "error_type": "TokenException"})
NO_PERMISSION = (403, {"status": "error", "message": "Insufficient permission for that call.", "data": None,
                       "error_type": "PermissionException"})
BAD_INPUT = (400, {"status": "error", "message": "Invalid `instrument`.", "error_type": "InputException"})
OMS_DOWN = (503, {"status": "error", "message": "Gateway down", "error_type": "NetworkException"})
PROFILE = (200, {"status": "success", "data": {"user_id": "AB1234", "user_name": "Test User"}})
LTP = (200, {"status": "success", "data": {"NSE:NIFTY 50": {"instrument_token": 256265, "last_price": 22000.5}}})
QUOTE = (200, {"status": "success", "data": {"NSE:NIFTY 50": {"instrument_token": 256265, "last_price": 22000.5,
                                                              "timestamp": None, "last_trade_time": None}}})
MALFORMED = (200, b'{"status": "success", "data": {"NSE:NIFTY 50": ')


@dataclass
class Seen:
    method: str
    path: str
    at: float
    authorized: bool


@dataclass
class ScriptedKite:
    defaults: dict[str, tuple] = field(default_factory=lambda: {"/user/profile": PROFILE, "/quote/ltp": LTP,
                                                                 "/quote": QUOTE})
    queues: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    seen: list[Seen] = field(default_factory=list)

    def script(self, path: str, *answers: tuple) -> None:
        """Answers for the next requests to `path`: (status, body) or (status, body, delay_seconds)."""
        self.queues[path].extend(answers)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def start(self) -> "ScriptedKite":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, headers) -> tuple:
        self.seen.append(Seen(method, path, time.monotonic(), "Authorization" in headers))
        queue = self.queues.get(path)
        if queue:
            return queue.popleft()
        return self.defaults.get(path, (404, {"status": "error", "message": "Not found",
                                              "error_type": "GeneralException"}))


def _handler(kite: ScriptedKite):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, body, *rest = kite.answer(self.command, urlsplit(self.path).path, self.headers)
            if rest:
                time.sleep(rest[0])
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout) before the slow answer

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def scripted_kite():
    server = ScriptedKite().start()
    yield server
    server.stop()


def kite_settings(root: str = "https://api.kite.trade", mode: str = "production", **overrides: str):
    values = {"KITE_API_KEY": API_KEY, "KITE_API_SECRET": API_SECRET, "KITE_API_ROOT": root,
              "OPEN_BROWSER_FOR_LOGIN": "false"}
    values.update(overrides)
    return load_settings(mode, {key: value for key, value in values.items() if value is not None})


def fast_policy(**changes):
    """The product's policy with short waits, so fault tests take a second, not half a minute."""
    from op_trading.kite.retry import RetryPolicy

    base = {"max_attempts": 4, "base_delay": 0.05, "max_delay": 0.2, "rate_limit_delay": 0.1, "cooldown_after": 3,
            "cooldown_seconds": 0.3}
    base.update(changes)
    return RetryPolicy(**base)


def sandbox_class():
    """The simulator's Sandbox class, or None while op_trading.sandbox does not provide it yet."""
    try:
        from op_trading.sandbox import Sandbox
    except ImportError:
        return None
    return Sandbox


@pytest.fixture
def redirect_url():
    from tests.support import free_port

    return f"http://127.0.0.1:{free_port()}/success"


@pytest.fixture
def sandbox(redirect_url):
    """The simulator with Kite's rate limits on; its login page redirects to `redirect_url`."""
    from tests.support import service_missing

    cls = sandbox_class()
    if cls is None:
        service_missing("the local Kite simulator (op_trading.sandbox.Sandbox)")
    with cls(port=0, seed=42, rate_limits=True, faults="", redirect_url=redirect_url) as box:
        yield box


def sandbox_settings(box, **overrides: str):
    """Settings pointing the product at the simulator, as a developer's .env would."""
    values = {"KITE_API_KEY": box.api_key, "KITE_API_SECRET": box.api_secret, "KITE_LOGIN_URL": box.login_url,
              "KITE_REDIRECT_URL": box.redirect_url, "KITE_LOGIN_TIMEOUT_SECONDS": "10"}
    return kite_settings(box.url, mode="development", **{**values, **overrides})


@contextmanager
def occupied(url: str):
    """Another program listening on the port of `url` (SO_REUSEADDR: a port in TIME_WAIT is still taken over)."""
    port = urlsplit(url).port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        yield port


def browse(url: str) -> tuple[int, str]:
    """What a browser does with a URL: GET it and follow redirects (to our catcher on 127.0.0.1)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it (for pacing tests without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
