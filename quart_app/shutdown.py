"""Stopping gracefully: refuse new work, let work in hand finish, close sockets with 1001.

:class:`ShutdownGate` wraps the app's ASGI callable and counts the HTTP
requests and WebSocket connections in progress. :func:`drain` (called by
``voice-realtime serve`` on SIGTERM, before hypercorn stops listening) closes
the gate, so a request that arrives afterwards, on a kept-alive connection,
gets 503 ``shutting_down`` with ``Connection: close`` and a new socket is
closed with 1001; it closes every open socket with 1001 and waits, up to the
grace period, for the requests in hand to be answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart

from quart_app.extensions import SHUTDOWN_GATE, WEBSOCKET_MANAGER

log = logging.getLogger(__name__)

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]
Send = Callable[[Any], Awaitable[None]]

CLOSE_GOING_AWAY = 1001
_REFUSAL = json.dumps(
    {
        "error": {
            "code": "shutting_down",
            "message": "This instance is stopping; retry the request.",
            "details": None,
        }
    }
).encode()


class ShutdownGate:
    """An ASGI wrapper: counts work in progress, and refuses new work once closed."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.closed = False
        self._in_progress = 0
        self._idle: asyncio.Event | None = None

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):  # lifespan
            await self._app(scope, receive, send)
            return
        if self.closed:
            await (_refuse_http(send) if kind == "http" else _refuse_socket(receive, send))
            return
        self._in_progress += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._in_progress -= 1
            if self._in_progress == 0 and self._idle is not None:
                self._idle.set()

    @property
    def in_progress(self) -> int:
        """HTTP requests being handled and WebSocket connections open."""
        return self._in_progress

    def close(self) -> None:
        """Refuse every request and socket from now on."""
        self.closed = True

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Whether everything in progress ended within ``timeout`` seconds."""
        if self._in_progress == 0:
            return True
        self._idle = asyncio.Event()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


def install_shutdown_gate(app: Quart) -> ShutdownGate:
    """Put a :class:`ShutdownGate` in front of ``app``; :func:`drain` uses it."""
    gate = ShutdownGate(app.asgi_app)
    app.asgi_app = gate  # type: ignore[method-assign]
    app.extensions[SHUTDOWN_GATE] = gate
    return gate


async def drain(app: Quart, grace: float) -> None:
    """Refuse new work, close sockets with 1001, and wait up to ``grace`` s for the rest."""
    gate: ShutdownGate = app.extensions[SHUTDOWN_GATE]
    gate.close()
    manager = app.extensions.get(WEBSOCKET_MANAGER)
    if manager is not None:
        manager.close_all()
    log.info("stopping: %d requests and sockets to finish", gate.in_progress)
    if not await gate.wait_idle(grace):
        log.warning("stopping: %d still running after the %g s grace", gate.in_progress, grace)


async def _refuse_http(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_REFUSAL)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _REFUSAL})


async def _refuse_socket(receive: ASGIReceiveCallable, send: Send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_GOING_AWAY, "reason": "server stopping"})
