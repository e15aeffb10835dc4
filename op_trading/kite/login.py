"""Getting a Kite access token: the login URL, the browser, the redirect, a pasted URL, or a pasted token.

Every path ends in the token store, and nothing reaches it unverified: a request_token is exchanged with
`generate_session` (which only succeeds for a good api_key/api_secret pair), an access token typed by hand is
checked with exactly one `profile()` call first. Secrets never appear in messages or logs whole.
"""

from __future__ import annotations

import logging
import secrets
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

from op_trading.errortext import bounded
from op_trading.kite.client import call, make_kite
from op_trading.kite.errors import InvalidToken, KiteSetupError, LoginError
from op_trading.kite.redirect import REQUEST_TOKEN, RedirectCatcher, judge_redirect, parse_redirect_url
from op_trading.kite.retry import describe
from op_trading.kite.tokens import TokenRecord, TokenStore

__all__ = ["RedirectCatcher", "new_state", "login_url", "open_login_page", "open_browser", "parse_pasted",
           "exchange_request_token", "verify_and_store_access_token", "check_access_token_format"]

log = logging.getLogger(__name__)
RELOGIN = "Kite tokens end at 06:00 IST; log in again for a fresh one"


def new_state() -> str:
    """A random value tying the redirect to this login (a stale tab or a forged request carries another)."""
    return secrets.token_urlsafe(16)


def login_url(settings, state: str | None = None) -> str:
    """KITE_LOGIN_URL?api_key=...&v=3[&redirect_params=state%3D...]: Kite sends redirect_params back to us."""
    api_key = settings["KITE_API_KEY"]
    if not api_key:
        raise KiteSetupError("KITE_API_KEY is not set: run the Environment configuration wizard "
                             "(Kite Connect API credentials)")
    params = {"api_key": api_key, "v": "3"}
    if state:
        params["redirect_params"] = urlencode({"state": state})
    return f"{settings['KITE_LOGIN_URL']}?{urlencode(params)}"


def open_login_page(settings, url: str) -> bool:
    """Open the login page when OPEN_BROWSER_FOR_LOGIN is on; returns whether a browser took it."""
    return bool(settings["OPEN_BROWSER_FOR_LOGIN"]) and open_browser(url)


def open_browser(url: str, wait_seconds: float = 3.0) -> bool:
    """Hand the URL to a graphical browser without ever blocking the terminal.

    Console browsers (lynx, w3m, www-browser) are skipped: webbrowser runs them in the foreground, where they would
    take over the very terminal that is waiting for the redirect.
    """
    import webbrowser

    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(controller) is webbrowser.GenericBrowser:
        return False
    outcome: dict[str, bool] = {}

    def launch() -> None:
        try:
            outcome["opened"] = bool(controller.open(url, new=2))
        except Exception as error:  # a broken browser setup must not break the login: the URL is shown anyway
            log.info("could not open a browser: %s", type(error).__name__)

    thread = threading.Thread(target=launch, name="open-browser", daemon=True)
    thread.start()
    thread.join(wait_seconds)
    return outcome.get("opened", False)


def parse_pasted(text: str, expected_state: str | None = None) -> str:
    """The request_token from a pasted redirect URL (or query string), or a bare request_token as pasted.

    A URL with `status=error` or without a request_token raises LoginError with what to do. The state is checked
    only when the URL carries one and `expected_state` is given: a pasted URL is a deliberate act.
    """
    text = (text or "").strip().strip("'\"<>")
    if not text:
        raise LoginError("Nothing was pasted: paste the address the browser shows after login, or the request_token")
    if "=" in text or "://" in text or "?" in text:
        query = urlsplit(text).query if "://" in text else text.split("?", 1)[-1]
        params = parse_qs(query)
        if "state" not in params:
            expected_state = None
        if not params.get("request_token") and params.get("status", [""])[0].lower() != "error":
            raise LoginError("That address has no request_token: copy the whole address from the browser's "
                             "address bar after logging in")
        return judge_redirect(params, expected_state)
    if not REQUEST_TOKEN.fullmatch(text):
        raise LoginError("That is neither a redirect URL nor a request_token (letters and digits only)")
    return text


def exchange_request_token(settings, request_token: str, now=None) -> TokenRecord:
    """generate_session(request_token, api_secret), then store the access token; LoginError when Kite refuses."""
    from kiteconnect import exceptions as kex

    api_secret = settings["KITE_API_SECRET"]
    if not api_secret:
        raise KiteSetupError("KITE_API_SECRET is not set: run the Environment configuration wizard "
                             "(Kite Connect API credentials)")
    kite = make_kite(settings)
    try:
        session = call(kite, "generate_session", request_token, api_secret=api_secret)
    except kex.TokenException as error:
        if "checksum" in str(error).lower():
            raise LoginError("Kite says the checksum is invalid: KITE_API_SECRET does not belong to "
                             "KITE_API_KEY") from None
        raise LoginError(f"Kite refused the request token ({bounded(str(error))}): it works once and only for a "
                         "few minutes, "
                         "so log in again") from None
    except kex.InputException as error:
        raise LoginError(f"Kite refused the session request ({bounded(str(error))}): check KITE_API_KEY and "
                         "KITE_API_SECRET") from None
    except Exception as error:  # network, 5xx, malformed answers: one line, never a traceback
        raise LoginError(f"Could not exchange the request token with Kite: {describe(error)}") from None
    access_token = (session or {}).get("access_token")
    if not access_token:
        raise LoginError("Kite's session answer has no access_token: log in again")
    record = TokenRecord.issued_now(access_token, settings["KITE_API_KEY"], str(session.get("user_id") or ""),
                                    str(session.get("user_name") or ""), source="login", now=now)
    TokenStore.from_settings(settings).save(record)
    return record


def check_access_token_format(access_token: str) -> str:
    """The token stripped, or InvalidToken: the KITE_ACCESS_TOKEN field's own pattern is the one format rule."""
    from op_trading.config.fields import FieldError, parse_value
    from op_trading.config.settings import fields

    try:
        token = parse_value(fields()["KITE_ACCESS_TOKEN"], access_token or "")
    except FieldError:
        raise InvalidToken("That is not an access token (8 to 128 letters and digits); nothing was saved") from None
    if not token:
        raise InvalidToken("No access token was entered; nothing was saved")
    return token


def verify_and_store_access_token(settings, access_token: str, now=None, source: str = "manual") -> TokenRecord:
    """Check the format, make ONE profile() call with the token, and store it only when Kite accepts it."""
    from kiteconnect import exceptions as kex

    token = check_access_token_format(access_token)
    kite = make_kite(settings, token)
    try:
        profile = call(kite, "profile")
    except kex.TokenException:
        raise InvalidToken(f"Kite rejected this access token (or it belongs to another api_key): nothing was "
                           f"saved. {RELOGIN}") from None
    except Exception as error:
        raise KiteSetupError(f"Could not verify the token with Kite ({describe(error)}); nothing was "
                             "saved") from None
    record = TokenRecord.issued_now(token, settings["KITE_API_KEY"], str(profile.get("user_id") or ""),
                                    str(profile.get("user_name") or ""), source=source, now=now)
    TokenStore.from_settings(settings).save(record)
    return record


def redirect_target(settings):
    """Where the login flow listens, from KITE_REDIRECT_URL (KiteSetupError when it cannot be served here)."""
    return parse_redirect_url(settings["KITE_REDIRECT_URL"])
