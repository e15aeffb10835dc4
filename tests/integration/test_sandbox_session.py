"""Login and sessions through the official kiteconnect client: checksum, single-use request tokens, logout, auth."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kiteconnect import exceptions as ex

from op_trading.sandbox import Sandbox
from tests.fixtures_sandbox import client, frozen_sandbox, kite, raw  # noqa: F401 - fixtures


def test_generate_session_with_checksum_returns_the_full_payload(frozen_sandbox):
    kite = client(frozen_sandbox)
    session = kite.generate_session(frozen_sandbox.create_request_token("ZX9876"), api_secret=frozen_sandbox.api_secret)
    for key in ("user_type", "email", "user_name", "user_shortname", "broker", "exchanges", "products",
                "order_types", "avatar_url", "user_id", "api_key", "access_token", "public_token", "enctoken",
                "refresh_token", "silo", "login_time", "meta"):
        assert key in session
    assert session["user_id"] == "ZX9876" and session["api_key"] == frozen_sandbox.api_key
    assert len(session["access_token"]) == 32 and session["access_token"].isalnum()
    assert session["login_time"].year >= 2026  # the client parsed the 19-character login_time
    assert kite.access_token == session["access_token"]
    assert kite.profile()["user_id"] == "ZX9876"


def test_credentials_look_like_kite_and_depend_on_the_seed():
    one, again, other = Sandbox(seed=1), Sandbox(seed=1), Sandbox(seed=2)
    assert (one.api_key, one.api_secret) == (again.api_key, again.api_secret)
    assert one.api_key != other.api_key
    assert len(one.api_key) == 16 and len(one.api_secret) == 32 and (one.api_key + one.api_secret).isalnum()


def test_request_token_is_single_use(frozen_sandbox):
    token = frozen_sandbox.create_request_token()
    client(frozen_sandbox).generate_session(token, api_secret=frozen_sandbox.api_secret)
    with pytest.raises(ex.TokenException, match="Token is invalid or has expired") as caught:
        client(frozen_sandbox).generate_session(token, api_secret=frozen_sandbox.api_secret)
    assert caught.value.code == 403


def test_request_token_expires(frozen_sandbox, monkeypatch):
    monkeypatch.setattr(frozen_sandbox.sessions, "request_token_ttl", 0.2)
    token = frozen_sandbox.create_request_token()
    time.sleep(0.3)
    with pytest.raises(ex.TokenException, match="expired"):
        client(frozen_sandbox).generate_session(token, api_secret=frozen_sandbox.api_secret)


def test_wrong_checksum_does_not_spend_the_token(frozen_sandbox):
    token = frozen_sandbox.create_request_token()
    with pytest.raises(ex.TokenException, match="Invalid `checksum`"):
        client(frozen_sandbox).generate_session(token, api_secret="not-the-secret")
    assert client(frozen_sandbox).generate_session(token, api_secret=frozen_sandbox.api_secret)["access_token"]


def test_wrong_api_key_and_json_post_are_input_errors(frozen_sandbox):
    from kiteconnect import KiteConnect

    with pytest.raises(ex.InputException, match="api_key"):
        KiteConnect("wrongkey123", root=frozen_sandbox.url).generate_session(
            frozen_sandbox.create_request_token(), api_secret=frozen_sandbox.api_secret)
    response = requests.post(frozen_sandbox.url + "/session/token", json={"api_key": frozen_sandbox.api_key}, timeout=5)
    assert response.status_code == 400 and response.json()["error_type"] == "InputException"


def test_logout_invalidates_the_token_and_calls_the_expiry_hook(frozen_sandbox):
    kite = client(frozen_sandbox, frozen_sandbox.issue_access_token())
    assert kite.profile()["user_id"] == "AB1234"
    assert kite.invalidate_access_token() is True
    hook_calls = []
    kite.set_session_expiry_hook(lambda: hook_calls.append(1))
    with pytest.raises(ex.TokenException, match="Incorrect `api_key` or `access_token`") as caught:
        kite.profile()
    assert caught.value.code == 403 and hook_calls == [1]


def test_missing_or_unknown_authorization_is_a_token_error(frozen_sandbox):
    with pytest.raises(ex.TokenException):
        client(frozen_sandbox).profile()  # no access token: no Authorization header at all
    with pytest.raises(ex.TokenException):
        client(frozen_sandbox, "A" * 32).profile()
    response = raw(frozen_sandbox, "GET", "/user/profile", headers={"Authorization": "Bearer something"})
    assert response.status_code == 403 and response.json()["error_type"] == "TokenException"


def test_wrong_kite_version_header_is_refused_but_a_missing_one_is_tolerated(frozen_sandbox):
    token = frozen_sandbox.issue_access_token()
    wrong = raw(frozen_sandbox, "GET", "/user/profile", token, headers={"X-Kite-Version": "2"})
    assert wrong.status_code == 400 and wrong.json()["error_type"] == "InputException"
    headers = {"Authorization": f"token {frozen_sandbox.api_key}:{token}"}
    assert requests.get(frozen_sandbox.url + "/user/profile", headers=headers, timeout=5).status_code == 200


def test_expire_tokens_kills_every_session(frozen_sandbox):
    kites = [client(frozen_sandbox, frozen_sandbox.issue_access_token()) for _ in range(2)]
    assert all(k.profile() for k in kites)
    assert frozen_sandbox.expire_tokens() >= 2
    for k in kites:
        with pytest.raises(ex.TokenException):
            k.profile()


def test_margins(kite):
    margins = kite.margins()
    assert set(margins) == {"equity", "commodity"} and margins["equity"]["enabled"] is True
    assert kite.margins("equity")["available"]["cash"] == 100000.0
    with pytest.raises(ex.InputException):
        kite.margins("crypto")


# --- the login page -------------------------------------------------------------------------------------------

def _location(response: requests.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 302 and response.headers["Content-Type"].startswith("text/html")
    target = urlsplit(response.headers["Location"])
    return f"{target.scheme}://{target.netloc}{target.path}", {k: v[0] for k, v in parse_qs(target.query).items()}


def test_login_page_form_submit_redirects_with_a_working_request_token(frozen_sandbox):
    login = f"{frozen_sandbox.login_url}?api_key={frozen_sandbox.api_key}&v=3"
    page = requests.get(login, timeout=5)
    assert page.status_code == 200 and "<form" in page.text and "mock" in page.text.lower()
    submitted = requests.post(frozen_sandbox.login_url, data={"api_key": frozen_sandbox.api_key, "action": "login",
                                                             "user_id": "QW1111"}, allow_redirects=False, timeout=5)
    where, query = _location(submitted)
    assert where == "http://127.0.0.1:5000/success"
    assert query["status"] == "success" and query["action"] == "login" and query["type"] == "login"
    session = client(frozen_sandbox).generate_session(query["request_token"], api_secret=frozen_sandbox.api_secret)
    assert session["user_id"] == "QW1111"


def test_login_autologin_honours_redirect_url_and_params(frozen_sandbox):
    response = requests.get(frozen_sandbox.login_url, params={
        "api_key": frozen_sandbox.api_key, "v": "3", "autologin": "success",
        "redirect_url": "http://127.0.0.1:5123/callback", "redirect_params": "state=abc"},
        allow_redirects=False, timeout=5)
    where, query = _location(response)
    assert where == "http://127.0.0.1:5123/callback" and query["state"] == "abc" and len(query["request_token"]) == 32


def test_login_cancel_and_error_redirect_without_a_token(frozen_sandbox):
    cancelled = requests.post(frozen_sandbox.login_url, data={"api_key": frozen_sandbox.api_key, "action": "cancel"},
                              allow_redirects=False, timeout=5)
    errored = requests.get(frozen_sandbox.login_url, params={"api_key": frozen_sandbox.api_key, "autologin": "error"},
                           allow_redirects=False, timeout=5)
    for response in (cancelled, errored):
        _, query = _location(response)
        assert query["status"] == "error" and "request_token" not in query


def test_login_page_refuses_an_unknown_api_key(frozen_sandbox):
    response = requests.get(frozen_sandbox.login_url, params={"api_key": "nope", "v": "3"}, timeout=5)
    assert response.status_code == 400 and "api_key" in response.text
