"""Every client has a position to resume from, and learns when its logs were lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from bus import keys
from quart_app.extensions import BUS
from tests.support.redis_server import RedisServer
from tests.support.tokens import bearer
from tests.support.waiting import eventually
from tests.support.websockets import (
    Serve,
    auth_frame,
    close_code,
    manager_of,
    receive,
    receive_type,
)

ITEM = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}


@asynccontextmanager
async def hello(
    app: Quart, user_id: str, role: str, last_event_id: str | None = None
) -> AsyncIterator[tuple[WsConnection, dict[str, Any]]]:
    """A socket past its ``connected`` frame, and that frame."""
    async with app.test_client().websocket("/api/ws") as ws:
        await ws.send(auth_frame(user_id, role, last_event_id=last_event_id))
        connected = await receive(ws)
        assert connected["type"] == "connected", connected
        yield ws, connected


async def test_a_client_that_received_nothing_can_resume_from_its_connected_position(
    serve: Serve,
) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        before = await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        async with hello(app, "k", "cook") as (_, connected):
            position = connected["last_event_id"]
        assert keys.EVENT_ID.fullmatch(position) and keys.id_key(position) >= keys.id_key(before)
        assert keys.EVENT_ID.fullmatch(connected["epoch"])

        missed = await manager.publisher.send_to_user("k", "order.assigned", {"n": 1})
        async with hello(app, "k", "cook", last_event_id=position) as (ws, connected):
            assert connected["last_event_id"] == position  # nothing was lost: resume from it
            assert (await receive(ws))["id"] == missed  # and only what followed it


async def test_an_id_from_before_the_logs_were_lost_is_told_to_reload(serve: Serve) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        async with hello(app, "k", "cook") as (_, connected):
            old_epoch = connected["epoch"]
        seen = await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        # What a Redis restart does to the logs: they, and their epoch, are gone.
        bus = app.extensions[BUS]
        await bus.delete(keys.WS_EPOCH, keys.ws_user_log("k"), keys.WS_BROADCAST_LOG)
        after = await manager.publisher.send_to_user("k", "order.assigned", {"n": 1})

        async with hello(app, "k", "cook", last_event_id=seen) as (ws, connected):
            notice = await receive(ws)
            assert (notice["type"], notice["last_event_id"]) == ("replay_incomplete", seen)
            assert (await receive(ws))["id"] == after  # what the new logs still have
        assert keys.id_key(connected["epoch"]) > keys.id_key(old_epoch)
        assert keys.id_key(connected["last_event_id"]) >= keys.id_key(after)


async def test_a_malformed_epoch_is_replaced(serve: Serve) -> None:
    async with serve(heartbeat_interval=60) as app:
        await app.extensions[BUS].set(keys.WS_EPOCH, "not an id")
        async with hello(app, "k", "cook") as (_, connected):
            assert keys.EVENT_ID.fullmatch(connected["epoch"])


async def post(app: Quart, path: str, body: dict[str, Any], user: str, role: str) -> Any:
    response = await app.test_client().post(path, json=body, headers=bearer(user, role))
    assert response.status_code in (200, 201), await response.get_data()
    return await response.get_json()


async def frames_until(ws: WsConnection, wanted: set[str]) -> list[dict[str, Any]]:
    """Every frame up to and including the last of the ``wanted`` types, heartbeats aside."""
    seen: list[dict[str, Any]] = []
    while not wanted <= {frame["type"] for frame in seen}:
        frame = await receive(ws, 20)
        if frame["type"] != "heartbeat":
            seen.append(frame)
    return seen


async def no_more_notifications(ws: WsConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert await receive_type(ws, "pong") == {"type": "pong"}


@asynccontextmanager
async def outage(server: RedisServer, fault: str) -> AsyncIterator[None]:
    """Redis restarted (its data, the logs among it, lost), or frozen and continued
    (a hung host, a partition that sends no reset: the data kept)."""
    if fault == "restart":
        await server.stop()
        yield
        await server.start()
    else:
        with server.frozen():
            yield


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["restart", "freeze"])
async def test_orders_accepted_while_redis_was_down_reach_their_people_once_it_is_back(
    serve: Serve, redis_server: RedisServer, database_url: str, fault: str
) -> None:
    settings = {
        "bus_url": redis_server.url,
        "database_url": database_url,
        "heartbeat_interval": 60,
        "outbox_poll_interval": 0.2,
        "redis_socket_timeout": 1,
    }
    lost = ["replay_incomplete"] if fault == "restart" else []
    async with serve(**settings) as app:
        changes: list[bool] = []
        app.extensions[BUS].add_connection_listener(changes.append)
        async with (
            hello(app, "cook-1", "cook") as (cook, _),
            hello(app, "customer-1", "customer") as (customer, customer_hello),
        ):
            first = await post(app, "/api/orders", {"items": [ITEM]}, "customer-1", "customer")
            # The relay publishes it after the commit, maybe after a hello sent earlier:
            # the cook resumes from the last frame it was given, as its client would.
            cook_seen = (await receive_type(cook, "order.created", 20))["id"]
            async with outage(redis_server, fault):
                assert (await app.test_client().get("/readyz")).status_code == 503
                accepted = {"status": "accepted"}
                path = f"/api/orders/{first['order_id']}/status"
                await post(app, path, accepted, "cook-1", "cook")
                second = await post(app, "/api/orders", {"items": [ITEM]}, "customer-1", "customer")
                # The shared subscription notices, by its health check when nothing resets it.
                await eventually(lambda: changes == [False], within=30)
            # The instance's subscription comes back: its sockets must reconnect.
            assert await close_code(cook, 20) == 1013
            assert await close_code(customer, 20) == 1013

        async with (
            hello(app, "cook-1", "cook", cook_seen) as (cook, _),
            hello(app, "customer-1", "customer", customer_hello["last_event_id"]) as (customer, _),
        ):
            cook_frames = await frames_until(cook, {*lost, "order.created"})
            customer_frames = await frames_until(customer, {*lost, "order.status_changed"})
            await no_more_notifications(cook)
            await no_more_notifications(customer)

    assert [f["type"] for f in cook_frames] == [*lost, "order.created"]
    assert cook_frames[-1]["data"]["order_id"] == second["order_id"]
    assert [f["type"] for f in customer_frames] == [*lost, "order.status_changed"]
    assert customer_frames[-1]["data"]["status"] == "accepted"
