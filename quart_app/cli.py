"""The ``voice-realtime`` command: ``serve``, ``worker`` and ``token``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bus import BusError
from config import AIWorkerMode, ConfigError, Settings, load_settings
from config.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``voice-realtime`` with ``argv``; 2 and one line on stderr for bad configuration."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        return int(args.run(args, settings))
    except ConfigError as error:
        print(f"voice-realtime: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-realtime",
        description="Voice & Realtime service. Configuration comes from environment variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with hypercorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="hypercorn worker processes")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run the reference AI worker against BUS_URL")
    worker.set_defaults(run=_worker)

    token = commands.add_parser(
        "token", help="mint a development JWT signed with SECRET_KEY (or the development key)"
    )
    token.add_argument("--user", required=True, help="user id (the token's sub)")
    token.add_argument("--role", required=True, choices=("customer", "cook", "delivery", "manager"))
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.set_defaults(run=_token)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from hypercorn.config import Config

    from quart_app.access_log import ACCESS_LOG_FORMAT, AccessLogger
    from quart_app.serving import serve

    if settings.ai_worker_mode is AIWorkerMode.EMBEDDED:
        from ai_worker.engines import check_installed

        check_installed(settings)  # here, in one line, not as a failed start-up
    if args.workers > 1 and settings.memory_bus:
        raise ConfigError(
            "BUS_URL: memory:// lives inside one process; use redis:// for --workers > 1"
        )
    _check_bus(settings)
    if args.workers > 1:
        _share_metrics_between_workers()
    config = Config()
    config.bind = [f"{args.host}:{args.port}"]
    # Loggers rather than "-": hypercorn then adds no handler of its own (its error
    # logger's lines, "Running on" included, came out twice, through ours too), and
    # each worker's lines take the format of the handler the app installs.
    config.accesslog = logging.getLogger("hypercorn.access")
    config.errorlog = logging.getLogger("hypercorn.error")
    config.access_log_format = ACCESS_LOG_FORMAT
    config.logger_class = AccessLogger
    # hypercorn's own WebSocket ping stays off: the application heartbeat already
    # closes a peer that stops answering (4408), and hypercorn's ping task keeps
    # each closed socket's connection open until its next tick, so a stop would
    # have to cancel them all (one logged CancelledError per socket).
    # hypercorn buffers a WebSocket message up to this size before the app sees
    # it (16 MiB by default): a larger one closes the socket with 1009 as it arrives.
    config.websocket_max_message_size = settings.ws_max_message_bytes
    return serve(config, args.workers, settings.shutdown_grace)


def _share_metrics_between_workers() -> None:
    """Point every worker at one empty PROMETHEUS_MULTIPROC_DIR (a new one unless set).

    Files left by an earlier run would be added to this run's counts, so they go.
    """
    from quart_app.observability.metrics import MULTIPROC_ENV

    directory = Path(
        os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="voice-realtime-metrics-")
    )
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from ai_worker.runner import run_worker

    if settings.memory_bus:
        raise ConfigError(
            "BUS_URL: a separate worker needs a shared bus (redis://); "
            "with memory:// the app runs the worker itself (AI_WORKER=embedded)"
        )
    _check_bus(settings)
    asyncio.run(run_worker(settings.bus_url, settings))
    return 0


def _check_bus(settings: Settings) -> None:
    """A ``BUS_URL`` naming the wrong kind of server stops here, in one line; one that
    can't be reached now is left to the start-up, which waits and says so itself."""
    from quart_app.lifecycle import connected_bus

    async def probe() -> None:
        try:
            bus = await connected_bus(settings)
        except BusError:
            return
        await bus.close()

    if not settings.memory_bus:
        asyncio.run(probe())


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from quart_app.services.auth.tokens import token_keys

    print(token_keys(settings).mint(args.user, args.role, ttl=args.ttl))
    return 0
