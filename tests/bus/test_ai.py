"""AI request/response over the bus (docs/contract.md §1), on every backend."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from bus.ai import (
    AIRequester,
    AIResultError,
    Base64File,
    encode_request,
    make_request_message,
    publish_result,
)
from bus.base import Bus, BusOverloaded, BusTimeout, BusUnavailable, Pieces
from bus.keys import ai_queue, ai_result
from quart_app.testing import Answer, error, raw
from tests.support.ai_server import answering, echo_reply
from tests.support.bus_backends import START, Backend, FakeClock
from tests.support.queues import take
from tests.support.waiting import eventually

WAIT = 5.0
NEVER = 60.0
"""A request timeout no test reaches: a refusal "at once" comes well within :data:`WAIT`."""


@pytest.fixture
async def requester(backend: Backend) -> AsyncIterator[AIRequester]:
    made = AIRequester(backend.bus)
    await made.start()
    yield made
    await made.close()


async def _worker_bus(backend: Backend) -> Bus:
    return await backend.peer()


async def test_a_request_returns_the_result_of_an_ok_reply(
    backend: Backend, requester: AIRequester
) -> None:
    async with answering(await _worker_bus(backend)):
        result = await asyncio.wait_for(
            requester.request("llm", {"transcript": "hi"}, timeout=WAIT), WAIT
        )

    assert result == {"transcript": "hi"}


async def test_the_queued_message_follows_the_contract(backend: Backend) -> None:
    requester = AIRequester(backend.bus, clock=FakeClock())
    async with answering(await _worker_bus(backend), kind="stt") as stt:
        await asyncio.wait_for(requester.request("stt", {"audio_b64": ""}, timeout=30), WAIT)
    await requester.close()

    (message,) = stt.requests
    assert set(message) == {"request_id", "type", "reply_to", "created_at", "deadline", "payload"}
    assert message["type"] == "stt"
    assert message["reply_to"] == ai_result(message["request_id"], tagged=backend.bus.sharded)
    assert message["created_at"] == START
    assert message["deadline"] == START + 30
    assert message["payload"] == {"audio_b64": ""}


def test_request_ids_are_unique_and_url_safe() -> None:
    ids = {make_request_message("llm", {}, timeout=1)["request_id"] for _ in range(1000)}

    assert len(ids) == 1000
    assert all(len(i) <= 64 and i.isalnum() for i in ids)


async def test_an_unknown_kind_is_refused(requester: AIRequester) -> None:
    with pytest.raises(ValueError, match="video"):
        await requester.request("video", {}, timeout=1)


async def test_an_error_reply_raises_its_code_and_message(
    backend: Backend, requester: AIRequester
) -> None:
    async with answering(await _worker_bus(backend), error("bad_audio", "can't decode")):
        with pytest.raises(AIResultError) as raised:
            await asyncio.wait_for(requester.request("llm", {}, timeout=WAIT), WAIT)

    assert (raised.value.code, raised.value.message) == ("bad_audio", "can't decode")


def reply_of(**fields: Any) -> Answer:
    """A reply to the request with ``fields`` besides its ``request_id``, as it is."""
    return lambda request: raw(orjson.dumps({"request_id": request["request_id"], **fields}))


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(raw(b"{not json"), id="not-json"),
        pytest.param(raw(b"\xff\xfe"), id="not-utf8"),
        pytest.param(raw(b"[1, 2]"), id="not-an-object"),
        pytest.param(
            raw(b'{"request_id": "someone-else", "status": "ok", "result": {}}'),
            id="other-request",
        ),
        pytest.param(reply_of(status="maybe"), id="unknown-status"),
        pytest.param(reply_of(status="ok", result=3), id="result-not-an-object"),
        pytest.param(reply_of(status="error"), id="error-without-body"),
    ],
)
async def test_a_malformed_reply_is_a_bad_result(
    backend: Backend, requester: AIRequester, reply: Any
) -> None:
    async with answering(await _worker_bus(backend), reply):
        with pytest.raises(AIResultError) as raised:
            await asyncio.wait_for(requester.request("llm", {}, timeout=WAIT), WAIT)
        assert raised.value.code == "bad_result"
        # Nothing broke: the next request is answered normally by a good worker.
    async with answering(await _worker_bus(backend)):
        assert await asyncio.wait_for(requester.request("llm", {"n": 1}, timeout=WAIT), WAIT) == {
            "n": 1
        }


async def test_no_reply_in_time_is_a_bus_timeout(requester: AIRequester) -> None:
    with pytest.raises(BusTimeout):
        await asyncio.wait_for(requester.request("llm", {}, timeout=0.05), WAIT)

    assert requester.in_flight == 0


async def test_past_max_in_flight_a_request_is_refused_at_once(backend: Backend) -> None:
    requester = AIRequester(backend.bus, max_in_flight=2)
    waiting = [asyncio.create_task(requester.request("llm", {}, timeout=WAIT)) for _ in range(2)]
    await eventually(lambda: requester.in_flight == 2)

    with pytest.raises(BusOverloaded):
        await asyncio.wait_for(requester.request("llm", {}, timeout=NEVER), WAIT)

    async with answering(await _worker_bus(backend)):
        await asyncio.wait_for(asyncio.gather(*waiting), WAIT)
    await requester.close()


async def test_a_full_queue_refuses_a_request_at_once(backend: Backend) -> None:
    # No AI Server reads: requests that timed out stay queued, but no more than the bound.
    requester = AIRequester(backend.bus, max_queue_length=2)
    for _ in range(2):
        with pytest.raises(BusTimeout):
            await asyncio.wait_for(requester.request("stt", {}, timeout=0.5), WAIT)
    with pytest.raises(BusOverloaded):
        await asyncio.wait_for(requester.request("stt", {}, timeout=NEVER), WAIT)
    assert len(await backend.bus.items(ai_queue("stt"))) == 2
    assert requester.in_flight == 0
    await requester.close()


async def test_a_late_result_is_dropped(backend: Backend, requester: AIRequester) -> None:
    with pytest.raises(BusTimeout):
        await requester.request("llm", {}, timeout=0.05)
    late = json.loads(await take(backend.bus, ai_queue("llm"), timeout=1) or b"{}")

    worker = await _worker_bus(backend)
    async with answering(worker):
        await worker.set(late["reply_to"], json.dumps(echo_reply(late)))
        await worker.publish(late["reply_to"], json.dumps(echo_reply(late)))
        assert await asyncio.wait_for(requester.request("llm", {"n": 2}, timeout=WAIT), WAIT) == {
            "n": 2
        }

    assert requester.in_flight == 0


class _AnswersBeforeTheSubscriptionSeesIt:
    """A bus whose worker stores the result while the push is still returning, and
    never publishes: only the check of ``ai:result:{id}`` after the push finds it."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    async def push(self, queue: str, data: bytes | str, **options: Any) -> int:
        length = await self._bus.push(queue, data, **options)
        request = json.loads(await take(self._bus, queue, timeout=1) or b"{}")
        await self._bus.set(request["reply_to"], json.dumps(echo_reply(request)), ttl=300)
        return length


