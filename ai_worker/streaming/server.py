"""The reference AI Server's streaming speech: pops ``ai:queue:stt_stream`` and serves
up to ``AI_WORKER_STREAMS`` streams at once; past that a stream gets ``overloaded``.

A stream leaves the worker's processing list as soon as it is taken: one that
a worker drops when it dies can't be resumed elsewhere (its audio went by).
Its ``accepted`` names the worker (``worker``, this service's extension of
docs/contract.md §1.5), and the service gives the stream up once that worker's
heartbeat key ``ai:alive:<worker>`` is gone (§7).

A request may still come twice: left in a processing list by a worker that died
(or froze) between its pop and the removal, and requeued. A copy past its
deadline is dropped (the service no longer waits for its ``accepted``), and a
stream is served by the first worker to claim it (``<reply_to>:worker``,
``SET NX``): a copy another worker took is dropped, not served a second time on
the same ``reply_to``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from ai_worker.errors import BadRequest
from ai_worker.requests import parse_request, read_payload
from ai_worker.streaming.recognizer import (
    PARTIAL_BATCH,
    Decoder,
    StreamRecognizer,
    Transcriber,
    error_envelope,
)
from ai_worker.streaming.vad import SileroVad
from bus.ai import RESULT_TTL
from bus.ai_messages import SttStreamPayload
from bus.base import Bus, BusError
from bus.keys import STT_STREAM, ai_queue, ai_result, ai_stream_owner
from bus.tasks import stop_tasks

log = logging.getLogger(__name__)

_RETRY_AFTER_BUS_ERROR = 1.0


class StreamServer:
    """Serves ``stt_stream`` requests of ``bus`` with ``engine``, ``streams`` at once,
    running up to ``decoders`` of their decodes at once (a batch of up to
    ``partial_batch`` partials is one)."""

    def __init__(
        self,
        bus: Bus,
        engine: Transcriber,
        *,
        processing: str,
        streams: int,
        beam_size: int,
        decoders: int = 1,
        window_s: float | None = None,
        partial_batch: int = PARTIAL_BATCH,
        poll_timeout: float,
        worker: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``worker``: the id whose heartbeat key (``ai:alive:<worker>``) this worker
        keeps, named in each ``accepted``; ``clock``: Unix seconds, for deadlines
        and for how long a stream's audio has been silent."""
        self._bus = bus
        self._worker = worker
        self._clock = clock
        self._processing = processing
        self._streams = streams
        self._poll_timeout = poll_timeout
        self._vad = SileroVad()
        self._decoder = Decoder(
            engine,
            beam_size=beam_size,
            parallel=decoders,
            window_s=window_s,
            partial_batch=partial_batch,
        )
        self._serving: set[asyncio.Task[None]] = set()
        self._warming: list[asyncio.Task[None]] = []

    @property
    def serving(self) -> int:
        """Streams in hand now."""
        return len(self._serving)

    async def consume(self) -> None:
        """Pop and serve streams until cancelled; the streams in hand end with it."""
        try:
            while True:
                try:
                    raw = await self._bus.pop_into(
                        ai_queue(STT_STREAM), self._processing, self._poll_timeout
                    )
                    if raw is not None:
                        await self._bus.remove(self._processing, raw)
                except BusError:
                    log.exception("popping streams failed; retrying")
                    await asyncio.sleep(_RETRY_AFTER_BUS_ERROR)
                    continue
                if raw is not None:
                    await self._take(raw)
        finally:
            await stop_tasks([*self._warming, *self._serving])

    async def _take(self, raw: bytes) -> None:
        try:
            request = parse_request(raw)
            payload = read_payload(SttStreamPayload, request.payload)
            reply_to = json.loads(raw).get("reply_to") or ai_result(request.request_id)
        except BadRequest as exc:
            log.warning("malformed stt_stream request: %s", exc.message)
            if exc.request_id is not None:
                await self._refuse(exc.request_id, "bad_request", exc.message)
            return
        if request.deadline <= self._clock():
            log.info("dropped stream %s: taken past its deadline", request.request_id)
            return
        if not await self._claim(reply_to):
            log.info("dropped stream %s: another worker took it", request.request_id)
            return
        if len(self._serving) >= self._streams:
            message = f"this AI Server already serves {self._streams} streams"
            await self._refuse(request.request_id, "overloaded", message, reply_to)
            return
        if not self._warming:
            # The model loads while the first customer starts talking, not after
            # their first words; a worker that never gets a stream never loads it.
            self._warming.append(asyncio.create_task(self._serve_warm()))
        recognizer = StreamRecognizer(
            self._bus,
            request.request_id,
            reply_to,
            payload,
            self._vad,
            self._decoder,
            worker=self._worker,
            clock=self._clock,
        )
        task = asyncio.create_task(self._serve(recognizer, request.request_id, reply_to))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _claim(self, reply_to: str) -> bool:
        """Whether this worker is the first to take the stream of ``reply_to``."""
        try:
            return await self._bus.set(
                ai_stream_owner(reply_to), self._worker or "-", ttl=RESULT_TTL, only_if_missing=True
            )
        except BusError:
            log.exception("could not claim a stream; serving it")
            return True

    async def _serve_warm(self) -> None:
        try:
            await self._decoder.warm()
        except Exception:
            log.exception("the speech model failed to load")

    async def _serve(self, recognizer: StreamRecognizer, request_id: str, reply_to: str) -> None:
        try:
            await recognizer.run()
        except BusError:
            log.exception("stream %s lost the bus", request_id)
        except Exception:
            log.exception("stream %s failed", request_id)
            await self._refuse(request_id, "engine_error", "the engine failed", reply_to)

    async def _refuse(
        self, request_id: str, code: str, message: str, reply_to: str | None = None
    ) -> None:
        try:
            await self._bus.publish(
                reply_to or ai_result(request_id), error_envelope(request_id, code, message)
            )
        except BusError:
            log.exception("could not refuse stream %s", request_id)
