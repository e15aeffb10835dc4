"""No secret is ever printed or logged whole: a full day of Kite work with every logger at DEBUG, then a scan.

Two logins (redirect caught; redirect pasted after a busy port), a manual token, data calls, a refused exchange and
an expired token, with the outcomes rendered as the app renders them. The log file, the console transcript and
the process's stdout/stderr are then searched for the api_secret and every access token that existed.
"""

from __future__ import annotations

import logging
import pytest

from op_trading.kite import actions
from op_trading.kite.client import authenticated_kite, call
from op_trading.kite.errors import LoginError
from op_trading.kite.login import exchange_request_token
from op_trading.kite.tokens import TokenStore
from op_trading.ui.render import outcome as render
from tests.fixtures_kite import occupied, redirect_url, sandbox, sandbox_settings  # noqa: F401 (fixtures)
from tests.integration.test_kite_actions import context, fake_browser


@pytest.fixture
def debug_log(tmp_path):
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def test_secrets_never_reach_logs_or_output(sandbox, redirect_url, monkeypatch, debug_log, capsys):
    settings = sandbox_settings(sandbox, OPEN_BROWSER_FOR_LOGIN="true")
    store = TokenStore.from_settings(settings)
    tokens: list[str] = []
    ctx, console = context(settings)

    fake_browser(monkeypatch)
    render(ctx.ui.console, actions.login(ctx))
    tokens.append(store.load().access_token)

    ctx.ui.answers.append("y")  # "log in again anyway?"
    fake_browser(monkeypatch, follow=False, ui=ctx.ui)
    with occupied(redirect_url):
        render(ctx.ui.console, actions.login(ctx))
    tokens.append(store.load().access_token)

    manual = sandbox.issue_access_token()
    tokens.append(manual)
    ctx.ui.answers.extend(["wrongtoken12345678", manual])
    render(ctx.ui.console, actions.manual_token(ctx))

    kite = authenticated_kite(settings)
    call(kite, "ltp", "NSE:NIFTY 50")
    render(ctx.ui.console, actions.previous_token(ctx))
    with pytest.raises(LoginError) as refused:
        exchange_request_token(sandbox_settings(sandbox, KITE_API_SECRET="0" * 32), sandbox.create_request_token())
    ctx.ui.notify(str(refused.value))
    sandbox.expire_tokens()
    render(ctx.ui.console, actions.test_connection(ctx))

    log_text = debug_log.read_text(encoding="utf-8")
    captured = capsys.readouterr()
    transcript = console.getvalue()
    assert "session/token" in log_text and "op_trading.kite" in log_text  # the scan looked at real DEBUG logs
    assert f"****{manual[-4:]}" in transcript  # tokens were mentioned, masked
    secrets = {"api_secret": settings["KITE_API_SECRET"], **{f"access token {i}": t for i, t in enumerate(tokens)}}
    assert len(set(tokens)) == 3
    for where, text in (("log file", log_text), ("console", transcript), ("stdout", captured.out),
                        ("stderr", captured.err)):
        for name, secret in secrets.items():
            assert secret not in text, f"{name} appears in the {where}"
