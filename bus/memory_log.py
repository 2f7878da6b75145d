"""The memory twin of a Redis Stream (a per-user log, an audio stream): ids ``<ms>-<seq>``."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bus.base import BusError

StreamId = tuple[int, int]
_Data = TypeVar("_Data")


def parse_id(text: str) -> StreamId:
    """``"<ms>-<seq>"`` or ``"<ms>"`` (sequence 0), as Redis reads a range start."""
    ms, _, seq = text.partition("-")
    try:
        parsed = (int(ms), int(seq) if seq else 0)
    except ValueError:
        raise BusError(f"invalid stream id {text!r}") from None
    if parsed[0] < 0 or parsed[1] < 0:
        raise BusError(f"invalid stream id {text!r}")
    return parsed


def format_id(stream_id: StreamId) -> str:
    """The Redis spelling of a stream id."""
    return f"{stream_id[0]}-{stream_id[1]}"


@dataclass
class MemoryLog(Generic[_Data]):
    """Entries in id order; ids never go back, even if the clock does (as in Redis)."""

    ids: list[StreamId] = field(default_factory=list)
    data: list[_Data] = field(default_factory=list)
    last_id: StreamId = (0, 0)

    def append(self, now_ms: int, data: _Data) -> StreamId:
        """Add an entry stamped ``now_ms`` and return its id."""
        ms, seq = self.last_id
        new_id = (now_ms, 0) if now_ms > ms else (ms, seq + 1)
        self.last_id = new_id
        self.ids.append(new_id)
        self.data.append(data)
        return new_id

    def trim(self, *, maxlen: int, min_ms: int) -> None:
        """Keep at most ``maxlen`` entries, none stamped before ``min_ms``."""
        drop = max(len(self.ids) - maxlen, bisect_right(self.ids, (min_ms - 1, 2**64)))
        del self.ids[:drop]
        del self.data[:drop]

    def after(self, after_id: StreamId, count: int) -> list[tuple[str, _Data]]:
        """At most ``count`` entries (id, data) whose id is greater than ``after_id``."""
        start = bisect_right(self.ids, after_id)
        return [
            (format_id(entry_id), data)
            for entry_id, data in zip(
                self.ids[start : start + count], self.data[start : start + count], strict=True
            )
        ]
