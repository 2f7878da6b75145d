"""The form of ``POST /api/voice/stt``: apart from the other voice models because its
file field is the web framework's (services read the voice models, never this one)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, WithJsonSchema
from quart_schema.pydantic import File

from quart_app.schemas.voice import LANGUAGE_PATTERN


class SpeechUpload(BaseModel):
    """``POST /api/voice/stt`` form: the ``audio`` file, an optional BCP-47 ``language``
    and the ``session_id`` of the conversation the speech belongs to.

    ``audio`` is optional here so that a missing file is a 400 with a clear
    message rather than a generic validation error.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, json_schema_extra={"required": ["audio"]}
    )

    # The schemas say what a client sends: a form has no null, and the file is needed.
    audio: Annotated[File | None, WithJsonSchema({"type": "string", "format": "binary"})] = None
    language: Annotated[
        str | None,
        StringConstraints(pattern=LANGUAGE_PATTERN),
        WithJsonSchema({"type": "string", "pattern": LANGUAGE_PATTERN}),
    ] = None
    session_id: Annotated[
        str | None,
        StringConstraints(min_length=1, max_length=128),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128}),
    ] = None
