"""Checks of the Kite setup that the menus show as ok / warn / failed lines with a reason.

Each function returns `Check`s and never raises for a problem it can describe: a missing key, a refused token, a
missing subscription and an unreachable API are all lines in the report, not tracebacks.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Callable

from op_trading.config.fields import mask
from op_trading.errortext import bounded
from op_trading.kite.errors import KiteError
from op_trading.kite.redirect import parse_redirect_url, port_is_free
from op_trading.kite.retry import describe
from op_trading.kite.tokens import IST, LOGIN_HINT, now_utc, token_state
from op_trading.market.indices import NIFTY
from op_trading.outcome import Check, Status

KITE_APP_PAGE = "developers.kite.trade > My apps > your app"


def _timed(kite, method_name: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The result and the milliseconds Kite took, without the time spent waiting for the rate limiter."""
    from op_trading.kite.client import call, call_stats

    stats = call_stats(kite)
    waited_before, started = stats.waited_seconds, time.perf_counter()
    result = call(kite, method_name, *args, **kwargs)
    return result, (time.perf_counter() - started - (stats.waited_seconds - waited_before)) * 1000


def _explain(error: Exception, what: str) -> str:
    name = type(error).__name__
    if name == "TokenException":
        return f"Kite rejected the access token ({bounded(str(error))}); {LOGIN_HINT}"
    if name == "PermissionException":
        return (f"your Kite app is not allowed {what} ({bounded(str(error))}); this needs the matching Kite Connect "
                "plan or add-on")
    return f"{describe(error)}"


def _client(settings) -> tuple[Any, Check | None]:
    """An authenticated client, or a failed 'Kite token' check saying why there is none."""
    from op_trading.kite.client import authenticated_kite

    try:
        return authenticated_kite(settings), None
    except KiteError as error:
        return None, Check("Kite token", Status.FAILED, str(error))


def _attempt(name: str, what: str, run: Callable[[], str], failure: Status = Status.FAILED) -> Check:
    try:
        return Check(name, Status.OK, run())
    except KiteError as error:
        return Check(name, failure, str(error))
    except Exception as error:  # every client or network error becomes a report line
        status = Status.FAILED if type(error).__name__ == "TokenException" else failure
        return Check(name, status, _explain(error, what))


def _profile_check(kite, name: str, failure: Status = Status.FAILED) -> Check:
    def profile() -> str:
        data, ms = _timed(kite, "profile")
        return f"{data.get('user_id', '?')} ({data.get('user_name', '')}) in {ms:.0f} ms"

    return _attempt(name, "to read the profile", profile, failure)


def test_connection(settings) -> list[Check]:
    """Profile and one LTP call with the stored token, each with its latency."""
    checks = [Check("Kite API root", Status.OK, settings["KITE_API_ROOT"])]
    kite, problem = _client(settings)
    if problem:
        return checks + [problem]

    def ltp() -> str:
        data, ms = _timed(kite, "ltp", NIFTY.quote_key)
        price = (data.get(NIFTY.quote_key) or {}).get("last_price")
        if price is None:
            raise KiteError(f"Kite answered without {NIFTY.quote_key}")
        return f"{NIFTY.quote_key} = {price} in {ms:.0f} ms"

    checks.append(_profile_check(kite, "Profile"))
    if checks[-1].status is Status.OK:
        checks.append(_attempt("LTP", "to read prices", ltp))
    return checks


def validate_permissions(settings) -> list[Check]:
    """Whether the app may read quotes (needed) and historical candles (only for backfills)."""
    kite, problem = _client(settings)
    if problem:
        return [problem]

    def quotes() -> str:
        data, ms = _timed(kite, "quote", NIFTY.quote_key)
        if NIFTY.quote_key not in data:
            raise KiteError(f"Kite answered without {NIFTY.quote_key}")
        return f"full quotes allowed ({ms:.0f} ms)"

    def candles() -> str:
        today = now_utc().astimezone(IST).replace(tzinfo=None, microsecond=0)
        data, ms = _timed(kite, "historical_data", NIFTY.instrument_token, today - timedelta(days=7), today, "day")
        return f"historical candles allowed ({len(data)} day candles, {ms:.0f} ms)"

    return [_attempt("Market quotes", "to read market quotes", quotes),
            _attempt("Historical data", "to read historical candles (collection does not need it)", candles,
                     failure=Status.WARN)]


def check_oauth_setup(settings) -> list[Check]:
    """Everything the browser login needs, and what to register in the Kite app."""
    checks = [_setting_check(settings, "KITE_API_KEY", "API key"),
              _setting_check(settings, "KITE_API_SECRET", "API secret")]
    redirect = settings["KITE_REDIRECT_URL"]
    try:
        target = parse_redirect_url(redirect)
    except KiteError as error:
        return checks + [Check("Redirect URL", Status.FAILED, str(error))]
    checks.append(Check("Redirect URL", Status.OK, f"{redirect} (the login listens on 127.0.0.1:{target.port})"))
    if port_is_free(target.port):
        checks.append(Check("Redirect port", Status.OK, f"{target.port} is free on 127.0.0.1"))
    else:
        checks.append(Check("Redirect port", Status.WARN,
                            f"{target.port} is in use on 127.0.0.1: close the program using it before logging in, "
                            "or pick another port in KITE_REDIRECT_URL and register it in the Kite app"))
    checks.append(Check("Kite app settings", Status.OK,
                        f"In {KITE_APP_PAGE}, set Redirect URL to exactly {redirect} (same host, port and path; "
                        "127.0.0.1 and localhost are different to Kite)"))
    checks.append(_browser_check(settings))
    return checks


def stored_token_checks(settings, check_with_kite: bool = True, now=None) -> list[Check]:
    """'Use previous token': what the store holds, how long it lives, and (optionally) whether Kite accepts it."""
    state = token_state(settings, now=now)
    if not state.usable:
        return [Check("Stored token", Status.FAILED, f"{state.summary}: {state.detail}")]
    record = state.record
    checks = [Check("Stored token", Status.OK, f"{record.masked_token} for {record.user_id or '?'}, "
                                               f"{state.summary}")]
    if check_with_kite:
        kite, problem = _client(settings)
        if problem:
            return checks + [problem]
        # Unreachable Kite only warns: the token may be fine; a TokenException still fails (see _attempt).
        checks.append(_profile_check(kite, "Kite accepts it", failure=Status.WARN))
    return checks


def _setting_check(settings, name: str, label: str) -> Check:
    value = settings[name]
    if not value:
        return Check(label, Status.FAILED, f"{name} is not set: enter it in the Kite Connect credentials wizard")
    return Check(label, Status.OK, f"{name} = {mask(value)}")


def _browser_check(settings) -> Check:
    import webbrowser

    if not settings["OPEN_BROWSER_FOR_LOGIN"]:
        return Check("Browser", Status.OK, "OPEN_BROWSER_FOR_LOGIN is off: the login URL is shown to open yourself")
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        controller = None
    if controller is None or type(controller) is webbrowser.GenericBrowser:
        return Check("Browser", Status.WARN, "no graphical browser found here: the login URL will be shown; open "
                                             "it on this machine, or paste the redirect URL back")
    return Check("Browser", Status.OK, f"the login page opens in {getattr(controller, 'name', 'your browser')}")


test_connection.__test__ = False  # a product function, not a pytest test, even when imported into a test module
