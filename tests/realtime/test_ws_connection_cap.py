"""A user holds at most WS_MAX_CONNECTIONS_PER_USER sockets per instance (then close 4429)."""

from __future__ import annotations

from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from tests.support.websockets import (
    Connect,
    Serve,
    auth_frame,
    close_code,
    forgotten,
    manager_of,
    receive,
)


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
