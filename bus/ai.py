"""AI Server requests over the bus (docs/contract.md §1): push, then await the result.

One :class:`AIRequester` per process routes every result to the request waiting
for it through a single pattern subscription on ``ai:result:*``. A subscription
per request id (even multiplexed on the shared connection) costs a ``SUBSCRIBE``
and an ``UNSUBSCRIBE`` round trip per request and a confirmation to wait for
before the push; the pattern costs nothing per request. Its price is that every
instance sees every instance's results, which is cheap for the handful of
instances this service runs (see ``bench/README.md``, "## Bus").

A sharded bus (a Redis Cluster) has no pattern subscriptions, and there a
result crosses only its own shard: each request subscribes to its own
``reply_to``, hash-tagged ``ai:result:{<id>}``, before it is pushed.

A request already pushed outlives a lost bus connection (a Sentinel failover):
it waits on, within its timeout, and once the connection is back its stored
result is read, or, if none is stored (the new master may have lost the queued
request or the result with the old one), it is pushed again, once, as it was:
the same ``request_id``, which an AI Server answers only once (docs/contract.md
§1.3, :func:`publish_first_result`). A stream cannot be resumed that way: its
listener fails at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from typing import IO, Any, Protocol

import orjson
from pydantic import TypeAdapter, ValidationError

from bus.ai_messages import ErrorReply, OkReply, Reply
from bus.base import (
    Bus,
    BusError,
    BusOverloaded,
    BusTimeout,
    BusUnavailable,
    Pieces,
    Subscription,
)
from bus.keys import AI_REQUEST_KINDS, ai_queue, ai_result
from bus.tasks import stop_tasks

logger = logging.getLogger(__name__)

RESULT_TTL = 300
_BASE64_CHUNK = 3 * 256 * 1024  # a multiple of 3: the pieces' base64 joins up without padding
_CHECK_WINDOW = 0.002
_RECHECK_AFTER = 0.5
_RESULT_PREFIX = ai_result("")


class AIResultError(BusError):
    """The AI Server answered with an error, or with something that isn't a result."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class MalformedAIResult(AIResultError):
    """The AI Server's reply isn't a result envelope at all (code ``bad_result``)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_result", message)


class Base64File:
    """A payload value sent as the standard base64 of a file's first ``size`` bytes,
    read piece by piece as the request goes out: an upload is never held whole.

    Not a dataclass: orjson would serialize one field by field instead of asking.
    """

    __slots__ = ("file", "size")

    def __init__(self, file: IO[bytes], size: int) -> None:
        self.file = file
        self.size = size


def encode_request(message: dict[str, Any]) -> bytes | Pieces:
    """``message`` as JSON; as :class:`Pieces` if its payload holds a :class:`Base64File`."""
    files: list[Base64File] = []
    marker = uuid.uuid4().hex

    def mark(value: object) -> str:
        if not isinstance(value, Base64File) or files:
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        files.append(value)
        return marker

    text = orjson.dumps(message, default=mark)
    if not files:
        return text
    (file,) = files
    head, _, tail = text.partition(b'"%b"' % marker.encode())
    head, tail = head + b'"', b'"' + tail

    def produce() -> Iterator[bytes]:
        yield head
        file.file.seek(0)
        left = file.size
        while left > 0:
            chunk = file.file.read(min(left, _BASE64_CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            yield base64.b64encode(chunk)
        yield tail

    encoded_size = (file.size + 2) // 3 * 4
    return Pieces(len(head) + encoded_size + len(tail), produce)


def make_request_message(
    kind: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    clock: Callable[[], float] = time.time,
    tagged: bool = False,
) -> dict[str, Any]:
    """The request envelope of docs/contract.md §1.2, with a fresh ``request_id``;
    ``tagged`` (a Redis Cluster) names ``reply_to`` with the id as its hash tag.

    ``payload`` may hold :class:`orjson.Fragment` values: JSON the caller
    serialized once (the catalog), spliced in as it is when the request is sent;
    and one :class:`Base64File` (an upload), read as the request is sent.
    """
    if kind not in AI_REQUEST_KINDS:
        raise ValueError(f"unknown AI request kind {kind!r}; expected one of {AI_REQUEST_KINDS}")
    request_id = uuid.uuid4().hex
    now = clock()
    return {
        "request_id": request_id,
        "type": kind,
        "reply_to": ai_result(request_id, tagged=tagged),
        "created_at": now,
        "deadline": now + timeout,
        "payload": payload,
    }


async def publish_result(bus: Bus, reply_to: str, body: dict[str, Any]) -> None:
    """Answer a request as the AI Server does: store the result under the request's
    ``reply_to`` (300 s), then publish it there."""
    data = json.dumps(body, ensure_ascii=False)
    await bus.set(reply_to, data, ttl=RESULT_TTL)
    await bus.publish(reply_to, data)


async def publish_first_result(bus: Bus, reply_to: str, body: dict[str, Any]) -> None:
    """As :func:`publish_result`, but a request answered already keeps its first
    answer: ``SET NX``, and what is stored is published, ours or not. Two copies of
    one request (sent again after a failover, or requeued) thus get one answer."""
    data: str | bytes = json.dumps(body, ensure_ascii=False)
    if not await bus.set(reply_to, data, ttl=RESULT_TTL, only_if_missing=True):
        # Gone only if it expired in between: nobody waits that long.
        data = await bus.get(reply_to) or data
    await bus.publish(reply_to, data)


_REPLY: TypeAdapter[OkReply | ErrorReply] = TypeAdapter(Reply)


def parse_result(request_id: str, raw: bytes) -> dict[str, Any]:
    """The ``result`` of an ``ok`` reply; :class:`AIResultError` for an ``error`` reply,
    :class:`MalformedAIResult` for anything else."""
    try:
        reply = orjson.loads(raw)
    except orjson.JSONDecodeError:  # invalid UTF-8 included
        raise MalformedAIResult("the AI result is not valid JSON") from None
    if not isinstance(reply, dict):
        raise MalformedAIResult("the AI result is not a JSON object")
    if reply.get("request_id") != request_id:
        raise MalformedAIResult("the AI result answers another request")
    try:
        envelope = _REPLY.validate_python(reply)
    except ValidationError:
        raise MalformedAIResult(
            f"the AI result has no valid {reply.get('status')!r} body"
        ) from None
    if isinstance(envelope, ErrorReply):
        raise AIResultError(envelope.error.code, envelope.error.message)
    return envelope.result


class ResultListener(Protocol):
    """Takes every reply published on one request's ``reply_to`` (a streaming request)."""

    def deliver(self, raw: bytes) -> None:
        """One reply, as published."""

    def fail(self, error: BusError) -> None:
        """The replies can no longer arrive (the bus connection was lost, the requester closed)."""


