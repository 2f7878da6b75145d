"""The manager and a socket on their own, without Quart: falling behind, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bus.memory import MemoryBus
from config import Settings
from domain.connections import Connection
from domain.orders import Role
from quart_app.services.auth.tokens import Principal, TokenKeys
from quart_app.services.realtime.local_socket import LocalSocket
from quart_app.services.realtime.manager import WebSocketManager
from tests.support.cancellation import losing_first_cancellation, never_answers
from tests.support.waiting import WAIT

KEY = TokenKeys("these-tests-send-no-token")


async def test_sockets_are_closed_1013_when_the_fan_out_drops_notifications(
    make_settings: Callable[..., Settings],
) -> None:
    manager = WebSocketManager(
        MemoryBus(), make_settings(heartbeat_interval=60), KEY, fan_out_buffer=2
    )
    await manager.start()
    socket = await manager.connect(Principal("k", Role.COOK))
    sent: list[str] = []

    async def send(frame: str) -> None:
        sent.append(frame)

    async def receive() -> str:
        await asyncio.Event().wait()
        return ""

    serving = asyncio.create_task(manager.serve(socket, receive, send))
    try:
        for n in range(5):  # published faster than the fan-out runs: 3 are dropped
            await manager.publisher.broadcast_to_staff("order.created", {"n": n})
        await asyncio.wait_for(serving, WAIT)
        assert socket.close_code == 1013
    finally:
        await manager.stop()


async def test_a_cancellation_from_outside_is_not_swallowed() -> None:
    socket = LocalSocket(Connection("c", "k", Role.COOK), queue_size=4, now=0.0)

    async def send(frame: str) -> None: ...

    async def receive() -> str:
        await asyncio.Event().wait()
        return ""

    serving = asyncio.create_task(socket.run(receive, send, lambda *_: None))
    await asyncio.sleep(0)
    serving.cancel()  # the peer left: Quart cancels the handler
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(serving, WAIT)
    socket.close(1001, "after the fact")  # and a late close() changes nothing
    assert serving.cancelled()


async def test_stop_ends_a_stats_write_that_lost_its_cancellation(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = MemoryBus()
    # Redis took the SET and never answers; the first cancellation is lost.
    monkeypatch.setattr(bus, "set", losing_first_cancellation(never_answers))
    manager = WebSocketManager(bus, make_settings(), KEY)
    before = asyncio.all_tasks()
    await manager.start()
    await asyncio.sleep(0.01)
    started = asyncio.all_tasks() - before
    loop = asyncio.get_running_loop()
    stopping = loop.time()

    await asyncio.wait_for(manager.stop(), WAIT)

    assert loop.time() - stopping < 2.0
    assert started
    assert all(task.done() for task in started)


async def test_a_socket_that_connects_once_sockets_were_closed_is_closed_1001(
    make_settings: Callable[..., Settings],
) -> None:
    manager = WebSocketManager(MemoryBus(), make_settings(heartbeat_interval=60), KEY)
    await manager.start()
    try:
        open_before = await manager.connect(Principal("k", Role.COOK))
        manager.close_all()  # the server is stopping
        late = await manager.connect(Principal("m", Role.MANAGER))  # was still authenticating
        assert (open_before.close_code, late.close_code) == (1001, 1001)
    finally:
        await manager.stop()
