"""Reconnecting with ``last_event_id`` replays what was missed, in order, before new ones."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bus import keys
from domain.connections import Connection
from domain.orders import Role
from quart_app.extensions import BUS
from quart_app.services.realtime.local_socket import LocalSocket
from quart_app.services.realtime.notifications import Notice
from tests.support.bus_backends import START, Backend
from tests.support.websockets import (
    Connect,
    Serve,
    forgotten,
    manager_of,
    receive,
    receive_type,
    seen_then_missed_by_cook_k,
)


async def test_replay_merges_own_and_role_notifications_in_order_before_new_ones(
    serve: Serve, connect: Connect
) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        seen, missed = await seen_then_missed_by_cook_k(app)
        await manager.publisher.broadcast_to_role(Role.DELIVERY, "not.for.cooks", {})
        await manager.publisher.send_to_user("someone-else", "order.assigned", {})
        async with connect(app, "k", "cook", last_event_id=seen) as ws:
            replayed = [await receive(ws) for _ in missed]
            assert [frame["id"] for frame in replayed] == missed
            assert [frame["data"]["n"] for frame in replayed] == [1, 2, 3]
            fresh = await manager.publisher.send_to_user("k", "order.assigned", {"n": 4})
            assert (await receive_type(ws, "order.assigned"))["id"] == fresh


@pytest.mark.parametrize("b_to_its_role", [False, True], ids=["both-to-the-user", "b-to-a-role"])
async def test_a_lower_id_published_after_the_client_s_last_id_is_replayed_once(
    backend: Backend, serve: Serve, connect: Connect, b_to_its_role: bool
) -> None:
    # Two outbox relays: one took A's id, the other then took B's and published first.
    if backend.name == "memory":  # its clock starts in the past: bring it to the app's
        await backend.advance(time.time() - START)
    async with serve(bus=backend.bus, heartbeat_interval=60) as app:
        publisher = manager_of(app).publisher
        a_id, b_id = await publisher.log.next_ids(2)
        b = (
            Notice.to_roles([Role.COOK], "order.created", {"n": "b"})
            if b_to_its_role
            else Notice.to_users(["k"], "order.assigned", {"n": "b"})
        )
        async with connect(app, "k", "cook") as ws:
            await publisher.publish_many([(b, b_id)])
            assert (await receive(ws))["id"] == b_id
        await forgotten(app, "k")
        await publisher.publish_many([(Notice.to_users(["k"], "order.assigned", {}), a_id)])

        async with connect(app, "k", "cook", last_event_id=b_id) as ws:
            assert (await receive(ws))["id"] == a_id
            fresh = await publisher.send_to_user("k", "order.assigned", {"n": "c"})
            assert (await receive(ws))["id"] == fresh  # neither B nor A came again


async def test_malformed_log_entries_are_skipped(serve: Serve, connect: Connect) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        bus = app.extensions[BUS]
        seen = await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        kept = [await manager.publisher.send_to_user("k", "order.assigned", {"n": 1})]
        # What another service might write: no id line, a bad id, not UTF-8, no roles line.
        later_id = await manager.publisher.log.next_id()
        for log, entry in [
            (keys.ws_user_log("k"), b"no newline"),
            (keys.ws_user_log("k"), b"not-an-id\n{}"),
            (keys.ws_user_log("k"), b"\xff\n{}"),
            (keys.WS_BROADCAST_LOG, f"{later_id}\ncook".encode()),
        ]:
            await bus.log_append(log, entry, maxlen=100, retention=3600)
        kept.append(await manager.publisher.broadcast_to_staff("order.created", {"n": 2}))
        async with connect(app, "k", "cook", last_event_id=seen) as ws:
            assert [(await receive(ws))["id"] for _ in kept] == kept
            fresh = await manager.publisher.send_to_user("k", "order.assigned", {"n": 3})
            assert (await receive(ws))["id"] == fresh


async def test_without_last_event_id_nothing_is_replayed(serve: Serve, connect: Connect) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        async with connect(app, "k", "cook") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert await receive(ws) == {"type": "pong"}


async def test_an_id_older_than_the_retention_window_is_incomplete(
    serve: Serve, connect: Connect
) -> None:
    async with serve(heartbeat_interval=60, notification_retention=60) as app:
        kept = await manager_of(app).publisher.send_to_user("k", "order.assigned", {"n": 1})
        async with connect(app, "k", "cook", last_event_id="1000-0") as ws:
            notice = await receive(ws)
            assert notice["type"] == "replay_incomplete"
            assert notice["last_event_id"] == "1000-0"
            assert (await receive(ws))["id"] == kept


@pytest.mark.parametrize(("missed", "incomplete"), [(2, False), (3, True), (5, True)])
async def test_missing_as_many_as_the_log_keeps_is_incomplete(
    serve: Serve, connect: Connect, missed: int, incomplete: bool
) -> None:
    async with serve(heartbeat_interval=60, notification_log_maxlen=3) as app:
        manager = manager_of(app)
        seen = await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        sent = [
            await manager.publisher.send_to_user("k", "order.assigned", {"n": n})
            for n in range(missed)
        ]
        async with connect(app, "k", "cook", last_event_id=seen) as ws:
            if incomplete:
                assert (await receive(ws))["type"] == "replay_incomplete"
            kept = sent[-3:]
            assert [(await receive(ws))["id"] for _ in kept] == kept


class Peer:
    """The client end of a :class:`LocalSocket`: keeps what it is sent, sends nothing."""

    def __init__(self, *, until: str) -> None:
        self.sent: list[str] = []
        self.done = asyncio.Event()  # set once the frame ``until`` arrives
        self._until = until

    async def send(self, frame: str) -> None:
        self.sent.append(frame)
        if frame == self._until:
            self.done.set()

    async def receive(self) -> str:
        await asyncio.Event().wait()
        return ""


async def test_live_frames_during_replay_follow_it_without_duplicates() -> None:
    socket = LocalSocket(Connection("c", "k", Role.COOK), queue_size=8, now=0.0)
    socket.hold()
    socket.offer("live-duplicate", "5-0")  # published while the replay was being read
    socket.offer("live-new", "6-0")
    peer = Peer(until="live-new")
    serving = asyncio.create_task(
        socket.run(peer.receive, peer.send, lambda *_: None, [("4-0", "old"), ("5-0", "dup")])
    )
    await asyncio.wait_for(peer.done.wait(), 5)
    socket.offer("after", "7-0")
    await asyncio.wait_for(asyncio.sleep(0.01), 5)
    socket.close(1001, "test over")
    await asyncio.wait_for(serving, 5)
    assert peer.sent == ["old", "dup", "live-new", "after"]


async def test_a_notification_delivered_once_is_dropped_when_it_comes_again() -> None:
    socket = LocalSocket(Connection("c", "k", Role.COOK), queue_size=8, now=0.0)
    peer = Peer(until="last")
    # Replayed, then published again live (the live copy raced the replay).
    serving = asyncio.create_task(
        socket.run(peer.receive, peer.send, lambda *_: None, [("4-0", "replayed")])
    )
    await asyncio.sleep(0)  # the socket is serving
    socket.offer("replayed-again", "4-0")
    socket.offer("first", "5-0")
    socket.offer("first-again", "5-0")  # an outbox relay published it twice
    socket.offer("heartbeat")  # frames without an id are never dropped
    socket.offer("heartbeat")
    socket.offer("last", "6-0")
    await asyncio.wait_for(peer.done.wait(), 5)
    socket.close(1001, "test over")
    await asyncio.wait_for(serving, 5)
    assert peer.sent == ["replayed", "first", "heartbeat", "heartbeat", "last"]


async def test_a_notification_kept_twice_is_replayed_once(serve: Serve, connect: Connect) -> None:
    async with serve(heartbeat_interval=60) as app:
        manager = manager_of(app)
        seen = await manager.publisher.send_to_user("k", "order.assigned", {"n": 0})
        notice = Notice.to_users(["k"], "order.assigned", {"n": 1})
        event_id = await manager.publisher.publish(notice)
        await manager.publisher.publish(notice, event_id=event_id)  # a relay's retry
        last = await manager.publisher.send_to_user("k", "order.assigned", {"n": 2})
        async with connect(app, "k", "cook", last_event_id=seen) as ws:
            replayed = [await receive(ws) for _ in range(2)]
            assert [frame["id"] for frame in replayed] == [event_id, last]
