"""Counted slots: at most ``limit`` live holders per key, across every client of the bus."""

from __future__ import annotations

from tests.support.bus_backends import Backend

SHORT = 0.05
LONG = 60.0
""":data:`SHORT` only ever runs out on purpose (``backend.advance``); ``LONG`` never
runs out during a test, however busy the machine."""


async def test_a_key_gives_at_most_limit_slots(backend: Backend) -> None:
    bus = backend.bus
    taken = [await bus.claim_slot("slots", f"h{i}", limit=2, ttl=LONG) for i in range(3)]

    assert taken == [True, True, False]
    assert await bus.claim_slot("other", "h2", limit=2, ttl=LONG) is True


async def test_a_holder_claiming_again_keeps_its_one_slot(backend: Backend) -> None:
    bus = backend.bus
    assert await bus.claim_slot("slots", "h1", limit=1, ttl=LONG)

    assert await bus.claim_slot("slots", "h1", limit=1, ttl=LONG) is True
    assert await bus.claim_slot("slots", "h2", limit=1, ttl=LONG) is False


async def test_another_instance_counts_the_same_slots(backend: Backend) -> None:
    peer = await backend.peer()
    assert await backend.bus.claim_slot("slots", "here", limit=1, ttl=LONG)

    assert await peer.claim_slot("slots", "there", limit=1, ttl=LONG) is False
    await backend.bus.release_slot("slots", "here")
    assert await peer.claim_slot("slots", "there", limit=1, ttl=LONG) is True


async def test_a_released_slot_is_free_and_releasing_twice_is_harmless(backend: Backend) -> None:
    bus = backend.bus
    assert await bus.claim_slot("slots", "h1", limit=1, ttl=LONG)

    await bus.release_slot("slots", "h1")
    await bus.release_slot("slots", "h1")
    await bus.release_slot("never-claimed", "h1")

    assert await bus.claim_slot("slots", "h2", limit=1, ttl=LONG) is True


async def test_a_holder_not_renewed_lapses(backend: Backend) -> None:
    bus = backend.bus
    assert await bus.claim_slot("slots", "crashed", limit=1, ttl=SHORT)

    await backend.advance(SHORT * 2)

    assert await bus.claim_slot("slots", "next", limit=1, ttl=LONG) is True


async def test_renewed_holders_keep_their_slots_and_lapsed_ones_stay_free(
    backend: Backend,
) -> None:
    bus = backend.bus
    assert await bus.claim_slot("slots", "kept", limit=2, ttl=SHORT)
    assert await bus.claim_slot("slots", "lapsing", limit=2, ttl=SHORT)
    await bus.renew_slots({"slots": ["kept", "never-held"], "missing": ["x"]}, LONG)

    await backend.advance(SHORT * 2)
    await bus.renew_slots({"slots": ["lapsing"]}, LONG)  # too late: not taken again

    assert await bus.claim_slot("slots", "new", limit=2, ttl=LONG) is True
    assert await bus.claim_slot("slots", "one-too-many", limit=2, ttl=LONG) is False
    await bus.renew_slots({}, LONG)
