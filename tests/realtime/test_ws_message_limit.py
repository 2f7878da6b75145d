"""Hypercorn refuses a WebSocket message over WS_MAX_MESSAGE_BYTES as it arrives.

The app's own size check only runs once hypercorn has buffered the whole
message (16 MiB by default), so these tests need the real server process.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.support.served import Served, app_env, serving

pytestmark = pytest.mark.slow

LIMIT = 64 * 1024
MESSAGE = 4 * 1024 * 1024
FRAGMENT = 256 * 1024
SOCKETS = 8
WAIT = 10.0


def _open(server: Served) -> tuple[socket.socket, WSConnection]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host="127.0.0.1", target="/api/ws")))
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        ws.receive_data(sock.recv(65536))
        if any(isinstance(event, AcceptConnection) for event in ws.events()):
            return sock, ws
    raise AssertionError("the WebSocket handshake did not complete")


def _send_unfinished_message(sock: socket.socket, ws: WSConnection) -> int:
    """Send up to MESSAGE characters of one message, never finishing it; bytes sent."""
    sent = 0
    while sent < MESSAGE:
        try:
            sock.sendall(ws.send(TextMessage(data="x" * FRAGMENT, message_finished=False)))
        except OSError:  # the server closed the connection under us
            break
        sent += FRAGMENT
    return sent


def _close_code(sock: socket.socket, ws: WSConnection) -> int | None:
    """The code of the server's close frame, ``None`` if none came within WAIT."""
    sock.settimeout(WAIT)
    try:
        while True:
            data = sock.recv(65536)
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, CloseConnection):
                    return event.code
            if not data:
                return None
    except (TimeoutError, OSError):
        return None


def test_an_oversized_message_closes_with_1009_before_it_is_buffered(tmp_path: Path) -> None:
    with serving(app_env(tmp_path, {"WS_MAX_MESSAGE_BYTES": str(LIMIT)})) as server:
        time.sleep(0.5)  # let start-up allocations settle before the baseline
        before = server.rss_bytes()
        sockets = [_open(server) for _ in range(SOCKETS)]
        try:
            for sock, ws in sockets:
                _send_unfinished_message(sock, ws)
            grown = server.rss_bytes() - before
            codes = [_close_code(sock, ws) for sock, ws in sockets]
        finally:
            for sock, _ in sockets:
                sock.close()
        output = server.output
    assert codes == [1009] * SOCKETS
    # Buffered, the messages would have cost SOCKETS * MESSAGE (32 MiB) or more.
    assert grown < MESSAGE, f"the worker grew by {grown} bytes"
    assert "Traceback" not in output
