"""Alembic migrations, shipped inside the package so an installed service migrates itself.

The app runs :func:`upgrade_to_head` at start (see ``quart_app.database``).
Developers write a new revision with
``alembic -c quart_app/migrations/alembic.ini revision --autogenerate -m "..."``
(``DATABASE_URL`` names the database to compare against).
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

SCRIPT_LOCATION = "quart_app:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for this package; ``connection`` is the one to migrate."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration ``connection``'s database lacks (sync: call via ``run_sync``)."""
    command.upgrade(alembic_config(connection), "head")
