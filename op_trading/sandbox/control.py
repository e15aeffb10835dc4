"""The login page that stands in for kite.zerodha.com, and the `/_sandbox/*` control endpoints.

Login: `GET /connect/login?api_key=...&v=3` shows a form; submitting it ("Log in") redirects the browser to the
redirect URL with `request_token`, `action=login`, `type=login`, `status=success`; "Cancel" redirects with
`status=error` and no token. Optional query parameters: `redirect_url` (else the sandbox's default,
http://127.0.0.1:5000/success), `redirect_params` (URL-encoded, appended as Kite does), `autologin=success|error`
to redirect at once without the form (for scripts and tests).

Control endpoints (JSON envelope, no auth; the server listens on 127.0.0.1):
    GET  /_sandbox                    url, api_key, seed, speed, clock, faults, rate limits
    GET  /_sandbox/stats              request counts per endpoint and status
    GET  /_sandbox/faults             the current fault spec
    POST /_sandbox/faults             spec=<faults syntax> (form), or the spec as the raw body; "" clears
    POST /_sandbox/expire_tokens      every access token issued so far stops working
    POST /_sandbox/request_token      user_id=... -> a request token, as a login would give
    POST /_sandbox/access_token       user_id=... -> a ready access token
    GET  /_sandbox/clock              the simulated time
    POST /_sandbox/clock              at=<ISO time, IST>, speed=<x>, or freeze=1
    POST /_sandbox/rate_limits        enabled=0|1
"""

from __future__ import annotations

import html as html_text
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from op_trading.sandbox import web
from op_trading.sandbox.errors import input_error
from op_trading.sandbox.sessions import DEFAULT_USER_ID

if TYPE_CHECKING:
    from op_trading.sandbox.server import Sandbox

LOGIN_FORM = """<!doctype html>
<html><head><title>Kite Connect sandbox login</title></head>
<body style="font-family: sans-serif; max-width: 28em; margin: 4em auto">
<h2>Kite Connect sandbox</h2>
<p>Local simulator: no real account, <b>mock market data</b>.</p>
<form method="post" action="/connect/login">
<input type="hidden" name="api_key" value="{api_key}">
<input type="hidden" name="redirect_url" value="{redirect_url}">
<input type="hidden" name="redirect_params" value="{redirect_params}">
<p><label>User ID <input name="user_id" value="{user_id}"></label></p>
<p><button name="action" value="login" type="submit">Log in</button>
<button name="action" value="cancel" type="submit">Cancel</button></p>
<p>Redirects to {redirect_url}</p>
</form></body></html>
"""


