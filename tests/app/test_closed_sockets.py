"""A WebSocket the server closed lets go of its TCP connection within seconds, whatever
the client does then: one that answers no close frame and goes on sending pings while
it holds its end open, or one that half-closes (its FIN, which parks the server's end
in CLOSE-WAIT until the server closes it), leaves no descriptor behind."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import time
from pathlib import Path

import pytest

from tests.support.served import app_env, serving

RELEASED_WITHIN = 30.0
"""Generous: hypercorn shuts a connection whose WebSocket is over once it has idled for
its ``keep_alive_timeout`` (5 s)."""

UPGRADE = (
    "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
TEXT, CLOSE, PING = 0x1, 0x8, 0x9


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final frame (payloads under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def _held_by_a_process(server_port: int, client_port: int) -> bool:
    """Whether the server's end of this connection still belongs to a process (an inode):
    a socket the server has closed is the kernel's alone (inode 0) or gone."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if (local_port, remote_port) == (server_port, client_port) and fields[9] != "0":
                return True
    return False


def _read_close_frame(sock: socket.socket) -> int:
    """Read frames until the server's close frame; its close code."""
    received = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended before a close frame: {received!r}"
        received += chunk
        frames = received
        while len(frames) >= 4:
            opcode, length, head = frames[0] & 0x0F, frames[1] & 0x7F, 2
            if length == 126:
                (length,), head = struct.unpack("!H", frames[2:4]), 4
            if opcode == CLOSE:
                (code,) = struct.unpack("!H", frames[head : head + 2])
                return int(code)
            frames = frames[head + length :]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "first_frame", "close_code"),
    [
        pytest.param("/api/ws", {"type": "auth", "token": "not-a-token"}, 4401, id="bad-auth"),
        pytest.param("/api/voice/stream", {"type": "start"}, 1013, id="no-ai-server"),
    ],
)
@pytest.mark.parametrize("half_closed", [False, True], ids=["open", "half-closed"])
def test_a_closed_socket_releases_its_connection_whatever_the_client_does(
    tmp_path: Path, path: str, first_frame: dict[str, object], close_code: int, half_closed: bool
) -> None:
    env = app_env(tmp_path, {"AI_TIMEOUT": "1"})  # no AI Server takes the stream: 1013 soon
    with (
        serving(env) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock,
    ):
        client_port = sock.getsockname()[1]
        sock.sendall(UPGRADE.format(path=path).encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 101 ")
        sock.sendall(_client_frame(TEXT, json.dumps(first_frame).encode()))
        assert _read_close_frame(sock) == close_code
        if half_closed:  # the client's FIN: the server's end is in CLOSE-WAIT until it closes
            sock.shutdown(socket.SHUT_WR)

        # No close frame back: pings, for as long as the server lets them in, and the
        # client's end stays open throughout.
        deadline = time.monotonic() + RELEASED_WITHIN
        while _held_by_a_process(server.port, client_port):
            assert time.monotonic() < deadline, "the server still holds the closed socket"
            # Once the server has shut the connection sends fail: only its descriptor matters.
            with contextlib.suppress(OSError):
                sock.sendall(_client_frame(PING, b"still here"))
            time.sleep(0.1)
