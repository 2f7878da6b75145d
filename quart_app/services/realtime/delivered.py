"""Which notification ids a socket delivered lately, at 8 bytes an id.

A socket drops a notification whose id is among the last :data:`RECENT_IDS`
it delivered (``local_socket.py``). Ids arrive out of order: relays on several
instances take ids in batches and publish them in whatever order their round
trips land, an outbox row released after a failed publish goes out later with
its old id, and after the logs' storage is lost new ids may start below old
ones (``replay.py``, Epoch). So a watermark alone would drop frames never
delivered; the ids themselves are kept, each Redis stream id ``<ms>-<seq>``
packed into one unsigned 64-bit integer of a fixed ring. The highest id
delivered spares the ring's scan for the usual in-order id. An id of any
other shape (a publisher outside this service may send one) is kept as a
string, apart.
"""

from __future__ import annotations

from array import array
from functools import lru_cache

RECENT_IDS = 128
"""Notification ids a socket remembers having delivered, to drop a second copy."""

_SEQ_BITS = 20
_MS_DIGITS, _SEQ_DIGITS = 14, 7  # enough for any value below the limits below
_MS_LIMIT, _SEQ_LIMIT = 1 << 44, 1 << _SEQ_BITS  # ms: until the year 2527


@lru_cache(maxsize=4)  # a fan-out asks once per socket for the same id
def packed(event_id: str) -> int | None:
    """``event_id`` as one integer ordered as Redis orders stream ids, or ``None``
    if it is not a stream id written the way Redis writes one, within the limits."""
    ms, dash, seq = event_id.partition("-")
    if not (dash and _digits(ms, _MS_DIGITS) and _digits(seq, _SEQ_DIGITS)):
        return None
    ms_value, seq_value = int(ms), int(seq)
    if ms_value >= _MS_LIMIT or seq_value >= _SEQ_LIMIT:
        return None
    return ms_value << _SEQ_BITS | seq_value


def _digits(text: str, most: int) -> bool:
    # Only the one spelling Redis gives: "007-1" or "٧-1" would pack as "7-1".
    return (
        0 < len(text) <= most
        and text.isascii()
        and text.isdigit()
        and (text[0] != "0" or text == "0")
    )


class DeliveredIds:
    """The last :data:`RECENT_IDS` ids a socket delivered (module docstring).

    Nothing is allocated until the first id; then at most one ring of
    ``RECENT_IDS`` 8-byte integers, and a small dict only for ids that are no
    stream ids.
    """

    __slots__ = ("_highest", "_next", "_others", "_ring")

    def __init__(self) -> None:
        self._highest = -1
        self._ring: array[int] | None = None
        self._next = 0
        self._others: dict[str, None] | None = None

    def first_time(self, event_id: str) -> bool:
        """Whether ``event_id`` is none of the last ids remembered; remember it if so."""
        key = packed(event_id)
        if key is None:
            return self._first_other(event_id)
        ring, highest = self._ring, self._highest
        if ring is None:
            ring = self._ring = array("Q")
        elif key <= highest and key in ring:
            return False
        if key > highest:
            self._highest = key
        if len(ring) < RECENT_IDS:
            ring.append(key)
        else:  # full: overwrite the oldest
            ring[self._next] = key
            self._next = (self._next + 1) % RECENT_IDS
        return True

    def _first_other(self, event_id: str) -> bool:
        others = self._others
        if others is None:
            others = self._others = {}
        elif event_id in others:
            return False
        others[event_id] = None
        if len(others) > RECENT_IDS:
            del others[next(iter(others))]  # dicts keep insertion order: the oldest
        return True

    def __sizeof__(self) -> int:
        """Bytes held: the object, its ring and its dict of other ids."""
        size = object.__sizeof__(self)
        if self._ring is not None:
            size += self._ring.__sizeof__()
        if self._others is not None:
            size += self._others.__sizeof__()
        return size