class Control:
    def __init__(self, sandbox: "Sandbox") -> None:
        self.sb = sandbox

    def routes(self) -> list[web.Route]:
        R = web.Route
        return [
            R("GET", "/connect/login", self.login_page, kite=False, auth=False),
            R("POST", "/connect/login", self.login_submit, kite=False, auth=False),
            R("GET", "/", self.status, kite=False, auth=False),
            R("GET", "/_sandbox", self.status, kite=False, auth=False),
            R("GET", "/_sandbox/stats", lambda request: web.success(self.sb.stats()), kite=False, auth=False),
            R("GET", "/_sandbox/faults", self.faults, kite=False, auth=False),
            R("POST", "/_sandbox/faults", self.set_faults, kite=False, auth=False),
            R("POST", "/_sandbox/expire_tokens", self.expire_tokens, kite=False, auth=False),
            R("POST", "/_sandbox/request_token", self.request_token, kite=False, auth=False),
            R("POST", "/_sandbox/access_token", self.access_token, kite=False, auth=False),
            R("GET", "/_sandbox/clock", self.clock, kite=False, auth=False),
            R("POST", "/_sandbox/clock", self.set_clock, kite=False, auth=False),
            R("POST", "/_sandbox/rate_limits", self.rate_limits, kite=False, auth=False),
        ]

    # --- login --------------------------------------------------------------------------------------------------

    def login_page(self, request: web.Request) -> web.Response:
        problem = self._login_problem(request)
        if problem:
            return web.html(400, f"<html><body><h2>Error</h2><p>{html_text.escape(problem)}</p></body></html>")
        auto = request.arg("autologin").lower()
        if auto in ("1", "success", "true", "yes"):
            return web.redirect(self._redirect_target(request, success=True))
        if auto in ("error", "cancel", "0"):
            return web.redirect(self._redirect_target(request, success=False))
        fields = {name: html_text.escape(value, quote=True) for name, value in (
            ("api_key", request.arg("api_key")), ("redirect_url", self._redirect_url(request)),
            ("redirect_params", request.arg("redirect_params")), ("user_id", DEFAULT_USER_ID))}
        return web.html(200, LOGIN_FORM.format(**fields))

    def login_submit(self, request: web.Request) -> web.Response:
        problem = self._login_problem(request)
        if problem:
            return web.html(400, f"<html><body><h2>Error</h2><p>{html_text.escape(problem)}</p></body></html>")
        success = request.arg("action", "login") == "login"
        return web.redirect(self._redirect_target(request, success))

    def _login_problem(self, request: web.Request) -> str | None:
        if request.arg("api_key") != self.sb.api_key:
            return "Invalid `api_key`."
        target = urlsplit(self._redirect_url(request))
        if target.scheme not in ("http", "https") or not target.netloc:
            return "Invalid redirect URL."
        return None

    def _redirect_url(self, request: web.Request) -> str:
        return request.arg("redirect_url") or self.sb.redirect_url

    def _redirect_target(self, request: web.Request, success: bool) -> str:
        url = self._redirect_url(request)
        query = {"action": "login", "type": "login", "status": "success" if success else "error"}
        if success:
            query["request_token"] = self.sb.create_request_token(request.arg("user_id") or DEFAULT_USER_ID)
        extra = request.arg("redirect_params")
        return url + ("&" if "?" in url else "?") + urlencode(query) + (f"&{extra}" if extra else "")

    # --- control ------------------------------------------------------------------------------------------------

    def status(self, request: web.Request) -> web.Response:
        sb = self.sb
        return web.success({"name": "OP Trading Kite Connect sandbox (mock data)", "url": sb.url,
                            "login_url": sb.login_url, "api_key": sb.api_key, "seed": sb.seed,
                            "speed": sb.clock.speed, "clock": sb.clock.now().isoformat(),
                            "faults": sb.faults.spec.text(), "rate_limits": sb.limiter.enabled})

    def faults(self, request: web.Request) -> web.Response:
        return web.success({"faults": self.sb.faults.spec.text()})

    def set_faults(self, request: web.Request) -> web.Response:
        spec = request.arg("spec") if request.form else request.body.decode("utf-8", "replace").strip()
        try:
            applied = self.sb.set_faults(spec)
        except ValueError as error:
            raise input_error(str(error)) from None
        return web.success({"faults": applied})

    def expire_tokens(self, request: web.Request) -> web.Response:
        return web.success({"expired": self.sb.expire_tokens()})

    def request_token(self, request: web.Request) -> web.Response:
        return web.success({"request_token": self.sb.create_request_token(request.arg("user_id") or DEFAULT_USER_ID)})

    def access_token(self, request: web.Request) -> web.Response:
        return web.success({"access_token": self.sb.issue_access_token(request.arg("user_id") or DEFAULT_USER_ID)})

    def clock(self, request: web.Request) -> web.Response:
        return web.success({"now": self.sb.clock.now().isoformat(), "speed": self.sb.clock.speed})

    def set_clock(self, request: web.Request) -> web.Response:
        try:
            if request.arg("freeze") == "1":
                self.sb.clock.freeze()
            else:
                speed = request.arg("speed")
                self.sb.clock.set(request.arg("at") or self.sb.clock.now(), float(speed) if speed else None)
        except ValueError as error:
            raise input_error(f"bad clock setting: {error}") from None
        return self.clock(request)

    def rate_limits(self, request: web.Request) -> web.Response:
        self.sb.limiter.enabled = request.arg("enabled", "1") not in ("0", "false", "no")
        return web.success({"rate_limits": self.sb.limiter.enabled})
