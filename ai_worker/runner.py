"""The consumption loop: pop requests into a processing list, answer, then let go.

A request moves atomically from its queue into this worker's processing list
(``BRPOPLPUSH``) and leaves it only once answered, dropped past its deadline,
or put back, so a crash loses nothing: a later worker requeues the lists of
workers whose heartbeat expired.

A request may come more than once (requeued after a crash, or sent again by the
service after a failover); each ``request_id`` gets one answer: one already
stored is published again instead of running the engine, and an answer is
stored only if none is (docs/contract.md §1.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from ai_worker.engines import Engine, build_engine, check_installed
from ai_worker.errors import BadRequest, EngineError
from ai_worker.recovery import requeue_list, requeue_orphans
from ai_worker.requests import AIRequest, parse_request
from bus import make_bus
from bus.ai import publish_first_result
from bus.ai_messages import ErrorBody, ErrorReply, OkReply
from bus.base import Bus, BusError
from bus.keys import STT_STREAM, ai_processing, ai_queue, ai_result, ai_worker_alive
from bus.tasks import stop_tasks
from config.worker import WorkerSettings

if TYPE_CHECKING:
    from ai_worker.streaming.recognizer import Transcriber
    from ai_worker.streaming.server import StreamServer

logger = logging.getLogger(__name__)

_RETRY_AFTER_BUS_ERROR = 1.0
_ENGINE_FAILED = EngineError("engine_error", "the engine failed")
Reply = OkReply | ErrorReply


class Worker:
    """Serves the AI queues of ``config.ai_worker_kinds`` on ``bus``, at most
    ``config.ai_worker_concurrency`` requests in hand at once.

    ``engines`` replaces the configured engines (tests); ``clock`` gives Unix
    seconds for deadlines. Raises :class:`config.ConfigError` if a configured
    engine's packages are not installed.
    """

    def __init__(
        self,
        bus: Bus,
        config: WorkerSettings,
        *,
        engines: Mapping[str, Engine] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._config = config
        self._clock = clock
        if engines is None:
            check_installed(config)
            engines = {kind: build_engine(kind, config) for kind in config.ai_worker_kinds}
        self._engines = dict(engines)
        self._slots = asyncio.Semaphore(config.ai_worker_concurrency)
        self._loops: list[asyncio.Task[None]] = []
        self._in_hand: set[asyncio.Task[None]] = set()
        self.processing = {
            kind: ai_processing(config.ai_worker_id, kind) for kind in config.ai_worker_kinds
        }
        """This worker's processing list of each kind it serves."""

    @property
    def in_hand(self) -> int:
        """Requests taken and not yet answered."""
        return len(self._in_hand)

    async def start(self) -> None:
        """Announce this worker, requeue what dead workers left, then consume."""
        if self._loops:
            return
        await self._beat()
        await requeue_orphans(self._bus, self._config.ai_worker_id, include_own=True)
        self._loops = [
            asyncio.create_task(self._consume(kind), name=f"ai-worker-{kind}")
            for kind in self._config.ai_worker_kinds
        ]
        self._loops.append(asyncio.create_task(self._heartbeat(), name="ai-worker-heartbeat"))
        streams = self._stream_server()
        if streams is not None:
            self._loops.append(asyncio.create_task(streams.consume(), name="ai-worker-streams"))
        logger.info(
            "AI worker %s serving %s",
            self._config.ai_worker_id,
            ", ".join(self._config.ai_worker_kinds),
        )

    def _stream_server(self) -> StreamServer | None:
        """Streams go with the local speech engine: a worker whose ``stt`` engine can
        transcribe raw samples (whisper) serves them, up to ``ai_worker_streams``."""
        engine = self._engines.get("stt")
        if not self._config.ai_worker_streams or not hasattr(engine, "transcribe_samples"):
            return None
        from ai_worker.streaming.server import StreamServer

        return StreamServer(
            self._bus,
            cast("Transcriber", engine),
            processing=ai_processing(self._config.ai_worker_id, STT_STREAM),
            streams=self._config.ai_worker_streams,
            beam_size=self._config.stt_beam_size,
            decoders=self._config.stt_parallel_decodes,
            window_s=self._config.stt_stream_window_s,
            poll_timeout=self._config.ai_worker_poll_timeout,
            worker=self._config.ai_worker_id,
            clock=self._clock,
        )

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking requests, finish those in hand for up to ``grace`` seconds,
        then put what is left back on its queue."""
        await stop_tasks(self._loops)
        self._loops = []
        if self._in_hand:
            await asyncio.wait(self._in_hand, timeout=grace)
        await stop_tasks(self._in_hand)
        try:
            requeued = 0
            for processing in self.processing.values():
                requeued += await requeue_list(self._bus, processing)
            await self._bus.delete(ai_worker_alive(self._config.ai_worker_id))
        except BusError:
            logger.exception("could not requeue; the next worker to start will")
        else:
            if requeued:
                logger.info("requeued %d unfinished requests", requeued)
        for engine in self._engines.values():
            await engine.close()

    async def _consume(self, kind: str) -> None:
        queue = ai_queue(kind)
        while True:
            # Wait for a free slot without holding it across the blocking pop:
            # a slot held there would keep the other kinds' requests waiting
            # for up to ``poll_timeout`` while this queue stays empty.
            async with self._slots:
                pass
            try:
                raw = await self._bus.pop_into(
                    queue, self.processing[kind], self._config.ai_worker_poll_timeout
                )
            except BusError:
                logger.exception("popping %s failed; retrying", queue)
                await asyncio.sleep(_RETRY_AFTER_BUS_ERROR)
                continue
            if raw is None:
                continue
            # Two kinds may pop into the last free slot at once; the later one
            # waits here, its request safe in the processing list.
            await self._slots.acquire()
            task = asyncio.create_task(self._handle(kind, raw))
            self._in_hand.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_hand.discard(task)
        self._slots.release()

    async def _handle(self, kind: str, raw: bytes) -> None:
        request_id: str | None = None
        reply_to = ""
        reply: Reply | None
        try:
            try:
                request = _parse(kind, raw)
            except BadRequest as exc:
                logger.warning("malformed %s request: %s", kind, exc.message)
                request_id = exc.request_id
                reply = None if request_id is None else _error(request_id, exc)
                # Where the caller listens: the request's own reply_to when it could be
                # read, else the result key of its id (hash-tagged on a cluster).
                reply_to = exc.reply_to or ai_result(request_id or "", tagged=self._bus.sharded)
            else:
                request_id = request.request_id
                reply_to = request.reply_to
                answered = await self._answered_before(request)
                reply = None if answered else await self._run(request)
            await self._finish(reply, reply_to, kind, raw)
        except Exception:
            # Left in the processing list, the request would be requeued and
            # fail the same way in every worker; one bug costs one request.
            logger.exception("unexpected failure on a %s request", kind)
            failed = None if request_id is None else _error(request_id, _ENGINE_FAILED)
            await self._finish(failed, reply_to, kind, raw)

    async def _finish(self, reply: Reply | None, reply_to: str, kind: str, raw: bytes) -> None:
        """Answer ``reply`` on ``reply_to`` if there is one (someone waits for it), then
        let go of the ``kind`` request ``raw``."""
        if reply is None:
            await self._release(kind, raw)
        else:
            await self._answer_and_release(reply, reply_to, kind, raw)

    async def _answered_before(self, request: AIRequest) -> bool:
        """Whether ``request`` had its answer stored already (it came again); if so
        that answer is published again, for a requester that may have missed it."""
        try:
            stored = await self._bus.get(request.reply_to)
            if stored is None:
                return False
            logger.info("%s came again; publishing its first answer", request.request_id)
            await self._bus.publish(request.reply_to, stored)
        except BusError as error:
            # Run it: storing the answer (SET NX) still keeps one answer per request.
            logger.warning("could not look for an answer to %s: %s", request.request_id, error)
            return False
        return True

    async def _run(self, request: AIRequest) -> Reply | None:
        """The reply to send, or ``None`` if the requester stopped waiting."""
        remaining = request.deadline - self._clock()
        if remaining <= 0:
            logger.info("dropped %s past its deadline", request.request_id)
            return None
        try:
            result = await asyncio.wait_for(
                self._engines[request.kind].run(request.payload), remaining
            )
        except TimeoutError:
            logger.info("dropped %s: its deadline passed while it ran", request.request_id)
            return None
        except EngineError as exc:
            logger.warning("%s failed: %s: %s", request.request_id, exc.code, exc.message)
            return _error(request.request_id, exc)
        except Exception:
            logger.exception("engine failure on %s", request.request_id)
            return _error(request.request_id, _ENGINE_FAILED)
        return OkReply(request_id=request.request_id, result=result)

    async def _answer_and_release(self, reply: Reply, reply_to: str, kind: str, raw: bytes) -> None:
        try:
            await publish_first_result(self._bus, reply_to, reply.model_dump(mode="json"))
        except BusError:
            # Left in the processing list: requeued when this worker stops or is
            # found dead, so the request is answered later rather than lost.
            logger.exception("could not answer %s", reply.request_id)
            return
        await self._release(kind, raw)

    async def _release(self, kind: str, raw: bytes) -> None:
        processing = self.processing[kind]
        try:
            await self._bus.remove(processing, raw)
        except BusError:
            logger.exception("could not remove a finished request from %s", processing)

    async def _beat(self) -> None:
        await self._bus.set(
            ai_worker_alive(self._config.ai_worker_id),
            self._config.ai_worker_id,
            ttl=self._config.ai_worker_heartbeat_ttl,
        )

    async def _heartbeat(self) -> None:
        interval = self._config.ai_worker_heartbeat_ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._beat()
                await requeue_orphans(self._bus, self._config.ai_worker_id, include_own=False)
            except Exception:
                # Whatever failed, the next beat must still happen: once the key
                # expires, other workers requeue the requests this one is serving.
                logger.exception("heartbeat failed")


def _connections(config: WorkerSettings) -> int:
    return len(config.ai_worker_kinds) + config.ai_worker_concurrency + 2


def _parse(kind: str, raw: bytes) -> AIRequest:
    request = parse_request(raw)
    if request.kind != kind:
        raise BadRequest(
            f"a {request.kind} request in the {kind} queue",
            request_id=request.request_id,
            reply_to=request.reply_to,
        )
    return request


def _error(request_id: str, exc: EngineError) -> ErrorReply:
    return ErrorReply(request_id=request_id, error=ErrorBody(code=exc.code, message=exc.message))


async def run_worker(bus_url: str, config: WorkerSettings) -> None:
    """Run one worker on the bus at ``bus_url`` until SIGINT or SIGTERM."""
    # Each kind's blocking pop holds a Redis connection; answers need more.
    options = {} if bus_url.startswith("memory") else {"max_connections": _connections(config)}
    bus = make_bus(bus_url, **options)
    worker = Worker(bus, config)  # refuses engines that aren't installed before connecting
    await bus.connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await worker.start()
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
        await worker.stop()
        await bus.close()
