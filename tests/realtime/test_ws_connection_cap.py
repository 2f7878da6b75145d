"""A user holds at most WS_MAX_CONNECTIONS_PER_USER sockets across every instance (then
close 4429)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from bus.memory import MemoryBus
from config import Settings
from domain.orders import Role
from quart_app.services.auth.tokens import Principal, TokenKeys
from quart_app.services.realtime.manager import TooManyConnections, WebSocketManager
from tests.support.bus_backends import Backend, FakeClock
from tests.support.websockets import (
    Connect,
    Serve,
    auth_frame,
    close_code,
    forgotten,
    manager_of,
    receive,
)

KEYS = TokenKeys("these-tests-send-no-token")


async def _refused(ws: WsConnection) -> tuple[dict[str, object], int]:
    return await receive(ws), await close_code(ws)


async def test_one_socket_past_the_cap_is_closed_4429(serve: Serve, connect: Connect) -> None:
    async with serve(ws_max_connections_per_user=2, heartbeat_interval=60) as app:
        async with connect(app, "7", "cook"), connect(app, "7", "cook"):
            async with app.test_client().websocket("/api/ws") as third:
                await third.send(auth_frame("7", "cook"))
                error, code = await _refused(third)
            assert error["type"] == "error"
            assert error["code"] == "too_many_connections"
            assert code == 4429
            assert manager_of(app).get_connection_count("7") == 2
            # Other users are not affected.
            async with connect(app, "8", "cook"):
                assert manager_of(app).get_connection_count("8") == 1
        await forgotten(app, "7")
        # Once the first ones are gone, the user may connect again.
        async with connect(app, "7", "cook"):
            assert manager_of(app).get_connection_count("7") == 1


async def test_the_cap_counts_the_user_s_sockets_on_every_instance(
    backend: Backend, serve: Serve, connect: Connect
) -> None:
    settings = {"ws_max_connections_per_user": 2, "heartbeat_interval": 60}
    async with (
        serve(bus=backend.bus, **settings) as first,
        serve(bus=await backend.peer(), **settings) as second,
    ):
        async with connect(first, "7", "cook"), connect(first, "7", "cook"):
            async with second.test_client().websocket("/api/ws") as third:
                await third.send(auth_frame("7", "cook"))
                error, code = await _refused(third)
            assert (error["code"], code) == ("too_many_connections", 4429)
            async with connect(second, "8", "cook"):  # another user is not affected
                pass
        await forgotten(first, "7")
        # The first instance freed its slots: the other one takes the user again.
        async with connect(second, "7", "cook"), connect(second, "7", "cook"):
            assert manager_of(second).get_connection_count("7") == 2


async def test_the_slot_of_a_socket_on_a_dead_instance_lapses(
    make_settings: Callable[..., Settings],
) -> None:
    clock = FakeClock()
    bus = MemoryBus(clock=clock)
    settings = make_settings(ws_max_connections_per_user=1, heartbeat_interval=10)
    dead = WebSocketManager(bus, settings, KEYS, clock=clock)
    alive = WebSocketManager(bus, settings, KEYS, clock=clock)
    await dead.connect(Principal("7", Role.COOK))  # its instance dies: never freed

    with pytest.raises(TooManyConnections):
        await alive.connect(Principal("7", Role.COOK))
    clock.advance(10 * (settings.heartbeat_misses + 1) + 1)

    assert (await alive.connect(Principal("7", Role.COOK))).user_id == "7"
