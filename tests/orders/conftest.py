"""The orders API runs on the data tests' databases: SQLite and the real PostgreSQL."""

from __future__ import annotations

from tests.data.conftest import (
    data_app,
    data_client,
    database,
    order_service,
    record,
)

__all__ = ["data_app", "data_client", "database", "order_service", "record"]
