"""A WebSocket's incoming messages are held in a bounded queue, so a client that sends
faster than the app reads is held back by TCP, not buffered without limit.

Quart 0.22's ASGI WebSocket connection moves every message hypercorn hands over
(from hypercorn's own queue of ``max_app_queue_size``, 10) into an unbounded
``asyncio.Queue`` at once, whether the handler reads or not: a hands-free client
flooding audio frames while the service holds it to real time
(``quart_app/services/voice/hands_free.py``, ``Pacer``) piled them all up in
memory. With :data:`RECEIVE_QUEUE` messages waiting, this connection stops taking
more; hypercorn's queue fills, hypercorn stops reading the socket, and TCP flow
control stalls the client.

A disconnect queues behind the messages before it: a handler that stops reading
learns of it once it reads again (the hands-free socket reads all the time but for
its pacing pauses, ``/api/ws`` all the time).
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart.asgi import ASGIWebsocketConnection

RECEIVE_QUEUE = 16
"""Messages of one WebSocket received and not yet read by its handler, at most; each is
at most ``WS_MAX_MESSAGE_BYTES`` (hypercorn refuses a longer one, close 1009)."""


class BoundedWebsocketConnection(ASGIWebsocketConnection):
    """Quart's ASGI WebSocket connection with a bounded receive queue."""

    def __init__(self, app: Any, scope: Any) -> None:
        super().__init__(app, scope)
        self.queue = asyncio.Queue(RECEIVE_QUEUE)