async def test_a_result_stored_before_the_subscription_saw_it_is_found(backend: Backend) -> None:
    requester = AIRequester(_AnswersBeforeTheSubscriptionSeesIt(backend.bus))  # type: ignore[arg-type]

    result = await asyncio.wait_for(requester.request("llm", {"n": 3}, timeout=WAIT), WAIT)

    assert result == {"n": 3}
    await requester.close()


async def test_each_instance_gets_its_own_results(backend: Backend) -> None:
    other = AIRequester(await backend.peer())
    mine = AIRequester(backend.bus)
    async with answering(await _worker_bus(backend)):
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    requester.request("llm", {"n": n}, timeout=WAIT)
                    for n in range(20)
                    for requester in (mine, other)
                )
            ),
            WAIT * 2,
        )
    await mine.close()
    await other.close()

    assert results == [{"n": n} for n in range(20) for _ in range(2)]


async def test_many_requests_in_flight_all_get_their_answers(
    backend: Backend, requester: AIRequester
) -> None:
    # Each request may wait behind the other 299 on a busy machine: the answers are the
    # point here, so the wait is a bound on a hang, not on speed.
    async with answering(await _worker_bus(backend)):
        results = await asyncio.wait_for(
            asyncio.gather(*(requester.request("llm", {"n": n}, timeout=60) for n in range(300))),
            120,
        )

    assert results == [{"n": n} for n in range(300)]


