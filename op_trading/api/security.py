"""Safe by default: loopback unless a token is set, the token checked on every request and WebSocket, request size
and rate bounded. Pure ASGI middleware, so WebSocket handshakes pass through the same checks as HTTP requests.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
import time
from collections import deque
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

TOKEN_COOKIE = "op_api_token"
MAX_BODY_BYTES = 16 * 1024  # every endpoint is a GET; a body this big is not a client of ours
MAX_QUERY_BYTES = 2048
MAX_CLIENTS_TRACKED = 10_000


class ApiConfigError(ValueError):
    """Settings that would make the API unsafe or unusable; one line saying which setting to change."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without an API token."""
    if not is_loopback(host) and not token:
        raise ApiConfigError(f"API_HOST={host} is reachable from other machines: set API_TOKEN (the wizard's "
                             "Monitoring and health checks category generates one) or keep API_HOST=127.0.0.1")


def _headers(scope) -> dict[str, str]:
    return {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}


async def _send_json(send, status: int, detail: str, extra_headers: list | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope, send, status: int, detail: str, extra_headers: list | None = None) -> None:
    if scope["type"] == "websocket":  # closing before accept turns into a 403 for the client
        await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
    else:
        await _send_json(send, status, detail, extra_headers)


class GuardMiddleware:
    """Token, size and rate checks in front of the app."""

    def __init__(self, app, token: str | None, rate_per_minute: int, clock=time.monotonic):
        self.app, self.token, self.rate, self.clock = app, token or None, rate_per_minute, clock
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return await _refuse(scope, send, 414, f"query string longer than {MAX_QUERY_BYTES} bytes")
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return await _refuse(scope, send, 413, f"request body larger than {MAX_BODY_BYTES} bytes")
        if self.rate and not self._allow((scope.get("client") or ("?",))[0]):
            return await _refuse(scope, send, 429, f"more than {self.rate} requests a minute; slow down",
                                 [(b"retry-after", b"60")])
        if self.token:
            given, from_query = self._given_token(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                return await _refuse(scope, send, 401, "missing or wrong API token: send 'Authorization: Bearer "
                                     "<API_TOKEN>' (browsers: open /?token=<API_TOKEN> once)")
            if from_query and scope["type"] == "http" and scope["method"] == "GET":
                return await self._set_cookie_and_redirect(scope, send)
        return await self.app(scope, self._bounded(receive), send)

    def _allow(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            if client not in self._hits and len(self._hits) >= MAX_CLIENTS_TRACKED:
                self._hits.clear()  # memory stays bounded whatever the clients
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.rate:
                return False
            hits.append(now)
            return True

    @staticmethod
    def _given_token(scope, headers) -> tuple[str | None, bool]:
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip(), False
        if headers.get("x-api-token"):
            return headers["x-api-token"].strip(), False
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is simply no token
            cookie = SimpleCookie()
        if TOKEN_COOKIE in cookie:
            return cookie[TOKEN_COOKIE].value, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        return None, False

    async def _set_cookie_and_redirect(self, scope, send) -> None:
        """A browser that opened /?token=... gets an HttpOnly cookie and the same page without the token in the URL
        (so it does not stay in the address bar or history)."""
        query = [(k, v) for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items() if k != "token"]
        target = scope["path"] + ("?" + urlencode(query, doseq=True) if query else "")
        cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", target.encode()), (b"set-cookie", cookie.encode()),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    def _bounded(receive):
        received = 0

        async def wrapped():
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:  # chunked bodies have no Content-Length to check up front
                    raise ValueError("request body too large")
            return message

        return wrapped
