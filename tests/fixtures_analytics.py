"""Helpers for the analytics tests: small hand-made chains, a real embedded store, settings with overrides."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from op_trading.market.calendar import IST

PARTICIPANT_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "participant"


def at(text: str) -> datetime:
    """An IST moment from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=IST)


def option(strike, side, oi=0, volume=0, last_price=None, iv=None, oi_open=None, expiry="2026-07-28", **extra):
    record = {"strike": strike, "side": side, "expiry": expiry, "oi": oi, "volume": volume,
              "last_price": last_price, "iv": iv, "oi_open": oi_open, "average_price": None}
    record.update(extra)
    return record


def store(tmp_path):
    from op_trading.storage.embedded import EmbeddedStore

    return EmbeddedStore(tmp_path / "data")


def settings(**overrides):
    from op_trading.config.settings import load_settings

    return load_settings("development", {key: str(value) for key, value in overrides.items()})


def fixture_text(name: str) -> str:
    """The file exactly as stored: line ends and byte-order mark kept (they are quirks under test)."""
    return (PARTICIPANT_FIXTURES / name).read_bytes().decode("utf-8")


class NseStandIn:
    """A local HTTP server standing in for NSE (tests never reach the real site): serves the given paths, sets a
    cookie on the home page, refuses the FII/DII API without it, and records each request's headers."""

    def __init__(self, files: dict[str, bytes], statuses: dict[str, int] | None = None, delay: float = 0.0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        stand_in = self
        self.files, self.statuses, self.delay, self.requests = files, statuses or {}, delay, []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                import time

                stand_in.requests.append((self.path, dict(self.headers)))
                time.sleep(stand_in.delay)
                if self.path == "/":
                    return self._send(200, b"<html>home</html>", {"Set-Cookie": "nsit=abc; Path=/"})
                if self.path.startswith("/api/") and "nsit=abc" not in (self.headers.get("Cookie") or ""):
                    return self._send(401, b"{}")
                status = stand_in.statuses.get(self.path, 200 if self.path in stand_in.files else 404)
                self._send(status, stand_in.files.get(self.path, b"Not Found"))

            def _send(self, status, body, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout tests make it)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads, self.server.block_on_close = True, False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
