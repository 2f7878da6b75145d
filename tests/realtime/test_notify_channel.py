"""The ``ws:notify`` channel: its message shape, what other services may publish on it,
and the life of the subscription with the app."""

from __future__ import annotations

import json
import logging

import pytest
from quart import Quart

from bus import keys
from bus.memory import MemoryBus
from domain.orders import Role
from quart_app.extensions import BUS
from quart_app.services.realtime import server_frames as realtime_frames
from quart_app.services.realtime.server_frames import BadEnvelope, Envelope, decode_envelope
from tests.support.bus_backends import ListenedMemoryBus
from tests.support.websockets import Connect, Serve, close_code, manager_of, receive, receive_type


def test_an_envelope_round_trips() -> None:
    for envelope in (
        Envelope('{"type":"x"}', "1-0", user_ids=("a", "b")),
        Envelope('{"type":"x"}', None, roles=frozenset({Role.COOK, Role.MANAGER})),
    ):
        assert decode_envelope(envelope.encode().encode()) == envelope


@pytest.mark.parametrize(
    "raw",
    [
        b"nope",
        b"[]",
        b'{"target": {"user_ids": ["a"]}}',
        b'{"frame": "{}", "target": {}}',
        b'{"frame": "{}", "target": {"user_ids": []}}',
        b'{"frame": "{}", "target": {"user_ids": [1]}}',
        b'{"frame": "{}", "target": {"roles": ["chef"]}}',
        b'{"frame": "{}", "target": {"roles": ["cook"], "user_ids": ["a"]}}',
        b'{"frame": "{}", "id": 5, "target": {"roles": ["cook"]}}',
        pytest.param(b"[" * 60_000, id="nested-too-deep"),
        pytest.param(b'{"frame": "\\udfff", "target": {"roles": ["cook"]}}', id="lone-surrogate"),
    ],
)
def test_a_malformed_envelope_is_refused(raw: bytes) -> None:
    with pytest.raises(BadEnvelope):
        decode_envelope(raw)


async def test_another_service_can_publish_on_the_channel(app: Quart, connect: Connect) -> None:
    async with connect(app, "k", "cook") as cook, connect(app, "c", "customer") as customer:
        bus = app.extensions[BUS]
        await bus.publish(keys.WS_NOTIFY_CHANNEL, b"not an envelope")  # dropped, logged
        frame = json.dumps({"type": "menu.sold_out", "id": None, "ts": 1.0, "data": {"m": 1}})
        envelope = {"target": {"roles": ["cook"]}, "id": None, "frame": frame}
        await bus.publish(keys.WS_NOTIFY_CHANNEL, json.dumps(envelope))
        assert (await receive_type(cook, "menu.sold_out"))["data"] == {"m": 1}
        envelope = {"target": {"user_ids": ["c"]}, "id": None, "frame": frame}
        await bus.publish(keys.WS_NOTIFY_CHANNEL, json.dumps(envelope))
        assert (await receive_type(customer, "menu.sold_out"))["data"] == {"m": 1}


async def test_a_frame_that_is_not_unicode_text_is_logged_and_dropped(
    app: Quart, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    # Sent, it would fail to encode in every targeted socket and close them all.
    bad = {"target": {"roles": ["cook"]}, "id": None, "frame": '{"type": "x", "t": "\ud800"}'}
    async with connect(app, "k", "cook") as ws:
        await app.extensions[BUS].publish(keys.WS_NOTIFY_CHANNEL, json.dumps(bad))
        event_id = await manager_of(app).publisher.send_to_user("k", "order.assigned", {})
        assert (await receive(ws))["id"] == event_id
    assert any("lone surrogate" in record.getMessage() for record in caplog.records)


async def test_a_too_deeply_nested_message_stops_no_later_notification(
    app: Quart, connect: Connect
) -> None:
    async with connect(app, "k", "cook") as ws:
        await app.extensions[BUS].publish(keys.WS_NOTIFY_CHANNEL, b"[" * 60_000)
        event_id = await manager_of(app).publisher.send_to_user("k", "order.assigned", {})
        assert (await receive_type(ws, "order.assigned"))["id"] == event_id


async def test_a_failure_delivering_one_message_is_logged_and_the_next_delivered(
    app: Quart, connect: Connect, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    manager = manager_of(app)
    deliver = manager.deliver
    bug = RuntimeError("a bug")
    failures = iter([bug])

    def deliver_after_a_failure(envelope: Envelope) -> int:
        for failure in failures:
            raise failure
        return deliver(envelope)

    monkeypatch.setattr(manager, "deliver", deliver_after_a_failure)
    async with connect(app, "k", "cook") as ws:
        await manager.publisher.send_to_user("k", "order.assigned", {"n": 1})
        await manager.publisher.send_to_user("k", "order.assigned", {"n": 2})
        assert (await receive_type(ws, "order.assigned"))["data"] == {"n": 2}
    logged = [r.exc_info[1] for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged == [bug]


async def test_a_notification_is_serialized_once_whatever_the_audience(
    app: Quart, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    dumps = realtime_frames.dumps

    def counting(value: object) -> str:
        nonlocal calls
        calls += 1
        return dumps(value)

    monkeypatch.setattr(realtime_frames, "dumps", counting)
    manager = manager_of(app)
    counts = []
    for audience in (1, 6):
        sockets = [connect(app, f"k{n}", "cook") for n in range(audience)]
        opened = [await socket.__aenter__() for socket in sockets]
        calls = 0
        await manager.publisher.broadcast_to_staff("order.created", {})
        for ws in opened:
            await receive_type(ws, "order.created")
        counts.append(calls)
        for socket in sockets:
            await socket.__aexit__(None, None, None)
    assert counts[0] == counts[1] <= 2  # the frame and its envelope


async def test_stopping_closes_sockets_1001_and_unsubscribes(
    serve: Serve, connect: Connect
) -> None:
    bus = MemoryBus()
    async with serve(bus=bus, heartbeat_interval=60) as app:
        ws_cm = connect(app, "k", "cook")
        ws = await ws_cm.__aenter__()
        assert await bus.publish(keys.WS_NOTIFY_CHANNEL, b"{}") == 1
    assert await close_code(ws) == 1001
    await ws_cm.__aexit__(None, None, None)
    assert await bus.publish(keys.WS_NOTIFY_CHANNEL, b"{}") == 0
    assert await bus.scan(keys.WS_INSTANCE_STATS_PATTERN) == []


class FlakyBus(ListenedMemoryBus):
    """A memory bus whose subscriber connection a test can drop and restore."""


async def test_sockets_are_closed_1013_when_the_bus_subscriber_comes_back(
    serve: Serve, connect: Connect
) -> None:
    bus = FlakyBus()
    async with serve(bus=bus, heartbeat_interval=60) as app, connect(app, "k", "cook") as ws:
        for connected in (False, True):  # whatever was published meanwhile was lost
            for listener in list(bus.listeners):
                listener(connected)
        assert await close_code(ws) == 1013
