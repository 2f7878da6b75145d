"""Requests refused before the app sees them: a ``Host`` header that is no valid host
name (400 ``invalid_host``, for HTTP and WebSocket alike), and a body framed twice
(400 ``invalid_framing``, the connection closed).

Werkzeug's routing refuses such a host (a label over 63 characters, an empty
label as in ``a..b``) with ``BadHost`` while Quart builds the request context,
before any error handler can answer: a 500 with an empty body and two
tracebacks. This wrapper checks the header the same way first.

A request with both ``Content-Length`` and ``Transfer-Encoding`` is how requests
are smuggled past a proxy that reads the other header: the server reads it as
chunked, so it is refused and its connection closed, as RFC 9112 §6.3 allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

from quart_app.errors import error_body

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[..., Coroutine[Any, Any, None]]

_BAD_HOST = orjson.dumps(
    error_body("invalid_host", "The Host header is not a valid host name.", None)
)
_TWO_FRAMINGS = orjson.dumps(
    error_body(
        "invalid_framing",
        "A request may not carry both Content-Length and Transfer-Encoding.",
        None,
    )
)


def is_valid_host(host: str) -> bool:
    """Whether Werkzeug's routing accepts ``host`` (``name[:port]``), as its ``Map.bind`` checks."""
    name = host.lower().partition(":")[0]
    try:
        name.encode("idna")
    except UnicodeError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``name[:port]``, ``[v6][:port]``) names this machine's loopback."""
    host = host.lower()
    name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse_malformed_requests(app: ASGIApp) -> ASGIApp:
    """``app``, except that a request with an invalid ``Host`` gets 400 ``invalid_host``,
    and one with two framings of its body 400 ``invalid_framing``."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and (refusal := _refusal(scope)):
            await _refuse(scope, send, *refusal)
            return
        await app(scope, receive, send)

    return guarded


def _refusal(scope: Scope) -> tuple[bytes, *tuple[tuple[bytes, bytes], ...]] | None:
    # Not inline in the wrapper: its set of header names would live as long as
    # the request, about a kilobyte for each WebSocket held open.
    if not is_valid_host(_host(scope)):
        return (_BAD_HOST,)
    names = {name.lower() for name, _ in scope.get("headers", ())}
    if {b"content-length", b"transfer-encoding"} <= names:
        return (_TWO_FRAMINGS, (b"connection", b"close"))
    return None


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name.lower() in (b"host", b":authority"):
            return str(value.decode("latin-1"))
    return ""


async def _refuse(scope: Scope, send: Send, body: bytes, *extra: tuple[bytes, bytes]) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    elif "websocket.http.response" in (scope.get("extensions") or {}):
        await send({"type": "websocket.http.response.start", "status": 400, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:  # a server without the response extension can only refuse the upgrade
        await send({"type": "websocket.close", "code": 1008})
