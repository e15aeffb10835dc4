"""Requests, responses and routing for the sandbox, independent of the HTTP server class.

Every response carries a Content-Type (the official client fails with KeyError without one): `application/json`
for the API and control endpoints, `text/csv` for instrument dumps, `text/html` for the login page and for
"gateway" errors (which the client reports as DataException, as it does with Kite's own HTML error pages).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from op_trading.sandbox.errors import ApiError

JSON = "application/json"
CSV = "text/csv"
HTML = "text/html; charset=utf-8"


@dataclass
class Request:
    method: str
    target: str  # the raw request target, path and query
    headers: Mapping[str, str]
    body: bytes = b""
    path: str = ""
    query_text: str = ""  # the raw query string; `query` parses it when a handler first asks
    form: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # path parameters of the matched route
    session: object = None  # the authenticated session, set before a Kite handler runs

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path.rstrip("/") or "/"
        self.query_text = parts.query
        if self.body and self.is_form():
            self.form = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    @cached_property
    def query(self) -> dict[str, list[str]]:
        """Parsed on first use: a repeated quote request is answered from cache without parsing 500 names."""
        return parse_qs(self.query_text, keep_blank_values=True)

    def is_form(self) -> bool:
        return "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")

    def is_json(self) -> bool:
        return "json" in (self.headers.get("Content-Type") or "")

    def arg(self, name: str, default: str = "") -> str:
        """A form field, else a query parameter (first value)."""
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.form.get(name, [])


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # close the connection without answering

    @property
    def is_json_success(self) -> bool:
        return self.status == 200 and self.content_type == JSON


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)  # one encoder: dump() runs once per instrument


def dump(payload) -> bytes:
    return _ENCODER.encode(payload).encode("utf-8")


def success(data, status: int = 200) -> Response:
    return Response(status, dump({"status": "success", "data": data}), JSON)


def failure(error: ApiError) -> Response:
    return Response(error.status, dump(error.body()), JSON)


def html(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), HTML, headers or {})


def redirect(location: str) -> Response:
    return html(302, f'<a href="{location}">Continue</a>', {"Location": location})


GATEWAY_PAGE = ("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                "</center><hr><center>openresty</center></body></html>")


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. "/instruments/{exchange}"; also the name under which stats count it
    handler: Callable[[Request], Response]
    kite: bool = True  # a Kite endpoint: faults, rate limits and version checks apply
    auth: bool = True  # needs Authorization: token api_key:access_token
    pattern: re.Pattern = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def match(self, request: Request) -> tuple[Route | None, bool]:
        """(route, path known): the route for method and path, else whether another method would match."""
        path_known = False
        for route in self.routes:
            found = route.pattern.match(request.path)
            if not found:
                continue
            if route.method == request.method:
                request.params = found.groupdict()
                return route, True
            path_known = True
        return None, path_known
