"""The HTTP side: a stdlib ThreadingHTTPServer whose handler turns requests into `web.Request`s, runs them through
faults, rate limits, version and auth checks, the route, and writes the `web.Response` back (HTTP/1.1, keep-alive,
Content-Length and Content-Type always)."""

from __future__ import annotations

import logging
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from op_trading.quiet_http import QuietHTTPServer, content_length
from op_trading.sandbox import web
from op_trading.sandbox.api import parse_authorization
from op_trading.sandbox.errors import ApiError, input_error
from op_trading.sandbox.ratelimit import group_of

if TYPE_CHECKING:
    from op_trading.sandbox.server import Sandbox

log = logging.getLogger(__name__)
URL_LIMIT = 24_000  # Kite's gateway refuses long query strings (HTML 400/414) well before 1000 instruments
KITE_VERSION = "3"
MAX_BODY = 1 << 20  # Kite's calls post a few form fields; a larger body is refused, never read into memory
MAX_CONNECTIONS = 200  # served at once: many clients and keep-alive pools, but an idle flood stays bounded


def dispatch(sb: "Sandbox", router: web.Router, request: web.Request) -> tuple[str, web.Response]:
    """(stats name, response) for one request."""
    route, path_known = router.match(request)
    if route is None:
        if path_known:
            return f"{request.method} {request.path}", web.failure(ApiError(405, "GeneralException",
                                                                             "Method not allowed"))
        return "unknown", web.failure(ApiError(404, "GeneralException", "Route not found"))
    try:
        if route.kite:
            return route.name, _kite_call(sb, route, request)
        return route.name, route.handler(request)
    except ApiError as error:
        return route.name, web.failure(error)


def _kite_call(sb: "Sandbox", route: web.Route, request: web.Request) -> web.Response:
    decision = sb.faults.decide()
    if decision.reset:
        return web.Response(0, b"", web.JSON, reset=True)
    if decision.delay_s:
        time.sleep(decision.delay_s)
    if len(request.target) > URL_LIMIT:
        return web.html(414, "<html><body><h1>414 Request-URI Too Large</h1></body></html>")
    credentials = parse_authorization(request.headers.get("Authorization"))
    caller = credentials[0] if credentials else request.arg("api_key") or "-"
    if not sb.limiter.allow(caller, request.path):
        raise ApiError(429, "NetworkException", "Too many requests")
    if decision.error:
        raise ApiError(*decision.error)
    if decision.html_error:
        return web.html(502, web.GATEWAY_PAGE)
    version = request.headers.get("X-Kite-Version")
    if version is not None and version.strip() != KITE_VERSION:
        raise input_error("Invalid `X-Kite-Version`. Only version 3 is supported.")
    if route.auth:
        request.session = sb.api.authenticate(request)
    if decision.deny_market_data and group_of(request.path) in ("quote", "historical"):
        raise ApiError(403, "PermissionException", "Insufficient permission for that call.")
    response = route.handler(request)
    if decision.malform and response.is_json_success:
        response.body = response.body[: max(len(response.body) // 2, 1)]  # cut mid-document: not valid JSON
    return response


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "KiteSandbox/1.0"
    timeout = 75  # idle keep-alive connections are closed after this long (nginx's default, as in front of Kite)
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms delayed-ACK stalls

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _serve(self) -> None:
        sb: "Sandbox" = self.server.sandbox  # type: ignore[attr-defined]
        length = content_length(self.headers, MAX_BODY)
        if length is None:  # the rest of the stream cannot be framed: answer and close
            self.close_connection = True
            self._write(web.failure(ApiError(400, "InputException", "Invalid Content-Length")))
            return
        body = self.rfile.read(length) if length > 0 else b""
        if sb.stopping:
            self.close_connection = True
            return
        request = web.Request(self.command, self.path, self.headers, body)
        try:
            name, response = dispatch(sb, sb.router, request)
        except Exception:  # a bug in the simulator must still answer like Kite, not hang the client
            log.exception("sandbox failed on %s %s", self.command, request.path)
            name, response = "error", web.failure(ApiError(500, "GeneralException", "Sandbox internal error"))
        sb.record(name, response.status)
        if response.reset:
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: web.Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("sandbox %s - %s", self.address_string(), format % args)


class SandboxHTTPServer(QuietHTTPServer):
    """Bounded and quiet (see quiet_http): a client that disconnects early is one debug line, not a traceback."""
    allow_reuse_address = True
    max_connections = MAX_CONNECTIONS
    label = "kite sandbox"

    def __init__(self, address: tuple[str, int], sandbox: "Sandbox") -> None:
        self.sandbox = sandbox
        super().__init__(address, SandboxHandler)

