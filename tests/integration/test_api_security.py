"""Safe by default, against a real uvicorn: token on every request and WebSocket, bounded size and rate, no CORS
unless configured, and no listening beyond loopback without a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from op_trading.api.security import ApiConfigError, check_binding
from tests.fixtures_api import mock_settings

TOKEN = "t0ken-for-tests-1234567890"


def serve(tmp_path, **extra):
    from op_trading.api.server import ApiServer

    settings = mock_settings(tmp_path, **extra)
    return ApiServer(settings, port=0, cache_prefix="optrading-test:security:").start()


def call(url, headers=None, data=None, method="GET"):
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_listening_beyond_loopback_needs_a_token(host):
    with pytest.raises(ApiConfigError, match="API_TOKEN"):
        check_binding(host, None)
    check_binding(host, TOKEN)  # with a token it is allowed
    check_binding("127.0.0.1", None)
    check_binding("::1", None)


def test_token_is_checked_on_every_request_and_websocket(tmp_path):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    server = serve(tmp_path, API_TOKEN=TOKEN)
    try:
        for path in ("/health", "/api/v1/overview", "/metrics", "/", "/docs"):
            code, _, body = call(server.url + path)
            assert code == 401 and "API token" in json.loads(body)["detail"], path
        assert call(server.url + "/api/v1/overview", {"Authorization": "Bearer wrong"})[0] == 401
        assert call(server.url + "/api/v1/overview", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        assert call(server.url + "/health", {"X-API-Token": TOKEN})[0] == 200
        with pytest.raises(InvalidStatus):
            connect(server.url.replace("http", "ws") + "/ws/alerts", open_timeout=5)
        with connect(server.url.replace("http", "ws") + "/ws/alerts", open_timeout=5,
                     additional_headers={"Authorization": f"Bearer {TOKEN}"}) as socket:
            assert json.loads(socket.recv(timeout=10))["stream"] == "alerts"
    finally:
        server.stop()


def test_browser_token_becomes_a_cookie_and_leaves_the_url(tmp_path):
    server = serve(tmp_path, API_TOKEN=TOKEN)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())
        request = urllib.request.Request(server.url + f"/chain?index=NIFTY&token={TOKEN}")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as answer:
            opener.open(request, timeout=10)
        assert answer.value.code == 303 and answer.value.headers["Location"] == "/chain?index=NIFTY"
        cookie = answer.value.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert call(server.url + "/chain", {"Cookie": cookie.split(";")[0]})[0] == 200
    finally:
        server.stop()


def test_request_size_and_rate_are_bounded(tmp_path):
    server = serve(tmp_path, API_RATE_LIMIT_PER_MINUTE="5")
    try:
        code, _, body = call(server.url + "/health", data=b"x" * 20000, method="POST")
        assert code == 413 and "larger than" in json.loads(body)["detail"]
        code, _, _ = call(server.url + "/health?" + "a=1&" * 1000)
        assert code == 414
        answers = [call(server.url + "/health")[0] for _ in range(6)]
        assert answers == [200] * 5 + [429]  # refused for size before they counted
        code, headers, _ = call(server.url + "/health")
        assert code == 429 and headers["retry-after"] == "60"
    finally:
        server.stop()


def test_no_cors_unless_configured(tmp_path):
    origin = {"Origin": "http://elsewhere.example"}
    server = serve(tmp_path)
    try:
        _, headers, _ = call(server.url + "/health", origin)
        assert "access-control-allow-origin" not in {key.lower() for key in headers}
    finally:
        server.stop()
    server = serve(tmp_path, API_CORS_ORIGINS="http://elsewhere.example")
    try:
        _, headers, _ = call(server.url + "/health", origin)
        assert {key.lower(): value for key, value in headers.items()}["access-control-allow-origin"] == \
            "http://elsewhere.example"
    finally:
        server.stop()


def test_empty_store_answers_plainly(tmp_path):
    server = serve(tmp_path)
    try:
        code, _, body = call(server.url + "/api/v1/overview")
        data = json.loads(body)
        assert code == 200 and data["as_of"] is None and "nothing collected yet" in data["market_note"]
        code, _, body = call(server.url + "/api/v1/options/NIFTY")
        assert code == 404
    finally:
        server.stop()
