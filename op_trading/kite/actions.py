"""The Kite menu leaves (ids `kite.*` in op_trading/actions.py): login, manual token, previous token, token status,
connection test, OAuth redirect check, permissions.

They talk to the user only through `ctx.ui` (never print or read) and return an Outcome. Under `--auto` nothing
waits for a person: a token comes from KITE_ACCESS_TOKEN (verified first) or the store, else exit code 3.
"""

from __future__ import annotations

from op_trading.context import Question
from op_trading.kite.errors import InvalidToken, KiteError, KiteSetupError, LoginError, LoginTimeout, PortBusy
from op_trading.kite.tokens import TokenRecord, state_of, token_state
from op_trading.outcome import Check, ExitCode, Outcome, Status, failed, from_checks, ok, skipped

MANUAL_TRIES = 3
NEEDS_PERSON = ("a Kite login needs a person at a browser: run the Production menu interactively, or pass "
                "--set KITE_ACCESS_TOKEN=<token> to verify and store a token")


def login(ctx, **params) -> Outcome:
    """Production > Kite Connect authentication setup."""
    settings = ctx.settings
    try:
        if settings["KITE_ACCESS_TOKEN"]:
            from op_trading.kite.login import verify_and_store_access_token

            record = verify_and_store_access_token(settings, settings["KITE_ACCESS_TOKEN"], source="environment")
            return _stored("Token from KITE_ACCESS_TOKEN verified and stored", record)
        state = token_state(settings)
        if ctx.auto:
            if state.usable:
                return ok(f"Kite token {state.summary}", data={"token_state": state.status})
            return failed(f"Kite token {state.summary}: {NEEDS_PERSON}", exit_code=ExitCode.AUTH_REQUIRED)
        if state.usable and not ctx.ui.confirm(f"The stored Kite token is {state.summary}. Log in again anyway?"):
            return ok(f"Kept the stored Kite token ({state.summary})", data={"token_state": state.status})
        return _stored("Logged in to Kite", browser_login(settings, ctx.ui))
    except KiteError as error:
        return _failure(error)


def manual_token(ctx, **params) -> Outcome:
    """Production > Enter valid access token manually: masked, format-checked, verified with one profile()."""
    from op_trading.kite.login import check_access_token_format, verify_and_store_access_token

    settings = ctx.settings
    given = settings["KITE_ACCESS_TOKEN"]
    if ctx.auto and not given:
        return skipped("no access token given (--set KITE_ACCESS_TOKEN=<token>)")
    question = Question("Kite access token", secret=True, validate=_empty_or(check_access_token_format),
                        help="From your own Kite login; it is checked with Kite before it is saved. "
                             "Enter with nothing typed goes back.")
    error: KiteError | None = None
    for _ in range(1 if given or ctx.auto else MANUAL_TRIES):
        text = given or ctx.ui.ask(question)
        if not text:
            return skipped("no token entered; the stored token is unchanged")
        try:
            return _stored("Access token verified and stored", verify_and_store_access_token(settings, text))
        except InvalidToken as rejected:
            error = rejected
            ctx.ui.notify(str(rejected))
        except KiteError as other:
            return _failure(other)
    return _failure(error)


def previous_token(ctx, **params) -> Outcome:
    """Production > Use previous/existing token: validity, countdown and one check with Kite."""
    from op_trading.kite.verify import stored_token_checks

    checks = stored_token_checks(ctx.settings, check_with_kite=True)
    return _report(checks, f"Kite token {token_state(ctx.settings).summary}", ctx.settings)


def token_status(ctx, **params) -> Outcome:
    """The token state as a step of the check sequences: no Kite call, exit code 3 when there is no valid token."""
    state = token_state(ctx.settings)
    if state.usable:
        return ok(f"Kite token {state.summary}", data={"token_state": state.status})
    return failed(f"Kite token {state.summary}: {state.detail}", exit_code=ExitCode.AUTH_REQUIRED,
                  data={"token_state": state.status})


def test_connection(ctx, **params) -> Outcome:
    """Wizard > Kite credentials > Test connection: profile and one LTP call with latency."""
    from op_trading.kite import verify

    return _report(verify.test_connection(ctx.settings), "Kite connection", ctx.settings)


def oauth_setup(ctx, **params) -> Outcome:
    """Wizard > Kite credentials > Set up OAuth redirect flow (the check after the redirect settings)."""
    from op_trading.kite.verify import check_oauth_setup

    checks = check_oauth_setup(ctx.settings) + [api_root_check(ctx.settings)]
    return _report(checks, "Kite login redirect setup", ctx.settings, needs_token=False)


