"""Everything the app keeps on ``app.extensions``: each key, and its typed getter.

``create_app`` puts the settings and the signing key there; :mod:`quart_app.lifecycle` puts the
rest there while the app serves and takes it away after. Views reach them
through the getters below; services are handed what they need instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from quart import current_app

if TYPE_CHECKING:
    from bus import Bus
    from config import Settings
    from quart_app.database import Database
    from quart_app.services.auth.tokens import TokenKeys
    from quart_app.services.media.store import MediaStore
    from quart_app.services.orders.catalog import CatalogService
    from quart_app.services.orders.service import OrderService
    from quart_app.services.orders.users import KnownStaff
    from quart_app.services.ratelimit.limiter import RateLimiter
    from quart_app.services.realtime.manager import WebSocketManager
    from quart_app.services.voice.runtime import VoiceRuntime

SETTINGS = "settings"
TOKEN_KEYS = "token_keys"
BUS = "bus"
DATABASE = "database"
CATALOG_SERVICE = "catalog_service"
ORDER_SERVICE = "order_service"
KNOWN_STAFF = "known_staff"
MEDIA_STORE = "media_store"
WEBSOCKET_MANAGER = "websocket_manager"
VOICE = "voice"
RATE_LIMITER = "rate_limiter"
SHUTDOWN_GATE = "shutdown_gate"


def get_extension(name: str) -> Any:
    """What the app keeps under ``name`` while it serves; a clear error when it does not."""
    try:
        return current_app.extensions[name]
    except KeyError:
        raise RuntimeError(
            f"{name!r} is not open: run the app under hypercorn or `app.test_app()`"
        ) from None


def get_settings() -> Settings:
    """The settings this app was built with."""
    return cast("Settings", get_extension(SETTINGS))


def get_token_keys() -> TokenKeys:
    """The key tokens are signed and checked with (``create_app`` always sets one)."""
    return cast("TokenKeys", get_extension(TOKEN_KEYS))


def get_bus() -> Bus:
    """The app's open bus."""
    return cast("Bus", get_extension(BUS))


def get_database() -> Database:
    """The app's open database."""
    return cast("Database", get_extension(DATABASE))


def get_catalog_service() -> CatalogService:
    """The app's catalog service."""
    return cast("CatalogService", get_extension(CATALOG_SERVICE))


def get_order_service() -> OrderService:
    """The app's order service."""
    return cast("OrderService", get_extension(ORDER_SERVICE))


def get_known_staff() -> KnownStaff:
    """The app's record of staff members who have signed in."""
    return cast("KnownStaff", get_extension(KNOWN_STAFF))


def get_media_store() -> MediaStore:
    """The app's media store (generated images)."""
    return cast("MediaStore", get_extension(MEDIA_STORE))


def get_websocket_manager() -> WebSocketManager:
    """This instance's WebSocket manager."""
    return cast("WebSocketManager", get_extension(WEBSOCKET_MANAGER))


def get_voice() -> VoiceRuntime:
    """This instance's AI client, conversation service and media store."""
    return cast("VoiceRuntime", get_extension(VOICE))


def get_rate_limiter() -> RateLimiter:
    """The limiter of the AI endpoints (with ``RATE_LIMITS_ENABLED``)."""
    return cast("RateLimiter", get_extension(RATE_LIMITER))


def get_optional_rate_limiter() -> RateLimiter | None:
    """The limiter of the AI endpoints, ``None`` without ``RATE_LIMITS_ENABLED``."""
    return cast("RateLimiter | None", current_app.extensions.get(RATE_LIMITER))
