"""A one-shot HTTP server on 127.0.0.1 that catches Kite's login redirect and hands back the request_token.

Kite sends the browser to the app's registered Redirect URL with `request_token`, `action` and `status` (plus our
`state`, which we asked Kite to carry through `redirect_params`). The server answers that one request with a small
"you can close this tab" page and stops. It never logs the request line: it holds the request_token.

Any web page the user has open can send requests to 127.0.0.1, so strangers must not end the login: a request
without this login's state (a wrong one, none, or a bare visit of the redirect path), or one carrying a
request_token to another path, gets a 400 page and the catcher goes on waiting until its timeout; the timeout
message then says what was ignored (e.g. a redirect to another path: a Redirect URL that differs from
KITE_REDIRECT_URL). Only a request with this login's state ends the wait, with its token or with its error.
Garbage and idle connections are answered or dropped quietly: a read timeout per connection, a cap on the
connections served at once, and one debug line instead of a traceback for a client that went away.
"""

from __future__ import annotations

import hmac
import html
import logging
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from op_trading.errortext import bounded
from op_trading.kite.errors import KiteSetupError, LoginError, LoginTimeout, PortBusy
from op_trading.quiet_http import QuietHTTPServer

log = logging.getLogger(__name__)

LOCAL_HOSTS = ("127.0.0.1", "localhost")
REQUEST_TOKEN = re.compile(r"[A-Za-z0-9]{6,128}")
PASTE_HINT = "paste the redirect URL (or the request_token) instead"
MAX_CONNECTIONS = 16  # served at once; more are closed at once (a browser needs two or three)
IGNORED_KEPT = 3  # ignored requests remembered for the timeout message


@dataclass(frozen=True)
class RedirectTarget:
    host: str
    port: int
    path: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


def parse_redirect_url(url: str) -> RedirectTarget:
    """The host, port and path to listen on; KiteSetupError when the URL cannot be served from this machine."""
    parts = urlsplit((url or "").strip())
    if parts.scheme != "http":
        raise KiteSetupError(f"KITE_REDIRECT_URL must start with http:// to be caught locally (got "
                             f"{parts.scheme or 'nothing'}://); use http://127.0.0.1:5000/success in the Kite app")
    if parts.hostname not in LOCAL_HOSTS:
        raise KiteSetupError(f"KITE_REDIRECT_URL points at {parts.hostname!r}; only 127.0.0.1 or localhost can be "
                             "caught on this machine (e.g. http://127.0.0.1:5000/success)")
    try:
        port = parts.port or 80
    except ValueError:
        raise KiteSetupError(f"KITE_REDIRECT_URL has an invalid port: {url}") from None
    return RedirectTarget(parts.hostname, port, parts.path or "/")


def judge_redirect(query: dict[str, list[str]], expected_state: str | None) -> str:
    """The request_token of a redirect's query, or LoginError saying plainly what is wrong with it."""
    first = {key: values[0] for key, values in query.items() if values}
    if first.get("status", "").lower() == "error":
        message = first.get("message", "")[:120]
        detail = f" ({message})" if message else ""
        raise LoginError(f"Kite reported a failed login (status=error){detail}: start the login again")
    if expected_state is not None:
        state = first.get("state")
        if not state_matches(first, expected_state):
            why = ("carries no login state (Kite did not return redirect_params, or it is not from this login)"
                   if first.get("state") is None else
                   "carries a different state from this login's (it comes from an older login tab)")
            raise LoginError(f"The redirect {why}: start the login again and use the new page")
    token = first.get("request_token", "")
    if not token:
        raise LoginError("The redirect has no request_token: log in again from the login page")
    if not REQUEST_TOKEN.fullmatch(token):
        raise LoginError("The request_token in the redirect is not in Kite's format: log in again")
    return token


def state_matches(query: dict[str, str], expected_state: str) -> bool:
    state = query.get("state")
    return state is not None and hmac.compare_digest(state.encode(), expected_state.encode())


class _Server(QuietHTTPServer):
    # On Windows SO_REUSEADDR lets a second program bind a port that is in use, which would hide "port busy".
    allow_reuse_address = os.name != "nt"
    max_connections = MAX_CONNECTIONS
    label = "login catcher"


