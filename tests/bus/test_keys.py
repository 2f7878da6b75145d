"""Keys: get/set, expiry, SET NX, delete, scan."""

from __future__ import annotations

import pytest

from bus.base import Bus, BusError
from tests.support.bus_backends import Backend

SHORT = 0.05
LONG = 60.0
""":data:`SHORT` only ever runs out on purpose (``backend.advance``); ``LONG`` never
runs out during a test, however busy the machine."""


async def test_set_then_get(bus: Bus) -> None:
    assert await bus.set("k", "value") is True

    assert await bus.get("k") == b"value"
    assert await bus.get("missing") is None


async def test_text_is_stored_as_utf8(bus: Bus) -> None:
    await bus.set("k", "불고기")

    assert await bus.get("k") == "불고기".encode()


async def test_a_key_expires_after_its_ttl(backend: Backend) -> None:
    await backend.bus.set("k", "v", ttl=LONG)
    assert await backend.bus.get("k") == b"v"
    await backend.bus.set("k", "v", ttl=SHORT)

    await backend.advance(SHORT * 2)

    assert await backend.bus.get("k") is None


async def test_a_key_without_ttl_does_not_expire(backend: Backend) -> None:
    await backend.bus.set("k", "v", ttl=SHORT)
    await backend.bus.set("k", "v")

    await backend.advance(SHORT * 2)

    assert await backend.bus.get("k") == b"v"


async def test_expire_resets_the_ttl(backend: Backend) -> None:
    await backend.bus.set("k", "v")

    assert await backend.bus.expire("k", SHORT) is True
    assert await backend.bus.expire("missing", SHORT) is False
    await backend.advance(SHORT * 2)

    assert await backend.bus.get("k") is None


async def test_only_if_missing_keeps_the_first_value(backend: Backend) -> None:
    assert await backend.bus.set("k", "first", only_if_missing=True) is True
    assert await backend.bus.set("k", "second", only_if_missing=True) is False

    assert await backend.bus.get("k") == b"first"


async def test_only_if_missing_succeeds_once_the_key_expired(backend: Backend) -> None:
    await backend.bus.set("k", "first", ttl=SHORT)
    await backend.advance(SHORT * 2)

    assert await backend.bus.set("k", "second", only_if_missing=True) is True
    assert await backend.bus.get("k") == b"second"


async def test_delete_counts_the_keys_that_existed(bus: Bus) -> None:
    await bus.set("a", "1")
    await bus.push("b", "1")

    assert await bus.delete("a", "b", "c") == 2

    assert await bus.get("a") is None
    assert await bus.items("b") == []


async def test_scan_lists_live_keys_matching_a_glob(backend: Backend) -> None:
    await backend.bus.set("ws:stats:1", "x")
    await backend.bus.set("ws:stats:2", "x")
    await backend.bus.set("ws:stats:gone", "x", ttl=SHORT)
    await backend.bus.set("other", "x")
    await backend.bus.push("ws:stats:list", "x")
    await backend.advance(SHORT * 2)

    found = await backend.bus.scan("ws:stats:*")

    assert sorted(found) == ["ws:stats:1", "ws:stats:2", "ws:stats:list"]


async def test_scan_understands_character_classes(bus: Bus) -> None:
    for key in ("k1", "k2", "k3"):
        await bus.set(key, "x")

    assert sorted(await bus.scan("k[^2]")) == ["k1", "k3"]


async def test_get_on_a_list_is_a_bus_error(bus: Bus) -> None:
    await bus.push("q", "x")

    with pytest.raises(BusError):
        await bus.get("q")


async def test_stored_values_are_copies(bus: Bus) -> None:
    value = bytearray(b"before")
    await bus.set("k", value)  # type: ignore[arg-type]  # a bytes-like caller
    value[:] = b"after!"

    assert await bus.get("k") == b"before"


async def test_get_many_answers_each_key_in_order(backend: Backend) -> None:
    await backend.bus.set("a", "1")
    await backend.bus.set("gone", "2", ttl=SHORT)
    await backend.bus.push("list", "3")
    await backend.bus.set("b", "4")
    await backend.advance(SHORT * 2)

    values = await backend.bus.get_many("a", "missing", "gone", "list", "b")

    assert values == [b"1", None, None, None, b"4"]
    assert await backend.bus.get_many() == []