def api_root_check(settings) -> Check:
    """KITE_API_ROOT shown and tried: any HTTP answer means the token exchange after login can reach it."""
    import time
    import urllib.error
    import urllib.request

    root = settings["KITE_API_ROOT"]
    shown = settings.shown("KITE_API_ROOT")
    hint = "KITE_API_ROOT is https://api.kite.trade for real data, the simulator's URL for offline work"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(root, timeout=min(settings["KITE_REQUEST_TIMEOUT_SECONDS"], 10)) as answer:
            status = answer.status
    except urllib.error.HTTPError as answer:  # an error page is still an answer from that server
        status = answer.code
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Check("API root", Status.WARN, f"{shown} did not answer ({reason}); {hint}")
    ms = (time.perf_counter() - started) * 1000
    return Check("API root", Status.OK, f"{shown} answers (HTTP {status}, {ms:.0f} ms)")


def permissions(ctx, **params) -> Outcome:
    """Wizard > Kite credentials > Validate permissions: quotes (needed) and historical data (optional)."""
    from op_trading.kite.verify import validate_permissions

    return _report(validate_permissions(ctx.settings), "Kite app permissions", ctx.settings)


test_connection.__test__ = False  # an action, not a pytest test, even when imported into a test module


def browser_login(settings, ui) -> TokenRecord:
    """Open (or show) the login page, catch the redirect on 127.0.0.1, fall back to pasting, exchange, store."""
    from op_trading.kite.login import (RedirectCatcher, exchange_request_token, login_url, new_state,
                                       open_login_page, parse_pasted)

    state = new_state()
    url = login_url(settings, state)
    catcher = RedirectCatcher(settings["KITE_REDIRECT_URL"], settings["KITE_LOGIN_TIMEOUT_SECONDS"], state)
    try:
        catcher.start()
    except PortBusy as busy:
        ui.notify(str(busy))
        catcher = None
    opened = open_login_page(settings, url)
    ui.notify("Log in to Kite in the browser window that opened (if none did, open this address): " + url
              if opened else "Open this address in a browser on this machine and log in: " + url)
    token = None
    if catcher is not None:
        try:
            if opened or ui.confirm("Wait here for the browser to come back?", default=True):
                token = _wait_for_redirect(catcher, ui)
        finally:  # Ctrl-C included: the port is free again for the next attempt
            catcher.close()
    if token is None:
        pasted = ui.ask(Question("Paste the address the browser shows after login (or the request_token)",
                                 secret=True, validate=_problem_of(parse_pasted)))
        token = parse_pasted(pasted, expected_state=state)
    return exchange_request_token(settings, token)


def _wait_for_redirect(catcher, ui) -> str | None:
    total = catcher.timeout
    with ui.progress(f"Waiting for the login redirect on {catcher.target.url}", total=total) as bar:
        shown = [total]

        def tick(left: float) -> None:
            bar.advance(shown[0] - left)
            shown[0] = left

        try:
            return catcher.wait(on_tick=tick)
        except LoginTimeout as timeout:
            ui.notify(str(timeout))
            return None


def _empty_or(check):
    """Like _problem_of, but an empty answer is accepted (it means: go back)."""
    problem_of = _problem_of(check)
    return lambda text: None if not text else problem_of(text)


def _problem_of(check):
    def validate(text: str) -> str | None:
        try:
            check(text)
        except (LoginError, InvalidToken) as error:
            return str(error).split(";")[0].rstrip(".") + "."  # a sentence: the UI adds "Try again" after it
        return None

    return validate


def _stored(message: str, record: TokenRecord) -> Outcome:
    state = state_of(record, record.api_key)
    user = f" as {record.user_id}" if record.user_id else ""
    return ok(f"{message}{user}: token {record.masked_token} {state.summary}",
              data={"user_id": record.user_id, "expires_at": record.expires_at.isoformat(), "source": record.source})


def _report(checks, message: str, settings, needs_token: bool = True) -> Outcome:
    """The worst check decides. A failed step with no valid token afterwards (missing, expired, or just marked
    invalid by the client's session-expiry hook) means "log in": exit code 3; a failed setup check is exit 2."""
    outcome = from_checks(checks, message)
    if outcome.status is not Status.FAILED:
        return outcome
    code = ExitCode.USAGE if not needs_token else (
        ExitCode.AUTH_REQUIRED if not token_state(settings).usable else ExitCode.FAILED)
    return Outcome(outcome.status, outcome.message, checks=outcome.checks, exit_code=code)


def _failure(error: KiteError | None) -> Outcome:
    code = ExitCode.USAGE if isinstance(error, KiteSetupError) else ExitCode.AUTH_REQUIRED
    return failed(str(error) if error else "no access token", exit_code=code)
