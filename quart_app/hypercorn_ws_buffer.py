"""Hypercorn refuses a WebSocket message over its limit, and then keeps it all the same.

Hypercorn 0.18 closes the socket with 1009 once a message passes
``websocket_max_message_size``, but its buffer writes each chunk before
checking, and is never cleared: whatever the peer goes on sending before it
answers the close is kept (a client streaming 128 MiB after the 1009 grew
the worker by 137 MB). This buffer refuses a chunk that would pass the limit
before storing it, and stores nothing of that message from then on.
"""

from __future__ import annotations

from typing import Any

from hypercorn.protocol import ws_stream
from wsproto.events import Message


class RefusingWebsocketBuffer(ws_stream.WebsocketBuffer):
    """Hypercorn's message buffer, bounded by ``max_length`` even after it refused."""

    def extend(self, event: Message[Any]) -> None:
        if self.length + len(event.data) > self.max_length:
            self.clear()
            self.length = self.max_length  # the rest of this message is refused too
            raise ws_stream.FrameTooLargeError()
        super().extend(event)


def bound_websocket_messages() -> None:
    """Make hypercorn (in this process) use :class:`RefusingWebsocketBuffer`."""
    ws_stream.WebsocketBuffer = RefusingWebsocketBuffer  # type: ignore[misc]
