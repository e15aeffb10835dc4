"""The kite.* menu actions with a scripted UI against the simulator: outcomes, exit codes, second chances."""

from __future__ import annotations

import io
import threading

import pytest

from op_trading.context import RunContext
from op_trading.kite import actions
from op_trading.kite.tokens import TokenStore, token_state
from op_trading.outcome import ExitCode, Status
from op_trading.ui.io import ScriptedUI
from op_trading.ui.render import make_console
from tests.fixtures_kite import browse, occupied, redirect_url, sandbox, sandbox_settings  # noqa: F401 (fixtures)


def context(settings, answers=(), auto=False):
    out = io.StringIO()
    ui = ScriptedUI(make_console(file=out, width=200), list(answers))
    return RunContext("development", settings, ui, auto=auto), out


def fake_browser(monkeypatch, outcome="success", follow=True, ui=None):
    """Stand in for the person at the browser: 'log in' on the simulator's page when the login URL is opened.

    With follow=False the redirect is not followed; its address is handed to the UI as the pasted answer instead.
    """
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def open_browser(url, wait_seconds=3.0):
        url += f"&autologin={outcome}"
        if follow:
            threading.Thread(target=browse, args=(url,), daemon=True).start()
        else:
            try:
                urllib.request.build_opener(NoRedirect).open(url, timeout=5)
            except urllib.error.HTTPError as redirect:
                ui.answers.insert(0, redirect.headers["Location"])
        return True

    monkeypatch.setattr("op_trading.kite.login.open_browser", open_browser)


def test_interactive_login_catches_the_redirect(sandbox, monkeypatch):
    ctx, out = context(sandbox_settings(sandbox, OPEN_BROWSER_FOR_LOGIN="true"))
    fake_browser(monkeypatch)
    result = actions.login(ctx)
    assert result.status is Status.OK, result.message
    assert "Logged in to Kite as AB1234" in result.message and "valid until 06:00 IST" in result.message
    assert token_state(ctx.settings).status == "valid"


def test_busy_port_falls_back_to_pasting_the_redirect(sandbox, redirect_url, monkeypatch):
    ctx, out = context(sandbox_settings(sandbox, OPEN_BROWSER_FOR_LOGIN="true"))
    fake_browser(monkeypatch, follow=False, ui=ctx.ui)
    with occupied(redirect_url) as port:
        result = actions.login(ctx)
    assert result.status is Status.OK, result.message
    text = out.getvalue()
    assert f"Port {port} on 127.0.0.1 is in use" in text and "Paste the address" in text


def test_cancelled_login_is_a_failed_step_with_exit_code_3(sandbox, monkeypatch):
    ctx, _ = context(sandbox_settings(sandbox, OPEN_BROWSER_FOR_LOGIN="true"))
    fake_browser(monkeypatch, outcome="error")
    result = actions.login(ctx)
    assert result.status is Status.FAILED and result.code() == ExitCode.AUTH_REQUIRED
    assert "status=error" in result.message


def test_auto_login_never_waits_for_a_person(sandbox):
    ctx, _ = context(sandbox_settings(sandbox), auto=True)
    result = actions.login(ctx)
    assert result.code() == ExitCode.AUTH_REQUIRED and "--set KITE_ACCESS_TOKEN" in result.message
    ctx, _ = context(sandbox_settings(sandbox, KITE_ACCESS_TOKEN=sandbox.issue_access_token()), auto=True)
    result = actions.login(ctx)
    assert result.status is Status.OK and TokenStore.from_settings(ctx.settings).load().source == "environment"
    assert actions.login(context(sandbox_settings(sandbox), auto=True)[0]).status is Status.OK  # already valid


def test_manual_token_gives_a_second_chance_and_saves_only_a_good_token(sandbox):
    good = sandbox.issue_access_token()
    ctx, out = context(sandbox_settings(sandbox), answers=["short", "wrongtoken12345678", good])
    result = actions.manual_token(ctx)
    assert result.status is Status.OK and "Access token verified and stored" in result.message
    text = out.getvalue()
    assert "not an access token" in text and "Kite rejected this access token" in text
    assert sandbox.count("GET /user/profile") == 2  # the malformed one never reached Kite
    assert TokenStore.from_settings(ctx.settings).load().access_token == good


def test_manual_token_three_refusals_fail_with_exit_code_3(sandbox):
    ctx, _ = context(sandbox_settings(sandbox), answers=["wrongtoken12345678"] * 3)
    result = actions.manual_token(ctx)
    assert result.code() == ExitCode.AUTH_REQUIRED
    assert not TokenStore.from_settings(ctx.settings).path.exists()
    assert actions.manual_token(context(sandbox_settings(sandbox), auto=True)[0]).status is Status.SKIPPED


def test_token_status_previous_token_and_checks(sandbox):
    settings = sandbox_settings(sandbox)
    ctx, _ = context(settings)
    assert actions.token_status(ctx).code() == ExitCode.AUTH_REQUIRED
    assert actions.previous_token(ctx).code() == ExitCode.AUTH_REQUIRED
    assert actions.test_connection(ctx).code() == ExitCode.AUTH_REQUIRED
    actions.manual_token(context(settings, answers=[sandbox.issue_access_token()])[0])
    for action in (actions.token_status, actions.previous_token, actions.test_connection, actions.permissions,
                   actions.oauth_setup):
        result = action(ctx)
        assert result.status is Status.OK, (action.__name__, result)
    sandbox.expire_tokens()
    result = actions.previous_token(ctx)  # Kite refuses it now: the store learns, the step says log in
    assert result.status is Status.FAILED and result.code() == ExitCode.AUTH_REQUIRED
    assert token_state(settings).status == "invalid"


@pytest.mark.parametrize("url", ["https://127.0.0.1:5000/success", "http://example.com/success"])
def test_an_unservable_redirect_url_is_a_configuration_error(sandbox, url):
    ctx, _ = context(sandbox_settings(sandbox, KITE_REDIRECT_URL=url))
    result = actions.oauth_setup(ctx)
    assert result.status is Status.FAILED and result.code() == ExitCode.USAGE
