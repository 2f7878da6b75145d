"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from quart import Blueprint, Response, jsonify
from quart_schema import hide

from quart_app.error_handlers import error_response
from quart_app.extensions import get_bus, get_database

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

READY_CHECK_TIMEOUT = 2.0


@bp.get("/healthz")
@hide
async def healthz() -> Response:
    """The process is alive and serving."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@hide
async def readyz() -> Response:
    """Ready when the bus and the database both answer; 503 naming what does not."""
    checks = {
        "bus": await _check(get_bus().ping),
        "database": await _check(get_database().ping),
    }
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if failing:
        return error_response(
            503, "not_ready", f"Not reachable: {', '.join(failing)}.", {"checks": checks}
        )
    return jsonify({"status": "ready", "checks": checks})


async def _check(probe: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(probe(), READY_CHECK_TIMEOUT)
    except TimeoutError:
        return "timeout"
    except Exception as error:
        log.warning("readiness check failed: %r", error)
        return f"unavailable: {type(error).__name__}"
    return "ok"
