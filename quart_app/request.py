"""The request class: JSON bodies fail as API errors, never as 500s."""

from __future__ import annotations

import json
import logging
from typing import Any

from quart import Request

from quart_app.errors import ApiError

log = logging.getLogger(__name__)


class ApiRequest(Request):
    """Quart's request, with JSON problems reported in the contract's shape.

    Quart answers a body that is not UTF-8 with a 500 (``UnicodeDecodeError``
    from ``get_data``), JSON nested too deeply with a 500 (``RecursionError``),
    malformed JSON with a bare 400 and a wrong content type by returning
    ``None``; each becomes a clear :class:`ApiError` here.
    """

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            if silent:
                return None
            raise ApiError(
                415,
                "unsupported_media_type",
                "The request body must be JSON (Content-Type: application/json).",
            )
        try:
            return await super().get_json(force=force, silent=silent, cache=cache)
        except UnicodeDecodeError as error:
            failure = ApiError(
                400,
                "invalid_encoding",
                "The request body is not valid UTF-8.",
                {"position": error.start},
            )
        except RecursionError:
            # A few KB of "[[[[..." exhausts the parser's stack; it is not a ValueError.
            failure = ApiError(400, "invalid_json", "The request body is nested too deeply.")
        if silent:
            return None
        raise failure

    def on_json_loading_failed(self, error: Exception) -> Any:
        # Where, not the parser's own words: those stay in the log.
        log.info("invalid JSON body: %s", error)
        where = (
            {"line": error.lineno, "column": error.colno}
            if isinstance(error, json.JSONDecodeError)
            else None
        )
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.", where)
