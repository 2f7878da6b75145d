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


def _get(name: str) -> Any:
    try:
        return current_app.extensions[name]
    except KeyError:
        raise RuntimeError(
            f"{name!r} is not open: run the app under hypercorn or `app.test_app()`"
        ) from None


def get_settings() -> Settings:
    """The settings this app was built with."""
    return cast("Settings", _get(SETTINGS))


def get_bus() -> Bus:
    """The app's open bus."""
    return cast("Bus", _get(BUS))


def get_database() -> Database:
    """The app's open database."""
    return cast("Database", _get(DATABASE))
