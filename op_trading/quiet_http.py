"""A stdlib threading HTTP server that stays quiet and bounded under garbage, early disconnects and idle floods.

socketserver prints a traceback to stderr for every connection whose handler raised (a client that went away
mid-answer, garbage instead of HTTP); ThreadingHTTPServer starts one thread per connection with no limit, and
HTTPServer.server_bind looks up the host's FQDN (seconds on a machine with slow DNS). Here: one debug log line per
such connection, at most `max_connections` served at once (newer ones are closed at once), and a plain bind.
Handlers set their own idle `timeout` (BaseHTTPRequestHandler.timeout) so an idle connection frees its slot.
Used by the Kite simulator and the login catcher.
"""

from __future__ import annotations

import logging
import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Mapping

log = logging.getLogger(__name__)


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog; socketserver's 5 makes a burst of connects wait for SYN retries (1 s)
    max_connections = 64
    label = "http server"  # names the server in its debug lines

    def __init__(self, *args, **kwargs) -> None:
        self._slots = threading.BoundedSemaphore(self.max_connections)
        super().__init__(*args, **kwargs)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no getfqdn(): it can hang on slow DNS
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):  # a flood of (idle) connections: drop the newest
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:  # the thread did not start: give the slot back
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        log.debug("%s: connection ended early (%s)", self.label, type(error).__name__ if error else "unknown")


def content_length(headers: Mapping[str, str], limit: int) -> int | None:
    """The request's Content-Length as a number of bytes (0 when absent), or None when it is not a plain decimal
    number within `limit` (the caller answers 400 and closes: the rest of the stream cannot be trusted)."""
    text = (headers.get("Content-Length") or "0").strip()
    if not text.isascii() or not text.isdigit() or int(text) > limit:
        return None
    return int(text)
