"""The one-shot redirect server catching real HTTP requests on 127.0.0.1, as a browser sends them."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from op_trading.kite.errors import LoginError, LoginTimeout, PortBusy
from op_trading.kite.login import RedirectCatcher
from op_trading.kite.redirect import port_is_free
from tests.fixtures_kite import browse, occupied, redirect_url  # noqa: F401 (fixture)

TOKEN = "Rq7x2YbT9kLmN3pQ4sVw5zA6cD8eF0gH"


def browser_later(url: str, delay: float = 0.1) -> dict:
    """Send the redirect from another thread, like the browser does while the terminal waits."""
    seen: dict = {}

    def visit():
        time.sleep(delay)
        seen["status"], seen["page"] = browse(url)

    thread = threading.Thread(target=visit)
    thread.start()
    seen["thread"] = thread
    return seen


def test_captures_the_request_token_and_answers_the_browser(redirect_url):
    with RedirectCatcher(redirect_url, timeout=10, expected_state="abc123") as catcher:
        seen = browser_later(f"{redirect_url}?action=login&type=login&status=success&request_token={TOKEN}"
                             "&state=abc123")
        assert catcher.wait() == TOKEN
    seen["thread"].join(5)
    assert seen["status"] == 200 and "close this tab" in seen["page"]
    assert TOKEN not in seen["page"]
    assert port_is_free(catcher.target.port)  # one-shot: the port is released at once


def test_other_paths_are_ignored_until_the_redirect_arrives(redirect_url):
    base = redirect_url.rsplit("/", 1)[0]
    with RedirectCatcher(redirect_url, timeout=10) as catcher:
        assert browse(base + "/favicon.ico")[0] == 404  # browsers ask for this; it must not end the wait
        seen = browser_later(f"{redirect_url}?request_token={TOKEN}&status=success")
        assert catcher.wait() == TOKEN
    seen["thread"].join(5)


@pytest.mark.parametrize("query, message", [
    ("status=error&action=login&state=abc123", "status=error"),
    ("status=success&state=abc123", "no request_token"),
    ("request_token=short&status=success&state=abc123", "not in Kite's format"),
])
def test_a_bad_redirect_of_this_login_ends_the_wait_with_a_clear_message(redirect_url, query, message):
    with RedirectCatcher(redirect_url, timeout=10, expected_state="abc123") as catcher:
        seen = browser_later(f"{redirect_url}?{query}")
        with pytest.raises(LoginError, match=message):
            catcher.wait()
    seen["thread"].join(5)
    assert seen["status"] == 400 and "close this tab" in seen["page"]


STRANGERS = [  # any web page can send these to 127.0.0.1; none of them may end the login
    ("/success", f"request_token={TOKEN}&status=success&state=stale"),  # another login's state
    ("/success", f"request_token={TOKEN}&status=success"),  # no state at all
    ("/success", "status=error&message=denied"),  # a forged failure without the state
    ("/success", ""),  # a bare visit of the redirect path
    ("/callback", f"request_token={TOKEN}&status=success&state=abc123"),  # a token to another path
]


def test_strangers_get_a_400_page_and_the_login_goes_on(redirect_url):
    base = redirect_url.rsplit("/", 1)[0]
    with RedirectCatcher(redirect_url, timeout=10, expected_state="abc123") as catcher:
        for path, query in STRANGERS:
            status, page = browse(f"{base}{path}?{query}")
            assert status == 400 and "The login goes on" in page and TOKEN not in page
        real = "Real0token0of0this0login000000000"
        seen = browser_later(f"{redirect_url}?request_token={real}&status=success&state=abc123")
        assert catcher.wait() == real
    seen["thread"].join(5)
    assert seen["status"] == 200


def test_the_timeout_says_what_was_ignored(redirect_url):
    wrong = redirect_url.replace("/success", "/callback")
    with RedirectCatcher(redirect_url, timeout=1, expected_state="abc123") as catcher:
        assert browse(f"{wrong}?request_token={TOKEN}&status=success&state=abc123")[0] == 400
        assert browse(f"{redirect_url}?request_token={TOKEN}&state=old")[0] == 400
        with pytest.raises(LoginTimeout) as raised:
            catcher.wait(slice_seconds=0.1)
    text = str(raised.value)
    assert "/callback while KITE_REDIRECT_URL expects /success" in text and "another login's state" in text
    assert TOKEN not in text and "paste the redirect URL" in text


def test_garbage_and_a_flood_of_idle_connections_are_bounded_and_quiet(redirect_url, capfd):
    port = RedirectCatcher(redirect_url, timeout=1).target.port
    before = threading.active_count()  # threads other tests of this worker left running are not the catcher's
    with RedirectCatcher(redirect_url, timeout=10) as catcher:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        threads = threading.active_count()
        with socket.create_connection(("127.0.0.1", port)) as garbage:
            garbage.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
            garbage.settimeout(5)
            garbage.recv(100)
        with socket.create_connection(("127.0.0.1", port)) as rude:
            rude.sendall(b"GET /success?request_token=x HTTP/1.1\r\nHost: a\r\n\r\n")  # and goes away
        for connection in idle:
            connection.close()
        assert threads - before <= 16 + 2  # the catcher serves at most 16 connections at once (+ its own thread)
        seen = browser_later(f"{redirect_url}?request_token={TOKEN}&status=success")
        assert catcher.wait() == TOKEN
    seen["thread"].join(5)
    assert seen["status"] == 200
    assert "Traceback" not in capfd.readouterr().err


def test_a_busy_port_says_which_port_and_what_to_do(redirect_url):
    with occupied(redirect_url) as port:
        assert not port_is_free(port)
        with pytest.raises(PortBusy) as raised:
            RedirectCatcher(redirect_url, timeout=5).start()
    text = str(raised.value)
    assert f"Port {port} on 127.0.0.1 is in use" in text and "KITE_REDIRECT_URL" in text and "paste" in text


def test_timeout_offers_the_paste_fallback_and_frees_the_port(redirect_url):
    ticks: list[float] = []
    catcher = RedirectCatcher(redirect_url, timeout=0.6).start()
    started = time.monotonic()
    with pytest.raises(LoginTimeout, match="paste the redirect URL"):
        catcher.wait(slice_seconds=0.1, on_tick=ticks.append)
    assert 0.5 <= time.monotonic() - started < 3
    assert ticks and ticks == sorted(ticks, reverse=True)  # a countdown, for the progress bar
    assert port_is_free(catcher.target.port)


def test_a_second_redirect_changes_nothing(redirect_url):
    catcher = RedirectCatcher(redirect_url, timeout=10).start()
    status, _ = browse(f"{redirect_url}?request_token={TOKEN}&status=success")
    assert status == 200
    assert catcher.settle("/success", {"request_token": ["Other0token0value00000000000000"]})[0] == 409
    assert catcher.wait() == TOKEN


def test_an_idle_connection_does_not_block_the_redirect(redirect_url):
    """Browsers open speculative connections that send nothing; the real redirect must still get through."""
    port = RedirectCatcher(redirect_url, timeout=1).target.port
    with RedirectCatcher(redirect_url, timeout=10) as catcher, socket.create_connection(("127.0.0.1", port)):
        seen = browser_later(f"{redirect_url}?request_token={TOKEN}&status=success")
        assert catcher.wait() == TOKEN
    seen["thread"].join(5)
    assert seen["status"] == 200
