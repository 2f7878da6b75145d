"""hypercorn's access log line, built only when it will be written.

hypercorn's logger builds every request's line (a dict of its atoms, headers
included) before it asks the logger, so at ``LOG_LEVEL=WARNING`` each request
paid for a line nobody writes.
"""

from __future__ import annotations

import logging

from hypercorn.logging import Logger
from hypercorn.typing import ResponseSummary, WWWScope

ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus request_id=%({x-request-id}o)s'
"""The line; it is written after the response, so it names the request id itself."""


class AccessLogger(Logger):
    """hypercorn's :class:`~hypercorn.logging.Logger` that skips access lines below its level."""

    async def access(
        self, request: WWWScope, response: ResponseSummary, request_time: float
    ) -> None:
        if self.access_logger is not None and self.access_logger.isEnabledFor(logging.INFO):
            await super().access(request, response, request_time)
