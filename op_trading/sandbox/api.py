"""The Kite Connect v3 endpoints the official client calls for sessions, profile, margins, instruments, quotes and
historical candles (paths exactly as in `KiteConnect._routes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from op_trading.sandbox import web
from op_trading.sandbox.contracts import KNOWN_EXCHANGES
from op_trading.sandbox.errors import input_error, token_error
from op_trading.sandbox.sessions import profile_payload

if TYPE_CHECKING:
    from op_trading.sandbox.server import Sandbox

QUOTE_LIMITS = {"/quote": 500, "/quote/ohlc": 1000, "/quote/ltp": 1000}
SEGMENTS = ("equity", "commodity")


def parse_authorization(header: str | None) -> tuple[str, str] | None:
    """("api_key", "access_token") from `Authorization: token api_key:access_token`."""
    scheme, _, credentials = (header or "").strip().partition(" ")
    api_key, sep, access_token = credentials.strip().partition(":")
    if scheme.lower() != "token" or not sep or not api_key or not access_token:
        return None
    return api_key, access_token


class KiteApi:
    def __init__(self, sandbox: "Sandbox") -> None:
        self.sb = sandbox

    def routes(self) -> list[web.Route]:
        R = web.Route
        return [
            R("POST", "/session/token", self.create_session, auth=False),
            R("DELETE", "/session/token", self.delete_session, auth=False),
            R("GET", "/user/profile", self.profile),
            R("GET", "/user/margins", self.margins),
            R("GET", "/user/margins/{segment}", self.margins),
            R("GET", "/instruments", self.instruments),
            R("GET", "/instruments/{exchange}", self.instruments),
            R("GET", "/instruments/historical/{instrument_token}/{interval}", self.historical),
            R("GET", "/quote", self.quote),
            R("GET", "/quote/ohlc", self.quote),
            R("GET", "/quote/ltp", self.quote),
        ]

    def authenticate(self, request: web.Request):
        credentials = parse_authorization(request.headers.get("Authorization"))
        if credentials is None:
            raise token_error()
        return self.sb.sessions.validate(*credentials, token_ttl=self.sb.faults.spec.token_ttl)

    # --- session ------------------------------------------------------------------------------------------------

    def create_session(self, request: web.Request) -> web.Response:
        if request.is_json():  # Kite only takes a form post here (domain.md §1.1)
            raise input_error("`api_key` should be minimum 6 characters in length.")
        session = self.sb.sessions.exchange(request.arg("api_key"), request.arg("request_token"),
                                            request.arg("checksum"))
        return web.success(self.sb.sessions.session_payload(session))

    def delete_session(self, request: web.Request) -> web.Response:
        if request.arg("api_key") != self.sb.api_key:
            raise input_error("Invalid `api_key`.")
        token = request.arg("access_token")
        if not token:
            raise input_error("`access_token` should be minimum 6 characters in length.")
        self.sb.sessions.invalidate(token)
        return web.success(True)

    def profile(self, request: web.Request) -> web.Response:
        return web.success(profile_payload(request.session.user_id))

    def margins(self, request: web.Request) -> web.Response:
        segment = request.params.get("segment")
        if segment is not None and segment not in SEGMENTS:
            raise input_error("Invalid segment. Valid segments are equity and commodity.")
        payload = {name: _margin(100_000.0 if name == "equity" else 0.0) for name in SEGMENTS}
        return web.success(payload[segment] if segment else payload)

    # --- market data --------------------------------------------------------------------------------------------

    def instruments(self, request: web.Request) -> web.Response:
        exchange = request.params.get("exchange")
        if exchange is not None:
            exchange = exchange.upper()
            if exchange not in KNOWN_EXCHANGES:
                raise input_error("Invalid `exchange`.")
        universe, headers = self.sb.universe(), {}
        body = universe.csv(exchange)
        if "gzip" in (request.headers.get("Accept-Encoding") or ""):
            body, headers = universe.csv_gzip(exchange), {"Content-Encoding": "gzip"}
        return web.Response(200, body, web.CSV, headers)

    def quote(self, request: web.Request) -> web.Response:
        now, answers = self.sb.clock.now(), self.sb.answers
        key = (request.path, request.query_text, request.body)  # the same question within one simulated second
        body = answers.recall(key, now)
        if body is None:
            names, limit = request.args("i"), QUOTE_LIMITS[request.path]
            if len(names) > limit:
                raise input_error(f"Too many instruments. A maximum of {limit} instruments is allowed per request.")
            body = answers.body(request.path, names, now, self.sb.universe(now.date()))
            answers.remember(key, now, body)
        return web.Response(200, body, web.JSON)

    def historical(self, request: web.Request) -> web.Response:
        from op_trading.sandbox.historical import validate

        token, interval = request.params["instrument_token"], request.params["interval"]
        instrument = self.sb.universe().resolve(token) if token.isdigit() else None
        if instrument is None:
            raise input_error("invalid token")
        start, end = validate(interval, request.arg("from"), request.arg("to"), request.arg("continuous") == "1")
        candles = self.sb.candles.candles(instrument, interval, start, end, self.sb.clock.now(),
                                          request.arg("oi") == "1")
        return web.success({"candles": candles})


def _margin(cash: float) -> dict:
    return {"enabled": True, "net": cash,
            "available": {"adhoc_margin": 0, "cash": cash, "opening_balance": cash, "live_balance": cash,
                          "collateral": 0, "intraday_payin": 0},
            "utilised": {"debits": 0, "exposure": 0, "m2m_realised": 0, "m2m_unrealised": 0, "option_premium": 0,
                         "payout": 0, "span": 0, "holding_sales": 0, "turnover": 0, "liquid_collateral": 0,
                         "stock_collateral": 0, "delivery": 0}}
