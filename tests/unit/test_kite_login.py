"""Login URL, pasted redirect URLs and tokens, redirect URL rules, and a browser opener that never blocks."""

from __future__ import annotations

import time
import webbrowser
from urllib.parse import parse_qs, urlsplit

import pytest

from op_trading.kite import login
from op_trading.kite.errors import InvalidToken, KiteSetupError, LoginError
from op_trading.kite.redirect import parse_redirect_url
from tests.fixtures_kite import API_KEY, kite_settings

REQUEST_TOKEN = "Rq7x2YbT9kLmN3pQ4sVw5zA6cD8eF0gH"


def test_login_url_carries_api_key_version_and_state():
    url = login.login_url(kite_settings(KITE_LOGIN_URL="http://127.0.0.1:9999/connect/login"), state="st4te")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:9999/connect/login"
    query = parse_qs(parts.query)
    assert query["api_key"] == [API_KEY] and query["v"] == ["3"]
    assert parse_qs(query["redirect_params"][0]) == {"state": ["st4te"]}


def test_login_url_defaults_to_kite_and_needs_an_api_key():
    assert login.login_url(kite_settings()).startswith(f"https://kite.zerodha.com/connect/login?api_key={API_KEY}&v=3")
    with pytest.raises(KiteSetupError, match="KITE_API_KEY"):
        login.login_url(kite_settings(KITE_API_KEY=None))


def test_states_are_random():
    assert len({login.new_state() for _ in range(20)}) == 20


@pytest.mark.parametrize("pasted", [
    f"http://127.0.0.1:5000/success?request_token={REQUEST_TOKEN}&action=login&status=success",
    f"  http://127.0.0.1:5000/success?action=login&type=login&status=success&request_token={REQUEST_TOKEN}\n",
    f"?request_token={REQUEST_TOKEN}&status=success",
    f"request_token={REQUEST_TOKEN}&action=login",
    f"'{REQUEST_TOKEN}'",
    REQUEST_TOKEN,
])
def test_parse_pasted_accepts_urls_queries_and_bare_tokens(pasted):
    assert login.parse_pasted(pasted) == REQUEST_TOKEN


@pytest.mark.parametrize("pasted, message", [
    ("", "Nothing was pasted"),
    ("http://127.0.0.1:5000/success?action=login&status=success", "no request_token"),
    ("http://127.0.0.1:5000/success?status=error&message=user%20cancelled", "status=error"),
    ("not a token!", "neither a redirect URL nor a request_token"),
    (f"http://127.0.0.1:5000/success?request_token={REQUEST_TOKEN}&state=old", "different state"),
])
def test_parse_pasted_explains_what_is_wrong(pasted, message):
    with pytest.raises(LoginError, match=message):
        login.parse_pasted(pasted, expected_state="new")


def test_pasted_url_without_state_is_accepted_deliberately():
    url = f"http://127.0.0.1:5000/success?request_token={REQUEST_TOKEN}&status=success"
    assert login.parse_pasted(url, expected_state="new") == REQUEST_TOKEN


@pytest.mark.parametrize("token", ["", "short", "has spaces in it", "x" * 129, "tok;rm -rf"])
def test_access_token_format_is_checked_before_any_call(token):
    with pytest.raises(InvalidToken):
        login.check_access_token_format(token)


def test_access_token_format_strips_whitespace():
    assert login.check_access_token_format("  abcdEFGH1234\n") == "abcdEFGH1234"


@pytest.mark.parametrize("url, message", [
    ("https://127.0.0.1:5000/success", "must start with http://"),
    ("http://example.com:5000/success", "only 127.0.0.1 or localhost"),
    ("http://192.168.1.5:5000/success", "only 127.0.0.1 or localhost"),
])
def test_redirect_url_must_be_local_http(url, message):
    with pytest.raises(KiteSetupError, match=message):
        parse_redirect_url(url)


def test_redirect_url_parts():
    target = parse_redirect_url("http://localhost:5001/kite/callback")
    assert (target.host, target.port, target.path) == ("localhost", 5001, "/kite/callback")
    assert parse_redirect_url("http://127.0.0.1").port == 80


def test_browser_is_not_opened_when_the_setting_is_off(monkeypatch):
    monkeypatch.setattr(webbrowser, "get", lambda *a: pytest.fail("must not look for a browser"))
    assert login.open_login_page(kite_settings(OPEN_BROWSER_FOR_LOGIN="false"), "http://x") is False


def test_console_browsers_are_never_started(monkeypatch):
    """lynx/w3m run in the foreground and would take over the terminal that waits for the redirect."""
    monkeypatch.setattr(webbrowser, "get", lambda *a: webbrowser.GenericBrowser("lynx"))
    assert login.open_browser("http://x") is False


def test_a_hanging_browser_launch_does_not_block(monkeypatch):
    class Hanging(webbrowser.BackgroundBrowser):
        def open(self, url, new=0, autoraise=True):
            time.sleep(5)
            return True

    monkeypatch.setattr(webbrowser, "get", lambda *a: Hanging("true"))
    started = time.monotonic()
    assert login.open_browser("http://x", wait_seconds=0.2) is False
    assert time.monotonic() - started < 1.0


def test_no_browser_at_all(monkeypatch):
    def none(*args):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", none)
    assert login.open_browser("http://x") is False


@pytest.mark.parametrize("query, expected", [
    ({"request_token": [REQUEST_TOKEN]}, "The redirect carries no login state (Kite did not return redirect_params, "
                                         "or it is not from this login): start the login again"),
    ({"request_token": [REQUEST_TOKEN], "state": ["old"]}, "The redirect carries a different state from this "
                                                           "login's (it comes from an older login tab): start"),
])
def test_state_messages_read_as_sentences(query, expected):
    from op_trading.kite.redirect import judge_redirect

    with pytest.raises(LoginError) as raised:
        judge_redirect(query, "new")
    assert str(raised.value).startswith(expected)
