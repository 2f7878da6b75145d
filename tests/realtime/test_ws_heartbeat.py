"""Heartbeats every interval; a client silent for ``heartbeat_misses`` intervals is dropped."""

from __future__ import annotations

import json

from tests.support.websockets import Connect, Serve, close_code, manager_of, receive

INTERVAL = 0.05
"""For checks a busy machine can only delay: heartbeats keep coming, a silent client goes."""
ANSWERED_INTERVAL, ANSWERED_MISSES = 0.2, 10
"""A client that answers has two seconds to be heard, which no busy machine runs out."""


async def test_heartbeats_arrive_every_interval(serve: Serve, connect: Connect) -> None:
    async with serve(heartbeat_interval=INTERVAL) as app, connect(app, "k", "cook") as ws:
        first, second = await receive(ws), await receive(ws)
        assert first["type"] == second["type"] == "heartbeat"
        assert second["ts"] - first["ts"] >= INTERVAL / 2  # one interval apart, at least


async def test_a_silent_client_is_closed_4408(serve: Serve, connect: Connect) -> None:
    async with (
        serve(heartbeat_interval=INTERVAL, heartbeat_misses=2) as app,
        connect(app, "k", "cook") as ws,
    ):
        assert await close_code(ws) == 4408


async def test_a_client_that_answers_stays(serve: Serve, connect: Connect) -> None:
    async with (
        serve(heartbeat_interval=ANSWERED_INTERVAL, heartbeat_misses=ANSWERED_MISSES) as app,
        connect(app, "k", "cook") as ws,
    ):
        for _ in range(ANSWERED_MISSES + 5):  # past the silence allowed
            assert (await receive(ws))["type"] == "heartbeat"
            await ws.send(json.dumps({"type": "pong"}))
        assert manager_of(app).get_connection_count("k") == 1


async def test_send_heartbeat_counts_the_sockets_it_reached(serve: Serve, connect: Connect) -> None:
    async with serve(heartbeat_interval=60) as app, connect(app, "k", "cook") as ws:
        assert manager_of(app).send_heartbeat() == 1
        assert (await receive(ws))["type"] == "heartbeat"
