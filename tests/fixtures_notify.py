"""Real local stand-ins for alert channels: an SMTP server (aiosmtpd) and an HTTP receiver on 127.0.0.1 that answers
generic JSON webhooks and Telegram's Bot API (`/bot<token>/sendMessage`), recording what arrived."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import free_port


class HttpReceiver:
    """Records every POST (path, parsed JSON body). `fail_next` answers that many requests with HTTP 500 first."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    failing = receiver.fail_next > 0
                    receiver.fail_next -= failing
                    if not failing:
                        try:
                            data = json.loads(body or b"{}")
                        except ValueError:
                            data = {"raw": body.decode("utf-8", "replace")}
                        receiver.received.append((self.path, data))
                answer = b'{"ok": false}' if failing else b'{"ok": true, "result": {"message_id": 1}}'
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages(self, path_part: str = "") -> list[dict]:
        with self.lock:
            return [data for path, data in self.received if path_part in path]


class SmtpReceiver:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[str, list[str], str]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
                receiver.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.content.decode("utf-8", "replace")))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "trader@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=op-trading@example.com&to={to}"


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def smtp_receiver():
    receiver = SmtpReceiver()
    receiver.controller.start()
    yield receiver
    receiver.controller.stop()
