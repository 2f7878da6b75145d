"""Streams (the audio of hands-free talk): append, read after an id, blocking reads,
trimming and expiry."""

from __future__ import annotations

import asyncio

import pytest

from bus.base import Bus, BusError, StreamEntry
from tests.support.bus_backends import Backend

TTL = 120.0
# Redis trims "~" whole nodes of 100 entries; more than that shows trimming on every backend.
MANY = 250
SHORT = 0.05


async def test_entries_read_back_in_order_with_their_fields(bus: Bus) -> None:
    first = await bus.stream_add("audio", {"pcm": b"\x01\x00" * 4}, maxlen=100, ttl=TTL)
    second = await bus.stream_add("audio", {"prompt": "Valentine"}, maxlen=100, ttl=TTL)

    entries = await bus.stream_read("audio", "0", count=10, block=0)

    assert entries == [
        StreamEntry(first, {"pcm": b"\x01\x00" * 4}),
        StreamEntry(second, {"prompt": b"Valentine"}),
    ]
    assert await bus.stream_read("audio", first, count=10, block=0) == entries[1:]
    assert await bus.stream_read("audio", second, count=10, block=0) == []


async def test_a_read_returns_at_most_count(bus: Bus) -> None:
    ids = [await bus.stream_add("audio", {"pcm": b"%d" % n}, maxlen=100, ttl=TTL) for n in range(5)]

    entries = await bus.stream_read("audio", "0", count=2, block=0)

    assert [entry.id for entry in entries] == ids[:2]


async def test_a_missing_stream_reads_empty(bus: Bus) -> None:
    assert await bus.stream_read("nothing", "0", count=10, block=0) == []
    assert await bus.stream_read("nothing", "0", count=10, block=SHORT) == []


async def test_a_blocked_read_returns_the_entry_appended_meanwhile(backend: Backend) -> None:
    last = await backend.bus.stream_add("audio", {"pcm": b"a"}, maxlen=100, ttl=TTL)
    # Another instance of the service appends; the reader is the AI Server.
    writer = await backend.peer()
    reading = asyncio.create_task(backend.bus.stream_read("audio", last, count=10, block=30))
    await asyncio.sleep(0)  # the read is on its way (a late one finds the entry at once)

    added = await writer.stream_add("audio", {"end": b""}, maxlen=100, ttl=TTL)

    entries = await asyncio.wait_for(reading, 10)
    assert entries == [StreamEntry(added, {"end": b""})]


async def test_a_stream_keeps_about_maxlen_entries(bus: Bus) -> None:
    for n in range(MANY):
        await bus.stream_add("audio", {"pcm": b"%d" % n}, maxlen=10, ttl=TTL)

    entries = await bus.stream_read("audio", "0", count=MANY, block=0)

    assert len(entries) < MANY
    assert entries[-1].fields == {"pcm": b"%d" % (MANY - 1)}


async def test_a_stream_expires_ttl_after_its_last_entry(backend: Backend) -> None:
    await backend.bus.stream_add("audio", {"pcm": b"a"}, maxlen=10, ttl=SHORT)

    await backend.advance(SHORT * 2)

    assert await backend.bus.stream_read("audio", "0", count=10, block=0) == []


async def test_each_entry_starts_the_expiry_again(backend: Backend) -> None:
    await backend.bus.stream_add("audio", {"pcm": b"a"}, maxlen=10, ttl=1.0)
    await backend.bus.stream_add("audio", {"pcm": b"b"}, maxlen=10, ttl=TTL)

    await backend.advance(1.5)

    assert len(await backend.bus.stream_read("audio", "0", count=10, block=0)) == 2


async def test_a_key_of_another_type_is_refused(bus: Bus) -> None:
    await bus.set("k", "v")

    with pytest.raises(BusError):
        await bus.stream_add("k", {"pcm": b"a"}, maxlen=10, ttl=TTL)
