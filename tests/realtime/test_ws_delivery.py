"""Notifications reach every socket they are addressed to, and only those."""

from __future__ import annotations

import json

from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from domain.orders import Role
from tests.support.websockets import Connect, forgotten, manager_of, receive, receive_type


async def nothing_arrives(ws: WsConnection) -> None:
    """No frame reaches ``ws`` within a short while (a ping round trip proves it is live)."""
    await ws.send(json.dumps({"type": "ping"}))
    assert (await receive(ws))["type"] == "pong"


async def test_send_to_user_reaches_every_tab_of_that_user(app: Quart, connect: Connect) -> None:
    manager = manager_of(app)
    async with (
        connect(app, "c1", "customer") as tab1,
        connect(app, "c1", "customer") as tab2,
        connect(app, "c2", "customer") as other,
    ):
        assert manager.get_connection_count("c1") == 2
        event_id = await manager.publisher.send_to_user(
            "c1", "order.status_changed", {"order_id": 5}
        )
        for tab in (tab1, tab2):
            frame = await receive_type(tab, "order.status_changed")
            assert frame["id"] == event_id and frame["data"] == {"order_id": 5}
            assert isinstance(frame["ts"], float)
        await nothing_arrives(other)


async def test_many_sockets_of_one_user_each_get_it_once(app: Quart, connect: Connect) -> None:
    manager = manager_of(app)
    tabs = [connect(app, "m", "manager") for _ in range(12)]
    opened = [await tab.__aenter__() for tab in tabs]
    try:
        assert manager.get_connection_count("m") == 12
        assert manager.get_connection_stats()["users"] == 1
        first = await manager.publisher.send_to_user("m", "order.assigned", {"n": 1})
        second = await manager.publisher.broadcast_to_staff("order.created", {"n": 2})
        for ws in opened:
            assert (await receive_type(ws, "order.assigned"))["id"] == first
            assert (await receive_type(ws, "order.created"))["id"] == second
            await nothing_arrives(ws)
    finally:
        for tab in tabs:
            await tab.__aexit__(None, None, None)


async def test_send_to_a_user_with_no_socket_is_a_no_op(app: Quart) -> None:
    event_id = await manager_of(app).publisher.send_to_user(
        "nobody", "order.assigned", {"order_id": 1}
    )
    assert event_id


async def test_staff_broadcast_reaches_staff_but_not_customers(
    app: Quart, connect: Connect
) -> None:
    async with (
        connect(app, "k", "cook") as cook,
        connect(app, "d", "delivery") as courier,
        connect(app, "m", "manager") as boss,
        connect(app, "c", "customer") as customer,
    ):
        event_id = await manager_of(app).publisher.broadcast_to_staff(
            "order.created", {"order_id": 9}
        )
        for ws in (cook, courier, boss):
            frame = await receive_type(ws, "order.created")
            assert (frame["id"], frame["data"]) == (event_id, {"order_id": 9})
        await nothing_arrives(customer)


async def test_role_broadcast_reaches_only_that_role(app: Quart, connect: Connect) -> None:
    async with connect(app, "k", "cook") as cook, connect(app, "d", "delivery") as courier:
        await manager_of(app).publisher.broadcast_to_role(
            Role.DELIVERY, "shift.note", {"text": "rain"}
        )
        assert (await receive_type(courier, "shift.note"))["data"] == {"text": "rain"}
        await nothing_arrives(cook)


async def test_disconnected_sockets_are_forgotten(app: Quart, connect: Connect) -> None:
    manager = manager_of(app)
    async with connect(app, "k", "cook"), connect(app, "m", "manager"):
        assert manager.get_connection_stats()["by_role"] == {
            "customer": 0,
            "cook": 1,
            "delivery": 0,
            "manager": 1,
        }
    await forgotten(app)
    assert manager.get_connection_stats()["users"] == 0