async def test_closing_fails_the_requests_still_waiting(backend: Backend) -> None:
    requester = AIRequester(backend.bus)
    waiting = asyncio.create_task(requester.request("llm", {}, timeout=NEVER))
    await eventually(lambda: requester.in_flight == 1)

    await requester.close()

    with pytest.raises(BusUnavailable):
        await asyncio.wait_for(waiting, WAIT)


async def test_thousands_of_timeouts_leak_nothing(backend: Backend, requester: AIRequester) -> None:
    # Requests that live long enough to subscribe: on a cluster each subscribes on the
    # master of its own id, and the first there opens that master's pub/sub connection
    # (kept). Ten of 20 ms each had often given up before, leaving a master unlinked.
    await asyncio.wait_for(_time_out(requester, 30, timeout=0.5), WAIT)
    subscriptions = backend.subscriptions
    tasks = len(asyncio.all_tasks())

    await asyncio.wait_for(_time_out(requester, 3000), 60)

    assert requester.in_flight == 0
    assert backend.subscriptions == subscriptions
    # A client's own short-lived tasks (a cluster pipeline's) may come and go.
    await eventually(lambda: len(asyncio.all_tasks()) <= tasks)
    async with answering(await _worker_bus(backend)):
        assert await asyncio.wait_for(requester.request("llm", {}, timeout=WAIT), WAIT) == {}


async def _time_out(requester: AIRequester, count: int, timeout: float = 0.02) -> None:  # noqa: ASYNC109
    batch = 500
    for start in range(0, count, batch):
        outcomes = await asyncio.gather(
            *(
                requester.request("llm", {}, timeout=timeout)
                for _ in range(min(batch, count - start))
            ),
            return_exceptions=True,
        )
        assert all(isinstance(outcome, BusTimeout) for outcome in outcomes)


async def test_results_lost_to_a_full_buffer_are_read_from_the_store(backend: Backend) -> None:
    # The smallest requester: its result buffer holds 1,024 messages.
    requester = AIRequester(backend.bus, max_in_flight=1)
    waiting = asyncio.create_task(requester.request("llm", {"n": 4}, timeout=WAIT))
    worker = await _worker_bus(backend)
    taken = await asyncio.wait_for(take(worker, ai_queue("llm"), timeout=2), 3)
    request = json.loads(taken or b"{}")

    await asyncio.sleep(0.1)  # past the requester's own check of the stored result
    await publish_result(worker, request["reply_to"], echo_reply(request))
    for n in range(1100):  # pushes the result out of the buffer before it is routed
        await worker.publish(ai_result(f"someone-else-{n}"), "{}")

    assert await asyncio.wait_for(waiting, WAIT) == {"n": 4}
    await requester.close()


@pytest.mark.parametrize("size", [0, 1, 2, 3, 3 * 256 * 1024 + 1, 2 * 1024 * 1024])
def test_a_file_in_a_request_is_sent_as_base64_pieces(size: int) -> None:
    content = bytes(range(256)) * (size // 256 + 1)
    upload = io.BytesIO(content + b"beyond the size")
    message = make_request_message("stt", {"audio_b64": Base64File(upload, size)}, timeout=5)

    encoded = encode_request(message)

    assert isinstance(encoded, Pieces)
    whole = b"".join(encoded.produce())
    assert len(whole) == encoded.size
    expected = {**message, "payload": {"audio_b64": base64.b64encode(content[:size]).decode()}}
    assert json.loads(whole) == expected
    assert b"".join(encoded.produce()) == whole  # produced again for a retry


def test_a_request_without_a_file_is_plain_json() -> None:
    message = make_request_message("llm", {"n": 1}, timeout=5)
    assert encode_request(message) == orjson.dumps(message)