class AIRequester:
    """Sends AI requests and waits for their results; at most ``max_in_flight`` at once,
    and never onto a queue already ``max_queue_length`` long (an AI Server that is
    down or behind would otherwise let requests that nobody waits for pile up)."""

    def __init__(
        self,
        bus: Bus,
        *,
        max_in_flight: int = 1000,
        max_queue_length: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._max_in_flight = max_in_flight
        self._max_queue_length = max_queue_length
        self._clock = clock
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        # Requests pushed and not yet pushed again: sent again once after a reconnect.
        self._sent: dict[str, dict[str, Any]] = {}
        self._listeners: dict[str, ResultListener] = {}
        self._own_routes: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self._subscription: Subscription | None = None
        self._router: asyncio.Task[None] | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._bus_down = False
        self._to_check: set[str] = set()
        self._to_resend: set[str] = set()
        self._check_wanted = asyncio.Event()
        self._checker: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def in_flight(self) -> int:
        """Requests waiting for a result now, streaming ones included."""
        return len(self._waiting) + len(self._listeners)

    async def start(self) -> None:
        """Subscribe to results; :meth:`request` calls it if nobody did."""
        async with self._starting:
            if self._router is not None:
                return
            # Room for every request in flight twice over; if it overflows anyway,
            # the router re-reads the stored results (see _route).
            buffer = max(1024, 2 * self._max_in_flight)
            if not self._bus.sharded:
                self._subscription = await self._bus.psubscribe(ai_result("*"), buffer=buffer)
            self._remove_listener = self._bus.add_connection_listener(self._connection_changed)
            self._router = asyncio.create_task(self._route(self._subscription), name="ai-results")
            self._checker = asyncio.create_task(self._check_stored(), name="ai-stored-results")

    async def close(self) -> None:
        """Stop routing; requests still waiting fail with :class:`BusUnavailable`."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        # Waiters fail first: none of them waits on a slow task shutdown.
        self._fail_waiting(BusUnavailable("the AI requester was closed"))
        tasks = [task for task in (self._router, self._checker) if task is not None]
        self._router = self._checker = None
        # Wakes a checker that swallowed its cancellation (see stop_tasks) so that
        # it sees it was retired and returns.
        self._check_wanted.set()
        await stop_tasks(tasks)
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def request(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        timeout: float,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Send a ``kind`` request and return the ``result`` of its ``ok`` reply.

        Raises :class:`AIResultError` for an error (or malformed) reply,
        :class:`BusTimeout` after ``timeout`` s, :class:`BusUnavailable` at once
        while the bus is down, :class:`BusOverloaded` past ``max_in_flight`` or
        onto a full queue. Once pushed, a request waits out a lost connection
        (see the module's docstring): only :meth:`close` fails it then.
        """
        sharded = self._bus.sharded
        message = make_request_message(
            kind, payload, timeout=timeout, clock=self._clock, tagged=sharded
        )
        await self._ready_to_send()
        request_id: str = message["request_id"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        future: asyncio.Future[bytes] = loop.create_future()
        self._waiting[request_id] = future
        own: Subscription | None = None
        arrival: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout_at(deadline):
                if sharded:
                    own = await self._bus.subscribe(message["reply_to"], buffer=1)
                    arrival = asyncio.create_task(self._route(own))
                # orjson, with the catalog spliced in already encoded: the llm
                # context is encoded on every turn (bench/README.md, "Voice API").
                await self._bus.push(
                    ai_queue(kind), encode_request(message), max_length=self._max_queue_length
                )
            self._sent[request_id] = message
            # The contract's check of the stored result, after the push: batched
            # with the checks of the requests pushed meanwhile (one MGET), off this
            # request's path: an awaited GET per request costs throughput and
            # latency (bench/README.md, "Bus").
            self._check_soon((request_id,))
            # A bounded wait, not a second cancellation: Python 3.11's wait_for
            # (inside redis-py and fakeredis) can swallow the cancellation that
            # asyncio.timeout relies on, which would leave the request hanging.
            await asyncio.wait((future,), timeout=deadline - loop.time())
            if not future.done():
                raise TimeoutError
            raw = future.result()
        except TimeoutError:
            raise BusTimeout(f"no {kind} result within {timeout} s") from None
        finally:
            del self._waiting[request_id]
            self._sent.pop(request_id, None)
            future.cancel()
            if arrival is not None:
                await stop_tasks([arrival])
            if own is not None:
                await own.close()
        return parse_result(request_id, raw)

    async def send_listened(self, message: dict[str, Any], listener: ResultListener) -> None:
        """Push ``message`` (made by :func:`make_request_message`, ``tagged`` on a
        sharded bus) and hand every reply published for it to ``listener`` until
        :meth:`stop_listening`. Raises as :meth:`request` does before its wait."""
        await self._ready_to_send()
        request_id: str = message["request_id"]
        self._listeners[request_id] = listener
        try:
            if self._bus.sharded:  # no pattern subscription there: one of its own
                own = await self._bus.subscribe(message["reply_to"])
                self._own_routes[request_id] = (own, asyncio.create_task(self._route(own)))
            await self._bus.push(
                ai_queue(message["type"]),
                encode_request(message),
                max_length=self._max_queue_length,
            )
        except BaseException:
            await self.stop_listening(request_id)
            raise

    async def stop_listening(self, request_id: str) -> None:
        """Replies to ``request_id`` are dropped from now on; idempotent."""
        self._listeners.pop(request_id, None)
        route = self._own_routes.pop(request_id, None)
        if route is not None:
            await stop_tasks([route[1]])
            await route[0].close()

    async def _ready_to_send(self) -> None:
        if self._router is None:
            await self.start()
        if self._bus_down:
            raise BusUnavailable("the bus is down")
        if self.in_flight >= self._max_in_flight:
            raise BusOverloaded(f"{self._max_in_flight} AI requests already in flight")

    def _resolve(self, request_id: str, raw: bytes) -> None:
        listener = self._listeners.get(request_id)
        if listener is not None:
            listener.deliver(raw)
            return
        future = self._waiting.get(request_id)
        # No waiter: a late result (the request timed out) or another instance's.
        if future is not None and not future.done():
            future.set_result(raw)

    def _fail_waiting(self, error: BusError) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._fail_listeners(error)

    def _fail_listeners(self, error: BusError) -> None:
        for listener in list(self._listeners.values()):
            listener.fail(error)

    async def _route(self, subscription: Subscription | None) -> None:
        if subscription is None:  # sharded: each request routes its own
            return
        dropped = subscription.dropped
        async for message in subscription:
            request_id = message.channel.removeprefix(_RESULT_PREFIX)
            self._resolve(request_id.removeprefix("{").removesuffix("}"), message.data)
            if subscription.dropped != dropped:
                dropped = subscription.dropped
                logger.warning("AI result buffer overflowed; re-reading stored results")
                self._check_soon(self._waiting)

    def _connection_changed(self, up: bool) -> None:
        self._bus_down = not up
        if up:
            logger.info(
                "bus back; re-reading results of %d waiting AI requests", len(self._waiting)
            )
            # Behind a new master, a request or its result may be lost: what has no
            # result stored is sent again.
            self._check_soon(self._waiting, resend=True)
        else:
            # The waiting requests wait on (to their deadline) for the bus to come
            # back; a stream's audio and events went with the connection.
            self._fail_listeners(BusUnavailable("the bus connection was lost"))

    def _check_soon(self, request_ids: Collection[str], *, resend: bool = False) -> None:
        self._to_check.update(request_ids)
        if resend:
            self._to_resend.update(request_ids)
        self._check_wanted.set()

    async def _check_stored(self) -> None:
        while True:
            await self._check_wanted.wait()
            if asyncio.current_task() is not self._checker:
                return
            # A short gather window: most results are published within it, so
            # their checks drop out, and the rest share one MGET.
            await asyncio.sleep(_CHECK_WINDOW)
            self._check_wanted.clear()
            request_ids = [
                request_id for request_id in self._to_check if request_id in self._waiting
            ]
            to_resend, self._to_resend = self._to_resend, set()
            self._to_check.clear()
            if not request_ids:
                continue
            try:
                stored = await self._bus.get_many(
                    *(ai_result(request_id, tagged=self._bus.sharded) for request_id in request_ids)
                )
            except BusError as error:
                # A later reconnect checks every waiting request again; the checks
                # after this one are tried again meanwhile: nothing else would.
                logger.warning("could not read stored AI results: %s", error)
                self._check_later(to_resend)
                continue
            unanswered: list[str] = []
            for request_id, raw in zip(request_ids, stored, strict=True):
                if raw is not None:
                    self._resolve(request_id, raw)
                elif request_id in to_resend:
                    unanswered.append(request_id)
            if not await self._resend(unanswered):
                self._check_later(unanswered)

    def _check_later(self, request_ids: Collection[str]) -> None:
        if request_ids:
            self._to_check.update(request_ids)
            self._to_resend.update(request_ids)
            asyncio.get_running_loop().call_later(_RECHECK_AFTER, self._check_wanted.set)

    async def _resend(self, request_ids: list[str]) -> bool:
        """Push each request again, once, as it was sent (an AI Server that answered
        its ``request_id`` already publishes that answer again, docs/contract.md §1.3);
        ``False`` if the bus failed first."""
        sent = 0
        for request_id in request_ids:
            message = self._sent.get(request_id)
            if message is None or request_id not in self._waiting:
                continue  # sent again already, or no longer waited for
            try:
                # Not bounded by max_queue_length: the request was let in once.
                await self._bus.push(ai_queue(message["type"]), encode_request(message))
            except BusError as error:
                logger.warning("could not send an AI request again: %s", error)
                return False
            del self._sent[request_id]
            sent += 1
        if sent:
            logger.info("sent %d AI requests again after the bus came back", sent)
        return True
