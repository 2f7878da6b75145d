"""A cache bounded by its entries' bytes as well as their count: the oldest stored go first.

A count alone bounds nothing when entries can grow (a conversation of 50 long
messages weighs a hundred times a new one), so each entry is stored with the
bytes it is reckoned to hold, and the cache keeps under ``max_bytes`` of them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SizedCache(Generic[K, V]):
    """At most ``max_entries`` entries and ``max_bytes`` of their sizes, oldest stored out first."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """The sizes of the entries held now, summed."""
        return self._bytes

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Store ``value`` as the newest entry, reckoned at ``size`` bytes; one larger than
        the whole cache is not kept."""
        self.pop(key)
        if size > self.max_bytes:
            return
        self._entries[key] = (value, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped

    def pop(self, key: K) -> None:
        """Forget ``key``'s entry, if any."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[1]