class RedirectCatcher:
    """Listen on the redirect's port and path until one login redirect arrives or `timeout` seconds pass.

    Use as a context manager, or `start()` then `wait()` and `close()`. `start()` raises PortBusy when the port is
    taken; `wait()` returns the request_token or raises LoginError / LoginTimeout.
    """

    def __init__(self, redirect_url: str, timeout: float, expected_state: str | None = None):
        self.target = parse_redirect_url(redirect_url)
        self.timeout = timeout
        self.expected_state = expected_state
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._settled = False
        self._error: LoginError | None = None
        self._ignored: list[str] = []  # why strangers were turned away, for the timeout message
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._deadline = 0.0

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.target.port

    def start(self) -> "RedirectCatcher":
        try:
            self._server = _Server(("127.0.0.1", self.target.port), _handler_for(self))
        except OSError as error:
            raise PortBusy(f"Port {self.target.port} on 127.0.0.1 is in use ({error.strerror or error}): close "
                           f"the program using it (an earlier login still running?), or set KITE_REDIRECT_URL to "
                           f"another port and register the same URL in your Kite app; or {PASTE_HINT}") from None
        self._deadline = time.monotonic() + self.timeout
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="kite-redirect", daemon=True)
        self._thread.start()
        return self

    def wait(self, slice_seconds: float = 0.25, on_tick=None) -> str:
        """Block until the redirect arrives. `on_tick(seconds_left)` is called every slice (for a countdown)."""
        while not self._done.wait(slice_seconds):
            left = self._deadline - time.monotonic()
            if left <= 0:
                self.close()
                ignored = f" (ignored meanwhile: {'; '.join(self._ignored)})" if self._ignored else ""
                raise LoginTimeout(f"No login redirect reached {self.target.url} within {self.timeout:g} s"
                                   f"{ignored}: {PASTE_HINT}")
            if on_tick is not None:
                on_tick(left)
        self.close()
        if self._error is not None:
            raise self._error
        return self._token

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> "RedirectCatcher":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def settle(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, str]:
        """Judge one request; returns the HTTP status and the page's title and text."""
        first = {key: values[0] for key, values in query.items() if values}
        if path != self.target.path:
            if "request_token" in first or "status" in first:
                return self._ignore(f"a login redirect to {bounded(path, 60)} while KITE_REDIRECT_URL expects "
                                    f"{self.target.path} (make the Redirect URL in your Kite app equal to it)")
            return 404, "Not here", "This address only receives the Kite login redirect."
        stranger = self._stranger(first)
        if stranger:
            return self._ignore(stranger)
        try:
            token = judge_redirect(query, self.expected_state)
        except LoginError as error:
            if self.expected_state is None and first.get("status", "").lower() != "error":
                return self._ignore("a redirect whose request_token is not in Kite's format")
            return self._finish(None, error)
        return self._finish(token, None)

    def _stranger(self, query: dict[str, str]) -> str:
        """Why a request to the redirect path is not this login's redirect ("" when it is, or may be)."""
        if self.expected_state is not None:
            if not state_matches(query, self.expected_state):
                return ("a request without this login's state" if query.get("state") is None
                        else "a request with another login's state (an old login tab?)")
            return ""
        if "request_token" not in query and query.get("status", "").lower() != "error":
            return "a request without a request_token"
        return ""

    def _ignore(self, reason: str) -> tuple[int, str, str]:
        with self._lock:
            if reason not in self._ignored:
                self._ignored = [*self._ignored, reason][-IGNORED_KEPT:]
        log.info("Kite login catcher ignored %s", reason)
        return 400, "Not this login", ("This address is waiting for the Kite login started in the terminal, and "
                                       "this request is not it. The login goes on.")

    def _finish(self, token: str | None, error: LoginError | None) -> tuple[int, str, str]:
        with self._lock:
            if self._settled:  # one-shot: a second redirect (a reload) changes nothing
                return 409, "Already done", "This login was already received. You can close this tab."
            self._token, self._error, self._settled = token, error, True
        if error is None:
            log.info("Kite login redirect received on %s", self.target.url)
            return 200, "Login received", "You can close this tab and return to the terminal."
        log.warning("Kite login redirect rejected: %s", error)
        return 400, "Login not completed", f"{error} You can close this tab and return to the terminal."

    def mark_answered(self) -> None:
        if self._settled:
            self._done.set()


def _handler_for(catcher: RedirectCatcher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # an idle browser pre-connection must not hold a thread forever
        server_version = "op-trading-login"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            status, title, text = catcher.settle(parts.path, parse_qs(parts.query))
            try:
                self._page(status, title, text)
            finally:  # after the page is written (or the browser went away): it gets its answer before we stop
                catcher.mark_answered()

        def _page(self, status: int, title: str, text: str) -> None:
            body = (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass  # the default writes the request line, request_token included, to stderr

    return Handler


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
