"""A Host header that is no valid host name: 400 ``invalid_host``, never a 500."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from quart.testing import QuartClient
from quart.testing.connections import WebsocketResponseError

from quart_app.hosts import is_loopback, is_valid_host
from tests.support.served import app_env, serving

BAD_HOSTS = ["a..b", "x" * 64 + ".example.com", ".", "a..b:8000"]
WS_UPGRADE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "x" * 63 + ".com", "käse.de"])
def test_ordinary_hosts_are_valid(host: str) -> None:
    assert is_valid_host(host)


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_http_with_a_bad_host_is_400(client: QuartClient, host: str) -> None:
    response = await client.get("/healthz", headers={"Host": host})
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "invalid_host"


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_a_websocket_upgrade_with_a_bad_host_is_400(client: QuartClient, host: str) -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/api/ws", headers={"Host": host}) as ws:
            await ws.receive()
    response = refused.value.response
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "invalid_host"


def _raw(port: int, request: str) -> tuple[str, dict[str, object]]:
    """The status line and JSON body of one raw HTTP/1.1 exchange."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), json.loads(body)


@pytest.mark.slow
def test_a_real_server_answers_bad_hosts_with_400_and_no_traceback(tmp_path: Path) -> None:
    with serving(app_env(tmp_path)) as server:
        answers = [
            _raw(server.port, f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n")
            for host in BAD_HOSTS
            for extra in ("Connection: close\r\n", WS_UPGRADE)
        ]
        output = server.output
    for status, body in answers:
        assert status == "HTTP/1.1 400 ", (status, body)
        assert body["error"]["code"] == "invalid_host"  # type: ignore[index]
    assert "Traceback" not in output
    assert "ERROR" not in output


@pytest.mark.parametrize("path", ["/api//menus", "/static//css/app.css", "//healthz/"])
async def test_no_route_redirects_to_a_url_built_from_the_host(
    client: QuartClient, path: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example"})
    assert "Location" not in response.headers
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("127.0.0.1:8000", True),
        ("127.9.9.9", True),
        ("[::1]:8000", True),
        ("[::1]", True),
        ("evil.example", False),
        ("localhost.evil.example", False),
        ("10.0.0.1:8000", False),
        ("[2001:db8::1]:80", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.slow
def test_a_request_framed_twice_is_refused_and_its_connection_closed(tmp_path: Path) -> None:
    smuggled = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    request = (
        "POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
    )
    with (
        serving(app_env(tmp_path)) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock,
    ):
        sock.sendall(request.encode("latin-1"))
        received = b""
        while chunk := sock.recv(65536):  # the server closes: recv ends, no timeout
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["error"]["code"] == "invalid_framing"
    assert received.count(b"HTTP/1.1 ") == 1  # the request behind it was not answered
