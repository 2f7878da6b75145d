"""Logging for the service and the worker: one format, ``LOG_LEVEL`` for our packages.

Every record carries ``request_id``: the id of the HTTP request or WebSocket
being handled when it was logged (``-`` outside one), set by
:data:`CURRENT_REQUEST_ID`. ``LOG_FORMAT=json`` writes one JSON object a line.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from typing import Any, Literal

OUR_PACKAGES = ("quart_app", "bus", "ai_worker", "config", "domain")
SERVER_LOGGERS = ("hypercorn.access", "hypercorn.error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
NO_REQUEST = "-"

CURRENT_REQUEST_ID: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)
"""The id of the request this task is serving; tasks started inside inherit it."""


_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """:data:`TEXT_FORMAT`, each message on its one line: control characters in it are
    escaped (``\\n``), so a request path carrying ``%0A`` (decoded by the server before
    the access log sees it) cannot start a forged line. Tracebacks keep their lines."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        record.message = _LINE_BREAKING.sub(_escaped, message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    """Log our packages and the server's at ``level``; add a stderr handler only if
    nobody set one up."""
    _stamp_records_with_request_id()
    root = logging.getLogger()
    if not root.handlers:  # leave hypercorn's or an embedding program's alone
        stderr = logging.StreamHandler()
        stderr.setFormatter(TextFormatter())
        logging.basicConfig(handlers=[stderr])
    if log_format == "json":
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())
    for name in (*OUR_PACKAGES, *SERVER_LOGGERS):
        logging.getLogger(name).setLevel(level)


def _stamp_records_with_request_id() -> None:
    # A record factory, not a filter: filters on one logger miss records that
    # propagate from its children, and third-party handlers need the field too.
    factory = logging.getLogRecordFactory()
    if getattr(factory, "stamps_request_id", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = CURRENT_REQUEST_ID.get()
        return record

    make_record.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
