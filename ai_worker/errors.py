"""Failures a worker answers with an ``error`` result instead of dying."""

from __future__ import annotations


class EngineError(Exception):
    """A request an engine could not answer; ``code`` is the result's ``error.code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BadRequest(EngineError):
    """The request or its payload does not follow docs/contract.md §1.2."""

    def __init__(
        self, message: str, *, request_id: str | None = None, reply_to: str | None = None
    ) -> None:
        super().__init__("bad_request", message)
        self.request_id = request_id
        self.reply_to = reply_to


class UpstreamError(EngineError):
    """An HTTP engine's endpoint failed or answered something unusable."""

    def __init__(self, message: str) -> None:
        super().__init__("upstream_error", message)
