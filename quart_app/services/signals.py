"""In-process events a team can hook into: blinker signals sent after the change commits.

Connect a receiver with ``order_created.connect(receiver)`` (see
``docs/extending.md``). A receiver is called as ``receiver(sender, **data)``;
an async one is awaited before the request answers. The sender is the service
that made the change (the app's :class:`~quart_app.services.orders.service.OrderService`,
or its :class:`~quart_app.services.voice.analyze.VoiceService`), never the web app,
so these signals work the same in a test without one. What each carries:

- ``order_created(orders, order=...)``: an order was placed, from ``POST /api/orders``
  or by a conversation the customer confirmed (whose ``turn_analyzed`` answer then
  carries the ``order_id``);
- ``order_assigned(orders, order=..., staff_id=..., role="cook"|"delivery")``;
- ``order_status_changed(orders, order=..., previous_status=...)``;
- ``turn_analyzed(voice, session_id=..., user_id=..., transcript=..., answer=...)``:
  a conversation turn was answered and saved (``user_id`` ``None`` for a guest).

``order`` is the order as ``GET /api/orders/{id}`` shows it and ``answer`` the
body ``POST /api/voice/analyze`` returns, both as JSON-safe dicts. Signals are
sent in the process that made the change only; notifications to clients go
through the outbox, not through these signals.

A receiver that fails is logged and never fails the request that sent the event.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from blinker import NamedSignal, Namespace

log = logging.getLogger(__name__)

events = Namespace()

order_created = events.signal("order-created", doc="An order was placed.")
order_assigned = events.signal("order-assigned", doc="A cook or courier was assigned.")
order_status_changed = events.signal(
    "order-status-changed", doc="An order moved to another status."
)
turn_analyzed = events.signal("turn-analyzed", doc="A conversation turn was answered and saved.")


async def announce(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Call every receiver of ``signal`` for ``sender``, awaiting async ones, logging failures."""
    for receiver in signal.receivers_for(sender):
        try:
            result = receiver(sender, **kwargs)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("a receiver of %s failed", signal.name)
