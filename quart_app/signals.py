"""Domain events, as blinker signals sent after the change is committed.

Subscribe with ``@order_created.connect_via(app)`` (or ``.connect``); an async
receiver is awaited. Every signal's sender is the Quart app, and ``order`` is
the order as ``GET /api/orders/{id}`` shows it (JSON-safe):

- ``order_created(app, order=...)``;
- ``order_assigned(app, order=..., staff_id=..., role="cook"|"delivery")``;
- ``order_status_changed(app, order=..., previous_status=...)``.

A receiver that fails is logged and never fails the request that sent the event.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from blinker import NamedSignal, Namespace

log = logging.getLogger(__name__)

order_events = Namespace()

order_created = order_events.signal("order-created", doc="An order was placed.")
order_assigned = order_events.signal("order-assigned", doc="A cook or courier was assigned.")
order_status_changed = order_events.signal(
    "order-status-changed", doc="An order moved to another status."
)


async def announce(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Call every receiver of ``signal`` for ``sender``, awaiting async ones, logging failures."""
    for receiver in signal.receivers_for(sender):
        try:
            result = receiver(sender, **kwargs)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("a receiver of %s failed", signal.name)
