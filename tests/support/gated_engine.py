"""A scripted speech engine for the streaming worker's tests, whose decodes each wait
until the test lets one finish."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from ai_worker.streaming.vad import Samples
from tests.support.waiting import WAIT


class GatedEngine:
    """A Transcriber whose decodes each run until the test lets one finish."""

    def __init__(self) -> None:
        self.beams: list[int] = []
        """The beam size of each decode, in the order they started (1: a batch of partials)."""
        self.prompts: list[str | None] = []
        """The prompt (whisper's hotwords) of each decode, in the order they started."""
        self.batches: list[int] = []
        """How many partials each batch of partials decoded, in the order they started."""
        self.most_at_once = 0
        self._running = 0
        self._count = threading.Lock()
        self._entered = threading.Semaphore(0)
        self._finish = threading.Semaphore(0)

    def transcribe_samples(
        self,
        samples: Samples,
        language: str | None,
        prompt: str | None,
        *,
        beam_size: int,
        vad: bool,
        window_s: float | None = None,
    ) -> tuple[str, str | None]:
        with self._count:
            self.beams.append(beam_size)
            self.prompts.append(prompt)
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        self._entered.release()
        assert self._finish.acquire(timeout=WAIT), "the test never let the decode finish"
        with self._count:
            self._running -= 1
        return f"beam {beam_size}", "en"

    def transcribe_partials(
        self, requests: Sequence[tuple[Samples, str | None, str | None]]
    ) -> list[tuple[str, str | None]]:
        with self._count:
            self.batches.append(len(requests))
        return [self.transcribe_samples(*requests[0], beam_size=1, vad=False)] * len(requests)

    async def started(self) -> None:
        """Return once one more decode has started."""
        assert await asyncio.to_thread(self._entered.acquire, timeout=WAIT)

    def finish_one(self) -> None:
        self._finish.release()

    def finish_all(self) -> None:
        """Let every decode finish, now and from now on (for a test's end)."""
        self._finish.release(1_000)
