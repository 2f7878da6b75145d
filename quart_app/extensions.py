"""Typed access to what the app keeps on ``app.extensions`` while it serves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from quart import current_app

if TYPE_CHECKING:
    from bus import Bus
    from config import Settings
    from quart_app.database import Database

SETTINGS = "settings"
BUS = "bus"
DATABASE = "database"


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


def get_secret_key() -> str:
    """The JWT key (``create_app`` always sets one, generating it in development)."""
    secret = get_settings().secret_key
    if secret is None:
        raise RuntimeError("SECRET_KEY is missing: build the app with create_app()")
    return secret


def get_bus() -> Bus:
    """The app's open bus."""
    return cast("Bus", get_extension(BUS))


def get_database() -> Database:
    """The app's open database."""
    return cast("Database", get_extension(DATABASE))
