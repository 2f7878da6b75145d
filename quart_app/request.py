"""The request class: JSON bodies fail as API errors, never as 500s."""

from __future__ import annotations

from typing import Any

from quart import Request

from quart_app.errors import ApiError


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
                400, "invalid_encoding", "The request body is not valid UTF-8.", str(error)
            )
        except RecursionError:
            # A few KB of "[[[[..." exhausts the parser's stack; it is not a ValueError.
            failure = ApiError(400, "invalid_json", "The request body is nested too deeply.")
        if silent:
            return None
        raise failure

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.", str(error))
