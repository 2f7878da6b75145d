"""Logging for the service and the worker: one format, ``LOG_LEVEL`` for our packages."""

from __future__ import annotations

import logging

OUR_PACKAGES = ("quart_app", "bus", "ai_worker", "config", "domain")


def configure_logging(level: str) -> None:
    """Log our packages at ``level``; add a stderr handler only if nobody set one up."""
    if not logging.getLogger().handlers:  # leave hypercorn's or an embedding program's alone
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for package in OUR_PACKAGES:
        logging.getLogger(package).setLevel(level)
