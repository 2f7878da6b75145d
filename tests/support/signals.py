"""Recording what a blinker signal's receivers get."""

from __future__ import annotations

from typing import Any


class Recorder:
    """Collects what a signal's receivers get: ``(sender, kwargs)`` per send."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    async def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append((sender, kwargs))
