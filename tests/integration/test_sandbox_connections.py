"""The simulator's HTTP server stays quiet and bounded (issue 8.8): a client that disconnects early is one debug line,
not a traceback; a flood of idle connections does not become a thread each; a bad Content-Length gets 400."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time

import pytest

from op_trading.sandbox import Sandbox
from op_trading.sandbox.httpd import MAX_CONNECTIONS
from tests.fixtures_sandbox import frozen_sandbox, raw  # noqa: F401 - fixtures


def connect(box) -> socket.socket:
    return socket.create_connection((box.host, box.port), timeout=5)


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a killed client or a dropped network does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def status_of(sock: socket.socket, request: bytes) -> int:
    sock.sendall(request)
    head = sock.recv(65536).split(b"\r\n", 1)[0]
    return int(head.split()[1])


def test_a_client_that_goes_away_mid_request_is_one_debug_line(frozen_sandbox, capfd, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG, logger="op_trading.quiet_http")
    for _ in range(3):
        sock = connect(frozen_sandbox)
        sock.sendall(b"GET /quote?i=NSE:NIFTY+50 HTTP/1.1\r\nHost: x\r\n")  # headers not finished
        time.sleep(0.1)
        reset(sock)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len([r for r in caplog.records if "ended early" in r.getMessage()]) < 3:
        time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if "ended early" in r.getMessage()]
    assert lines and all(line.startswith("kite sandbox: connection ended early (") for line in lines)
    assert all(record.levelno == logging.DEBUG for record in caplog.records if "ended early" in record.getMessage())
    assert "Traceback" not in capfd.readouterr().err
    token = frozen_sandbox.issue_access_token()  # and the server goes on answering
    assert raw(frozen_sandbox, "GET", "/user/profile", token).status_code == 200


@pytest.mark.parametrize("length", [b"abc", b"-5", b"1e3", b"99999999999", "\u0661\u0662".encode()])
def test_a_bad_content_length_gets_400_and_the_connection_closes(frozen_sandbox, capfd, length):  # noqa: F811
    with connect(frozen_sandbox) as sock:
        request = b"POST /session/token HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\nab"
        assert status_of(sock, request) == 400
        sock.settimeout(5)
        rest = b""
        while chunk := sock.recv(65536):  # the server closes: the stream after a bad length cannot be framed
            rest += chunk
    assert "Traceback" not in capfd.readouterr().err


def test_idle_connections_are_bounded_and_the_server_recovers():
    with Sandbox(port=0, seed=42, speed=0, rate_limits=False, start_at="2026-11-20 11:00") as box:
        before = threading.active_count()
        idle = []
        try:
            for _ in range(MAX_CONNECTIONS + 100):
                idle.append(connect(box))
            time.sleep(0.5)
            assert threading.active_count() - before <= MAX_CONNECTIONS + 5
        finally:
            for sock in idle:
                sock.close()
        deadline = time.monotonic() + 10
        while threading.active_count() - before > 5 and time.monotonic() < deadline:
            time.sleep(0.05)  # closed connections free their slots
        token = box.issue_access_token()
        assert raw(box, "GET", "/user/profile", token).status_code == 200


def test_the_metrics_server_is_bounded_and_quiet_too(capfd, caplog):
    from op_trading.runtime.metrics import MetricsServer, service_metrics

    caplog.set_level(logging.DEBUG, logger="op_trading.quiet_http")
    server = MetricsServer(service_metrics(), 0).start()
    before, idle = threading.active_count(), []
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /metrics HTTP/1.1\r\n")
            time.sleep(0.1)
            reset(sock)
        for _ in range(100):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        time.sleep(0.5)
        assert threading.active_count() - before <= server._server.max_connections + 5
    finally:
        for sock in idle:
            sock.close()
        server.stop()
    assert "Traceback" not in capfd.readouterr().err
    assert any(r.getMessage().startswith("metrics server: connection ended early") for r in caplog.records)
