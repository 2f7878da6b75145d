"""The realtime side's resources: the WebSocket manager and its order-event receivers."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import cast

from quart import Quart

from config import Settings
from quart_app.extensions import BUS, get_extension
from quart_app.services.realtime.manager import WebSocketManager
from quart_app.services.realtime.order_events import connect_order_events

log = logging.getLogger(__name__)

WEBSOCKET_MANAGER = "websocket_manager"


def open_realtime(app: Quart, settings: Settings) -> None:
    """Run a :class:`WebSocketManager` on the app's bus for as long as the app serves.

    Register after :func:`quart_app.lifecycle.open_bus`: it needs the bus open.
    """

    @app.while_serving
    async def _realtime() -> AsyncGenerator[None, None]:
        manager = WebSocketManager(app.extensions[BUS], settings)
        await manager.start()
        disconnect_events = connect_order_events(app, manager)
        app.extensions[WEBSOCKET_MANAGER] = manager
        log.info("realtime fan-out started (instance %s)", manager.instance_id)
        try:
            yield
        finally:
            disconnect_events()
            del app.extensions[WEBSOCKET_MANAGER]
            await manager.stop()


def get_websocket_manager() -> WebSocketManager:
    """The current app's manager (while it serves)."""
    return cast(WebSocketManager, get_extension(WEBSOCKET_MANAGER))
