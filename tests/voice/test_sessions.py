"""Conversations live on the bus: any instance continues them, turns never interleave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from quart.testing import QuartClient

from bus.base import Bus
from bus.keys import voice_session, voice_session_lock
from bus.memory import MemoryBus
from quart_app.testing import ScriptedAIServer, gated
from tests.support.bus_backends import Backend, FakeClock
from tests.support.tokens import bearer
from tests.support.voice_api import (
    FakeVoiceData,
    StartApp,
    confirmed,
    confirming,
    llm_answer,
    say,
)

MEMBER = bearer("42", "customer")


async def test_a_second_instance_continues_the_conversation(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    first = await start_app(backend.bus)
    second = await start_app(await backend.peer())
    ai_server.llm.queue(
        llm_answer("French, which style?", order_state={"menu_code": "french"}),
        llm_answer("Grand it is.", style_selection=1, state="confirmation"),
        llm_answer("Three, then.", quantity=3),
    )

    _, started = await say(first, "french dinner")
    status, continued = await say(second, "grand", started["session_id"])
    _, back = await say(first, "make it three", started["session_id"])

    assert status == 200, continued
    assert continued["state"] == "confirmation"
    assert (continued["order_state"]["menu_code"], continued["order_state"]["style_code"]) == (
        "french",
        "grand",
    )
    context = ai_server.llm.payloads[1]["context"]
    assert context["messages"][0] == {"role": "user", "content": "french dinner"}
    assert context["order_state"]["menu_code"] == "french"
    # The first instance reads the turn the second one took, not its own older copy.
    assert ai_server.llm.payloads[2]["context"]["stage"] == "confirmation"
    assert (back["state"], back["quantity"], back["order_state"]["style_code"]) == (
        "confirmation",
        3,
        "grand",
    )


async def test_a_turn_that_fails_after_applying_changes_nothing(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, data: FakeVoiceData
) -> None:
    client = await start_app(backend.bus)
    ai_server.llm.queue(confirming(), confirmed(), confirmed())
    _, started = await say(client, "french grand")
    data.refuse_orders = True

    failed, _ = await say(client, "yes", started["session_id"])
    data.refuse_orders = False
    status, placed = await say(client, "yes", started["session_id"])

    assert (failed, status, placed["state"]) == (500, 200, "completed")
    context = ai_server.llm.payloads[2]["context"]
    assert (context["stage"], len(context["messages"])) == ("confirmation", 2)


def _spy_on_locks(bus: Bus, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """An event set when a second request asks for a session lock."""
    asked = asyncio.Event()
    calls: list[str] = []
    real_lock = bus.lock

    def lock(name: str, *, ttl: float, wait: float) -> AbstractAsyncContextManager[None]:
        calls.append(name)
        if len(calls) == 2:
            asked.set()
        return real_lock(name, ttl=ttl, wait=wait)

    monkeypatch.setattr(bus, "lock", lock)
    return asked


async def test_concurrent_turns_on_one_session_both_land(
    backend: Backend,
    ai_server: ScriptedAIServer,
    start_app: StartApp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await start_app(backend.bus)
    gate = asyncio.Event()
    ai_server.llm.queue(
        llm_answer("Hi!"),
        gated(gate, llm_answer("One.")),
        llm_answer("Two."),
    )
    _, started = await say(client, "hello")
    session_id = started["session_id"]
    asked = _spy_on_locks(backend.bus, monkeypatch)

    first = asyncio.create_task(say(client, "first", session_id))
    await asyncio.wait_for(ai_server.llm.wait_for_requests(2), 5)
    second = asyncio.create_task(say(client, "second", session_id))
    await asyncio.wait_for(asked.wait(), 5)  # the second turn is waiting for the first
    gate.set()
    results = await asyncio.wait_for(asyncio.gather(first, second), 10)

    assert [status for status, _ in results] == [200, 200]
    ai_server.llm.queue(llm_answer("Three."))
    await say(client, "third", session_id)
    messages = ai_server.llm.payloads[-1]["context"]["messages"]
    assert [m["content"] for m in messages] == ["hello", "Hi!", "first", "One.", "second", "Two."]


async def test_a_session_held_too_long_is_busy(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    # The first turn is answered within the AI timeout; the second waits the lock out.
    client = await start_app(backend.bus, ai_timeout=2.0)
    ai_server.llm.queue(llm_answer("Hi!"))
    _, started = await say(client, "hello")

    # Another instance is stuck in a turn (or died holding the lock).
    async with backend.bus.lock(voice_session_lock(started["session_id"]), ttl=30, wait=1):
        status, body = await say(client, "again", started["session_id"])

    assert (status, body["error"]["code"]) == (409, "session_busy")


async def test_the_session_expires_after_ttl_without_activity(
    start_app: StartApp,
) -> None:
    clock = FakeClock()
    bus = MemoryBus(clock=clock)
    ai_server = ScriptedAIServer(bus)
    ai_server.llm.always(llm_answer("Yes?"))
    await ai_server.start()
    try:
        client = await start_app(bus, session_ttl=100)
        _, started = await say(client, "hello")
        session_id = started["session_id"]
        for _ in range(3):  # each turn starts the time to live again
            clock.advance(90)
            status, _ = await say(client, "still here", session_id)
            assert status == 200
        clock.advance(101)
        status, body = await say(client, "hello?", session_id)
    finally:
        await ai_server.stop()
        await bus.close()

    assert (status, body["error"]["code"]) == (404, "session_not_found")


@pytest.mark.redis
async def test_redis_holds_the_session_json_with_its_ttl(
    redis_url: str, start_app: StartApp
) -> None:
    from redis.asyncio import Redis

    from bus.redis import RedisBus

    bus = RedisBus(redis_url)
    await bus.connect()
    ai_server = ScriptedAIServer(bus)
    ai_server.llm.always(llm_answer("Yes?"))
    await ai_server.start()
    try:
        client = await start_app(bus, session_ttl=600)
        _, started = await say(client, "hello")
        async with Redis.from_url(redis_url) as redis:
            ttl = await redis.pttl(voice_session(started["session_id"]))
            stored = await redis.get(voice_session(started["session_id"]))
    finally:
        await ai_server.stop()
        await bus.close()

    assert 590_000 < ttl <= 600_000
    assert stored is not None and b'"owner":"guest"' in stored


@pytest.fixture
async def conversation(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> AsyncIterator[tuple[QuartClient, str, str]]:
    """A client, a member's session id and a guest's session id."""
    ai_server.llm.always(llm_answer("Yes?"))
    client = await start_app(backend.bus)
    _, member = await say(client, "hi", user_id="42", headers=MEMBER)
    _, guest = await say(client, "hi")
    yield client, member["session_id"], guest["session_id"]


@pytest.mark.parametrize(
    ("whose", "user_id", "headers", "status", "code"),
    [
        ("member", "43", bearer("43", "customer"), 403, "session_forbidden"),
        ("member", None, None, 403, "session_forbidden"),
        ("member", None, MEMBER, 403, "session_forbidden"),
        ("guest", "42", MEMBER, 403, "session_forbidden"),
        ("unknown", None, None, 404, "session_not_found"),
        ("member", "42", None, 401, "unauthorized"),
        ("member", "42", bearer("43", "customer"), 403, "forbidden"),
    ],
)
async def test_a_session_answers_only_to_whoever_started_it(
    conversation: tuple[QuartClient, str, str],
    whose: str,
    user_id: str | None,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    client, member_session, guest_session = conversation
    session_id = {"member": member_session, "guest": guest_session}.get(whose, "x" * 32)
    extra: dict[str, Any] = {"user_id": user_id}

    got, body = await say(client, "continue", session_id, headers=headers, **extra)

    assert (got, body["error"]["code"]) == (status, code)


async def test_the_owner_and_the_guest_continue_their_own_sessions(
    conversation: tuple[QuartClient, str, str],
) -> None:
    client, member_session, guest_session = conversation

    member_status, _ = await say(client, "more", member_session, user_id="42", headers=MEMBER)
    guest_status, _ = await say(client, "more", guest_session)

    assert (member_status, guest_status) == (200, 200)
