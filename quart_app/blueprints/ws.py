"""``WS /api/ws`` (docs/contract.md §6) and ``GET /api/ws/stats`` (§2.5).

Close codes: ``4401`` no valid auth frame within ``WS_AUTH_TIMEOUT``; ``4408``
no frame from the client for ``HEARTBEAT_MISSES`` heartbeat intervals; ``4498``
the token expired (a new auth frame on the open socket refreshes it); ``1013``
the client reads too slowly (its send queue filled), the bus subscription
was interrupted or fell behind, or the bus was down when the socket connected:
reconnect with ``last_event_id``; ``1011`` a
server error ended the connection; ``1001`` the server is stopping.
"""

from __future__ import annotations

import asyncio
import logging

from quart import Blueprint, websocket
from quart_cors import cors_exempt
from quart_schema import validate_response

from bus import BusError
from quart_app.auth import require_manager
from quart_app.errors import as_sentence
from quart_app.extensions import (
    get_bus,
    get_known_staff,
    get_settings,
    get_token_keys,
    get_websocket_manager,
)
from quart_app.schemas.ws import WsStats
from quart_app.services.auth.tokens import Principal
from quart_app.services.realtime import server_frames
from quart_app.services.realtime.client_frames import AuthRejected, auth_frame, principal_of
from quart_app.services.realtime.local_socket import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
)
from quart_app.services.realtime.manager import TooManyConnections
from quart_app.services.realtime.stats import totals

log = logging.getLogger(__name__)

bp = Blueprint("ws", __name__, url_prefix="/api/ws")


@bp.websocket("")
@cors_exempt  # the first frame's token authenticates a socket, not its Origin
async def notifications() -> None:
    """Authenticate with the first frame, then receive notifications and heartbeats."""
    accepted = await _authenticate()
    if accepted is None:
        return
    principal, last_event_id = accepted
    await get_known_staff().remember(principal)
    manager = get_websocket_manager()
    try:
        socket = await manager.connect(principal, replaying=last_event_id is not None)
    except TooManyConnections as refusal:
        await websocket.send(server_frames.error("too_many_connections", as_sentence(str(refusal))))
        await websocket.close(CLOSE_TOO_MANY_CONNECTIONS, "too many connections")
        return
    except BusError as error:
        log.warning("connection of %s refused: %s", principal.user_id, error)
        await websocket.send(
            server_frames.error(
                "bus_unavailable", "Notifications are unavailable; reconnect later."
            )
        )
        await websocket.close(CLOSE_TRY_AGAIN_LATER, "notifications are unavailable")
        return
    try:
        resume = await manager.resume(socket, last_event_id)
        await websocket.send(
            server_frames.connected(
                socket.connection_id,
                principal.user_id,
                principal.role,
                get_settings().heartbeat_interval,
                last_event_id=resume.position,
                epoch=resume.epoch,
            )
        )
        await manager.serve(socket, websocket.receive, websocket.send, resume.frames)
    except BusError as error:
        # Without the bus there is neither replay nor delivery: come back later.
        log.warning("connection %s refused: %s", socket.connection_id, error)
        socket.close(CLOSE_TRY_AGAIN_LATER, "notifications are unavailable; reconnect")
    except Exception:
        log.exception("connection %s ended by a server error", socket.connection_id)
        socket.close(CLOSE_INTERNAL_ERROR, "internal server error")
    finally:
        await manager.disconnect(socket.connection_id)
    await websocket.close(socket.close_code or CLOSE_GOING_AWAY, socket.close_reason)


async def _authenticate() -> tuple[Principal, str | None] | None:
    """The caller and its ``last_event_id``; not the auth frame, whose token would
    stay in memory as long as the socket."""
    settings = get_settings()
    key = get_token_keys()
    try:
        raw = await asyncio.wait_for(websocket.receive(), settings.ws_auth_timeout)
        auth = auth_frame(raw, settings.ws_max_message_bytes)
        await key.fetch_key_of(auth.token)
        return principal_of(auth, key), auth.last_event_id
    except TimeoutError:
        message = f"No auth frame within {settings.ws_auth_timeout:g} s."
    except AuthRejected as rejection:
        message = str(rejection)
    await websocket.send(server_frames.error("unauthorized", message))
    await websocket.close(CLOSE_UNAUTHORIZED, "unauthorized")
    return None


@bp.get("/stats")
@validate_response(WsStats)
@require_manager
async def stats() -> WsStats:
    """Connections summed over every live instance of the service (managers only)."""
    return WsStats.model_validate(await totals(get_bus()))
