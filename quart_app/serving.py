"""``voice-realtime serve``: hypercorn, with a graceful stop on SIGTERM (and SIGINT).

hypercorn's own stop sets its "terminated" flag, stops listening, waits up to
``graceful_timeout`` for connections to end and then cancels them. Open
WebSockets never end by themselves, so by itself hypercorn would cancel every
one (close 1011, one logged ``CancelledError`` each) before the app's own
shutdown runs. Here the signal first runs :func:`quart_app.shutdown.drain` (503 for new
requests, 1001 for sockets, up to ``SHUTDOWN_GRACE`` s for the requests in
hand), and only then lets hypercorn stop, which then has nothing left to cancel.

One worker serves in this process; ``workers`` > 1 spawns that many worker
processes on the same sockets, and a signal to this process drains them all.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app

from quart_app.shutdown import drain

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
AFTER_DRAIN_TIMEOUT = 5.0
"""hypercorn's ``graceful_timeout``: connections left once drained only need closing."""
STOP_POLL = 0.1


def serve(config: Config, workers: int, grace: float) -> int:
    """Serve ``quart_app:create_app()`` as ``config`` says until a stop signal; the exit code."""
    config.graceful_timeout = AFTER_DRAIN_TIMEOUT
    sockets = config.create_sockets()
    try:
        if workers == 1:
            serve_worker(config, sockets, grace)
            return 0
        return _serve_processes(config, sockets, workers, grace)
    finally:
        for sock in (*sockets.secure_sockets, *sockets.insecure_sockets):
            sock.close()


def serve_worker(
    config: Config,
    sockets: Sockets,
    grace: float,
    stop: EventType | None = None,
    draining: Synchronized[int] | None = None,
) -> None:
    """One worker: the app on ``sockets`` until a signal here, or ``stop``, says stop.

    ``draining`` counts the workers still draining: a worker that is done goes
    on refusing new requests until all are (or ``grace`` has passed), because a
    worker that stopped listening early would take connections off the shared
    socket and close them unanswered.
    """
    from quart_app import create_app

    app = create_app()

    async def stop_requested() -> None:
        requested = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            loop.add_signal_handler(number, requested.set)
        # A worker process also stops when the parent sets ``stop`` (its own signal).
        while not (requested.is_set() or (stop is not None and stop.is_set())):
            with suppress(TimeoutError):
                await asyncio.wait_for(requested.wait(), STOP_POLL)
        began = loop.time()
        await drain(app, grace)
        if draining is not None:
            with draining.get_lock():
                draining.value -= 1
            while loop.time() - began < grace:
                if draining.value <= 0:  # another process's counter: nothing to await
                    break
                await asyncio.sleep(STOP_POLL)

    asgi = wrap_app(app, config.wsgi_max_body_size, "asgi")
    asyncio.run(worker_serve(asgi, config, sockets=sockets, shutdown_trigger=stop_requested))


def _serve_processes(config: Config, sockets: Sockets, workers: int, grace: float) -> int:
    context = get_context("spawn")
    stop = context.Event()
    draining = context.Value("i", workers)
    processes = [
        context.Process(target=serve_worker, args=(config, sockets, grace, stop, draining))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for number in STOP_SIGNALS:
        signal.signal(number, lambda *_: stop.set())
    running = {process.sentinel: process for process in processes}
    while running:
        for ended in wait(list(running)):
            if running.pop(ended).exitcode != 0:  # type: ignore[arg-type]
                stop.set()  # one worker failed: stop the others rather than limp on
    return max((process.exitcode or 0) for process in processes)
