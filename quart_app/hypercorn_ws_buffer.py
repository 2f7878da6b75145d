"""A WebSocket message over the limit costs at most the limit, even after it is refused.

Hypercorn 0.18 closes the socket with 1009 once a message passes
``websocket_max_message_size``, but its own buffer stores each chunk before
checking and is never cleared, so whatever the peer goes on sending before it
answers the close would be kept (``bench/README.md``, "WebSocket messages past
the limit"). This buffer refuses a chunk that would pass the limit before
storing it, and stores nothing of that message from then on.
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
