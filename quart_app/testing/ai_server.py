"""A scripted AI Server: it answers what a test says, and keeps what it was asked.

It serves the AI queues of a bus as a real AI Server does (``docs/contract.md``
§1.1 to §1.3): it moves each request from ``ai:queue:<kind>`` onto its
own processing list, answers it by storing the result envelope under the
request's ``reply_to`` key for 300 s and then publishing it there, and only
then lets go of the request.
The app under test therefore runs its real path: queue bounds, result routing,
timeouts and validation of what comes back.

Each engine (:attr:`ScriptedAIServer.stt`, ``.llm``, ``.image``) answers from
its queue of answers first (:meth:`ScriptedEngine.queue`), then with its fixed
answer (:meth:`ScriptedEngine.always`); with neither, a request gets the error
``unscripted``, so a test that forgot to script an engine fails at once rather
than at the AI timeout. An answer is one of:

- a mapping: the ``result`` of an ``ok`` reply;
- :func:`error`, :func:`raw` or :func:`never`: an ``error`` reply, bytes that are
  not a valid envelope, or no reply at all (the app then times out);
- for ``stt_stream`` (:attr:`ScriptedAIServer.stt_stream`), :func:`speaks`: the
  stream is accepted and its audio read as it grows (§1.5). A chunk with any
  non-zero sample is speech, an all-zero chunk silence: the first speech chunk
  starts an utterance (``speech_started``), each further one publishes a
  ``partial`` (the utterance's scripted words, one more per chunk), and the first
  silent chunk after speech ends it with a ``final`` carrying the next scripted
  text; a ``prompt`` entry is kept (:attr:`Speech.prompts`) and is no audio, neither
  speech nor silence; ``end`` finishes the utterance in progress and publishes ``closed``;
- a callable taking the request message and returning any of the above, or an
  awaitable of it (a coroutine function): the answer computed from what was asked.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from bus import ai_messages
from bus.ai import RESULT_TTL, publish_result
from bus.ai_messages import END_FIELD, PCM_FIELD, PROMPT_FIELD, SAMPLE_RATE
from bus.base import Bus, BusError
from bus.keys import AI_REQUEST_KINDS, ai_processing, ai_queue, ai_stream_final
from bus.tasks import stop_tasks

log = logging.getLogger(__name__)

POLL_TIMEOUT = 0.1
"""Seconds one blocking pop waits before its loop looks whether to stop."""
STOP_WAIT = 5.0
"""Longest :meth:`ScriptedAIServer.stop` waits for a pop in progress before cancelling it."""
RETRY_AFTER_BUS_ERROR = 0.05
WAIT = 10.0
"""Default seconds :meth:`ScriptedEngine.wait_for_requests` waits before failing."""

Request: TypeAlias = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """An ``error`` reply with ``code`` and ``message`` (made by :func:`error`)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RawReply:
    """Bytes stored and published as they are (made by :func:`raw`)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class NoReply:
    """The request is taken and never answered (made by :func:`never`)."""


@dataclass(frozen=True, slots=True)
class Speech:
    """A scripted ``stt_stream``: the texts of its utterances, in order (made by
    :func:`speaks`). ``fall_silent`` stops every event after the first
    ``speech_started``, as an AI Server that died mid-utterance. ``worker``, if
    given, is named in ``accepted`` (the reference worker's extension of §1.5: the
    app then watches that worker's heartbeat key, ``ai:alive:<worker>``)."""

    texts: tuple[str, ...]
    fall_silent: bool = False
    worker: str | None = None
    prompts: list[str] = field(default_factory=list)
    """The ``prompt`` entries read from the stream, in order."""


Reply: TypeAlias = Mapping[str, Any] | ErrorReply | RawReply | NoReply | Speech
Answer: TypeAlias = Reply | Callable[[Request], Reply | Awaitable[Reply]]


def error(code: str, message: str = "failed") -> ErrorReply:
    """Answer with an ``error`` reply: the app sees the AI Server's ``code``."""
    return ErrorReply(code, message)


def raw(data: bytes) -> RawReply:
    """Answer with ``data`` as it is: a malformed result, for testing the app's checks."""
    return RawReply(data)


def never() -> NoReply:
    """Take the request and never answer it: the app waits until its AI timeout."""
    return NoReply()


def speaks(*texts: str, fall_silent: bool = False, worker: str | None = None) -> Speech:
    """Accept a ``stt_stream`` and hear ``texts`` in turn, one per utterance (see above)."""
    return Speech(texts, fall_silent, worker)


def gated(gate: asyncio.Event, answer: Answer) -> Answer:
    """Give ``answer`` only once ``gate`` is set; other requests are answered meanwhile."""

    async def wait_then_answer(request: Request) -> Reply:
        await gate.wait()
        return await _resolve(answer, request)

    return wait_then_answer


async def _resolve(answer: Answer, request: Request) -> Reply:
    if not callable(answer):
        return answer
    reply = answer(request)
    return await reply if inspect.isawaitable(reply) else reply


class ScriptedEngine:
    """One engine of the scripted AI Server (``stt``, ``llm``, ``image`` or ``stt_stream``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.requests: list[Request] = []
        """Every request message taken, in order (``request_id``, ``payload``, ...)."""
        self._queued: deque[Answer] = deque()
        self._always: Answer | None = None
        self._taken = asyncio.Condition()

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The ``payload`` of every request taken, in order."""
        return [request["payload"] for request in self.requests]

    def queue(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, one each, in order."""
        self._queued.extend(answers)

    def always(self, answer: Answer) -> None:
        """Answer with ``answer`` whenever no queued answer is left."""
        self._always = answer

    async def wait_for_requests(self, count: int, within: float = WAIT) -> list[Request]:
        """The requests taken, once there are ``count``; ``TimeoutError`` after ``within`` s."""
        async with asyncio.timeout(within), self._taken:
            await self._taken.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    async def _take(self, request: Request) -> Answer:
        async with self._taken:
            self.requests.append(request)
            self._taken.notify_all()
        if self._queued:
            return self._queued.popleft()
        if self._always is not None:
            return self._always
        return error("unscripted", f"the scripted AI Server has no {self.kind} answer")


class ScriptedAIServer:
    """Serves ``ai:queue:stt``, ``ai:queue:llm``, ``ai:queue:image`` and
    ``ai:queue:stt_stream`` of ``bus`` (only those of ``kinds``, if given, as a
    worker configured for fewer kinds does).

    Use it as an async context manager (or :meth:`start` and :meth:`stop`). The
    bus is the app's: pass the same one to ``create_app(bus=...)``.
    """

    def __init__(self, bus: Bus, *, kinds: Iterable[str] = AI_REQUEST_KINDS) -> None:
        self.bus = bus
        self.kinds = tuple(kinds)
        self.stt = ScriptedEngine("stt")
        self.llm = ScriptedEngine("llm")
        self.image = ScriptedEngine("image")
        self.stt_stream = ScriptedEngine("stt_stream")
        for kind in self.kinds:
            self.engine(kind)  # refuses an unknown kind now, not in the serving task
        scripted = f"scripted-{uuid.uuid4().hex}"
        self._processing = {kind: ai_processing(scripted, kind) for kind in AI_REQUEST_KINDS}
        self._serving: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    def engine(self, kind: str) -> ScriptedEngine:
        """The engine serving ``kind`` requests."""
        if kind not in AI_REQUEST_KINDS:
            raise ValueError(
                f"unknown AI request kind {kind!r}; expected one of {AI_REQUEST_KINDS}"
            )
        engine: ScriptedEngine = getattr(self, kind)
        return engine

    async def start(self) -> None:
        """Start taking requests of every kind served."""
        if not self._serving:
            self._stopping.clear()
            self._serving = [
                asyncio.create_task(self._serve(self.engine(kind)), name=f"scripted-ai-{kind}")
                for kind in self.kinds
            ]

    async def stop(self) -> None:
        """Stop taking requests; answers still in progress (gated ones) are dropped."""
        self._stopping.set()
        # The pops end by themselves: a blocking pop cancelled on fakeredis still
        # takes the next request, which then no server answers.
        if self._serving:
            await asyncio.wait(self._serving, timeout=STOP_WAIT)
        await stop_tasks([*self._serving, *self._answering])
        self._serving = []
        self._answering.clear()

    async def __aenter__(self) -> ScriptedAIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve(self, engine: ScriptedEngine) -> None:
        queue = ai_queue(engine.kind)
        processing = self._processing[engine.kind]
        while not self._stopping.is_set():
            try:
                message = await self.bus.pop_into(queue, processing, POLL_TIMEOUT)
            except BusError:  # the bus is down (a fault test): try again, as a worker does
                await asyncio.sleep(RETRY_AFTER_BUS_ERROR)
                continue
            if message is None:
                continue
            request: Request = json.loads(message)
            answer = await engine._take(request)
            # Each answer in its own task: a gated one holds up no other request.
            task = asyncio.create_task(self._answer(request, answer, message, processing))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(
        self, request: Request, answer: Answer, message: bytes, processing: str
    ) -> None:
        reply = await _resolve(answer, request)
        request_id: str = request["request_id"]
        reply_to: str = request["reply_to"]
        try:
            if isinstance(reply, Speech):
                await self._hear(request, reply)
            elif isinstance(reply, RawReply):
                await self.bus.set(reply_to, reply.data, ttl=RESULT_TTL)
                await self.bus.publish(reply_to, reply.data)
            elif not isinstance(reply, NoReply):
                await publish_result(self.bus, reply_to, _envelope(request_id, reply))
            await self.bus.remove(processing, message)
        except BusError:
            log.warning("the scripted AI Server could not answer %s: the bus is down", request_id)

    async def _hear(self, request: Request, speech: Speech) -> None:
        request_id: str = request["request_id"]
        reply_to: str = request["reply_to"]

        async def publish(event: dict[str, Any]) -> None:
            await publish_result(self.bus, reply_to, _envelope(request_id, event))

        accepted = {"event": "accepted"}
        if speech.worker is not None:
            accepted["worker"] = speech.worker
        await publish(accepted)
        utterance = voiced = 0
        start_ms = offset_ms = 0
        silenced = False
        last = "0"

        async def finish() -> None:
            nonlocal utterance, voiced
            text = speech.texts[utterance] if utterance < len(speech.texts) else ""
            final = {"event": "final", "utterance": utterance, "text": text, "language": "en"}
            final |= {"start_ms": start_ms, "end_ms": offset_ms}
            data = json.dumps(_envelope(request_id, final))
            await self.bus.set(ai_stream_final(reply_to, utterance), data, ttl=RESULT_TTL)
            await self.bus.publish(reply_to, data)
            utterance += 1
            voiced = 0

        while not self._stopping.is_set():
            entries = await self.bus.stream_read(
                request["payload"]["audio_key"], last, count=100, block=POLL_TIMEOUT
            )
            for entry in entries:
                last = entry.id
                if PROMPT_FIELD in entry.fields:
                    speech.prompts.append(entry.fields[PROMPT_FIELD].decode())
                if silenced:
                    continue
                if END_FIELD in entry.fields:
                    if voiced:
                        await finish()
                    await publish({"event": "closed"})
                    return
                if PCM_FIELD not in entry.fields:
                    continue  # a prompt is no audio: neither speech nor the silence after it
                pcm = entry.fields[PCM_FIELD]
                if any(pcm) and not voiced:
                    start_ms = offset_ms
                    await publish(
                        {"event": "speech_started", "utterance": utterance, "start_ms": start_ms}
                    )
                    silenced = speech.fall_silent
                elif any(pcm):
                    words = (
                        speech.texts[utterance] if utterance < len(speech.texts) else ""
                    ).split()
                    text = " ".join(words[:voiced])
                    await publish({"event": "partial", "utterance": utterance, "text": text})
                elif voiced:
                    await finish()
                voiced += any(pcm)
                offset_ms += len(pcm) * 1000 // (2 * SAMPLE_RATE)


def _envelope(request_id: str, reply: Mapping[str, Any] | ErrorReply) -> dict[str, Any]:
    """The reply envelope, built with the models the reference AI Server uses."""
    envelope: ai_messages.OkReply | ai_messages.ErrorReply
    if isinstance(reply, ErrorReply):
        failure = ai_messages.ErrorBody(code=reply.code, message=reply.message)
        envelope = ai_messages.ErrorReply(request_id=request_id, error=failure)
    else:
        envelope = ai_messages.OkReply(request_id=request_id, result=dict(reply))
    return envelope.model_dump(mode="json")
