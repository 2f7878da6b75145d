"""Reading a bus queue in tests, through what :class:`bus.base.Bus` offers the app.

The app only moves items into a processing list (``pop_into``), removes them
(``remove``) and reads lists (``items``); a test that takes an item off a queue
does it with those.
"""

from __future__ import annotations

import uuid

from bus.base import Bus


async def take(bus: Bus, queue: str, timeout: float) -> bytes | None:  # noqa: ASYNC109
    """Take the oldest item of ``queue``, waiting up to ``timeout`` s; ``None`` if none
    came. The item passes through a list of its own and is gone from both afterwards."""
    holding = f"test:taken:{_slot_tag(queue)}:{uuid.uuid4().hex}"
    item = await bus.pop_into(queue, holding, timeout)
    if item is not None:
        await bus.remove(holding, item)
    return item


def _slot_tag(name: str) -> str:
    """A hash tag that puts a key in ``name``'s slot (a Redis Cluster moves items only
    between keys of one slot)."""
    start = name.find("{")
    end = name.find("}", start + 1)
    if start >= 0 and end > start + 1:
        return name[start : end + 1]
    return f"{{{name}}}"
