"""OpenAPI generation tweaks on top of quart-schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from quart_schema import OpenAPIProvider
from quart_schema.typing import Model
from quart_schema.validation import DataSource
from werkzeug.routing import Rule

from quart_app.schemas.errors import ErrorResponse

BINARY_RESPONSE_ATTRIBUTE = "_openapi_binary_media_types"
PART_TYPES_ATTRIBUTE = "_openapi_part_media_types"
MULTIPART = "multipart/form-data"
ERROR_STATUS_RANGES = ("4XX", "5XX")

_F = TypeVar("_F", bound=Callable[..., Any])


def document_binary_response(*media_types: str) -> Callable[[_F], _F]:
    """Document the view's 200 answer as raw bytes of one of ``media_types``.

    quart-schema documents only model (JSON) answers.
    """
    return _marked(BINARY_RESPONSE_ATTRIBUTE, media_types)


def document_part_types(**media_types: Iterable[str]) -> Callable[[_F], _F]:
    """Document the content types each named part of the view's multipart body may have."""
    return _marked(PART_TYPES_ATTRIBUTE, media_types)


def _marked(attribute: str, value: object) -> Callable[[_F], _F]:
    def decorator(view: _F) -> _F:
        setattr(view, attribute, value)
        return view

    return decorator


class ContractOpenAPIProvider(OpenAPIProvider):
    """Marks validated request bodies ``required: true`` and documents every error answer.

    quart-schema leaves ``required`` out, so spec-driven clients and fuzzers
    (schemathesis) think an empty body is acceptable, while the views refuse one.
    It also documents only the success answers; any route may answer 4xx or 5xx
    with the contract's error body, so every operation lists ``4XX`` and ``5XX``.
    """

    def build_request_body(
        self, model: type[Model], source: DataSource
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        request_body, definitions = super().build_request_body(model, source)
        request_body["required"] = True
        return request_body, definitions

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        error, definitions = self.build_response_object(ErrorResponse, None)
        view = self._app.view_functions[rule.endpoint]
        media_types: tuple[str, ...] = getattr(view, BINARY_RESPONSE_ATTRIBUTE, ())
        part_types: dict[str, Iterable[str]] = getattr(view, PART_TYPES_ATTRIBUTE, {})
        for operations in paths.values():
            for operation in operations.values():
                if part_types:
                    operation["requestBody"]["content"][MULTIPART]["encoding"] = {
                        name: {"contentType": ", ".join(sorted(types))}
                        for name, types in part_types.items()
                    }
                # quart-schema keys statuses by int; sorted JSON keys can't mix them with "4XX".
                responses = {
                    str(status): answer for status, answer in operation["responses"].items()
                }
                if media_types:
                    responses["200"] = _binary_answer(media_types)
                responses.update(dict.fromkeys(ERROR_STATUS_RANGES, error))
                operation["responses"] = responses
        components.update(definitions)
        return paths, components


def _binary_answer(media_types: tuple[str, ...]) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "description": "The bytes, in one of these content types.",
        "content": dict.fromkeys(media_types, binary),
    }
