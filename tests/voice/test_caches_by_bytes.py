"""The voice caches are bounded by the bytes they hold, not only by a count."""

from __future__ import annotations

import orjson
import pytest
from quart import Quart

from bus.memory import MemoryBus
from domain.conversation import ConversationSession
from quart_app.extensions import DATABASE
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.orders.service import OrderService
from quart_app.services.sized_cache import SizedCache
from quart_app.services.voice import data_source
from quart_app.services.voice.data_source import ServiceVoiceData
from quart_app.services.voice.sessions import HELD_PER_STORED_BYTE, SessionStore, owner_of
from tests.support.databases import recorded_statements


def test_the_oldest_entries_go_when_the_bytes_run_over() -> None:
    cache: SizedCache[str, int] = SizedCache(max_entries=10, max_bytes=100)
    cache.put("a", 1, 40)
    cache.put("b", 2, 40)
    cache.put("c", 3, 40)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    assert (len(cache), cache.bytes) == (2, 80)


def test_the_count_bounds_too_and_storing_again_makes_an_entry_newest() -> None:
    cache: SizedCache[str, int] = SizedCache(max_entries=2, max_bytes=1000)
    cache.put("a", 1, 1)
    cache.put("b", 2, 1)
    cache.put("a", 10, 5)  # a is now the newest, counted once at its new size
    cache.put("c", 3, 1)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (10, None, 3)
    assert cache.bytes == 6


def test_an_entry_larger_than_the_cache_is_not_kept() -> None:
    cache: SizedCache[str, int] = SizedCache(max_entries=10, max_bytes=100)
    cache.put("small", 1, 10)
    cache.put("huge", 2, 101)
    cache.pop("absent")

    assert (cache.get("small"), cache.get("huge"), cache.bytes) == (1, None, 10)


def _session(session_id: str, words: int) -> ConversationSession:
    session = ConversationSession.start(session_id, None, owner_of(None), 0.0)
    session.add_message("user", "french dinner " * words, 1.0)
    return session


def _held(session: ConversationSession) -> int:
    return len(orjson.dumps(session.to_dict())) * HELD_PER_STORED_BYTE


async def test_the_session_cache_keeps_under_its_bytes() -> None:
    small, middle, later = _session("small", 1), _session("first", 40), _session("later", 40)
    room = _held(small) + 2 * _held(middle) - 1  # all three don't fit, any two do
    store = SessionStore(MemoryBus(), ttl=60, lock_ttl=5, lock_wait=1, cached_bytes=room)
    await store.save(small)
    await store.save(_session("long", 2000))  # larger than the whole cache: not kept
    await store.save(middle)
    assert await store.load("small") is small  # held: not parsed again

    await store.save(later)

    assert await store.load("small") is not small  # pushed out by the bytes: parsed again
    assert await store.load("first") is middle
    assert await store.load("later") is later


async def test_order_histories_are_cached_within_their_bytes(
    data_app: Quart, order_service: OrderService, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
    for customer in ("c-1", "c-2"):
        await order_service.place_order(customer, [item])
    database = data_app.extensions[DATABASE]
    one_history = 2000  # bytes a history of one order is reckoned at, and more
    monkeypatch.setattr(data_source, "MAX_HISTORY_BYTES", one_history)
    data = ServiceVoiceData(database, None, order_service)  # type: ignore[arg-type]  # no catalog read

    await data.order_history("c-1")
    with recorded_statements(database) as cached:
        await data.order_history("c-1")
    await data.order_history("c-2")  # c-1's history goes to make room
    with recorded_statements(database) as evicted:
        await data.order_history("c-1")

    assert cached == []
    assert evicted != []
