"""Checking an uploaded audio file before it goes to the AI Server."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import IO, Protocol

from quart_app.services.voice.errors import AudioTooLarge, EmptyAudio, UnsupportedAudio

AUDIO_TYPES = frozenset(
    {
        "audio/webm",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp3",
        "audio/wav",
        "audio/x-wav",
        "audio/mp4",
    }
)
DEFAULT_FILENAME = "audio"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart boundaries, part headers and the ``language`` field."""


class Upload(Protocol):
    """An uploaded file as the web framework hands it over (Quart's ``FileStorage`` fits)."""

    @property
    def stream(self) -> IO[bytes]: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def content_type(self) -> str | None: ...
    @property
    def mimetype(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Audio:
    """An accepted upload: the file holding it (spooled to disk past 500 KB) and its
    size, a safe file name and its bare MIME type. It is never read into memory whole."""

    file: IO[bytes]
    size: int
    filename: str
    mime_type: str


def read_audio(upload: Upload, *, max_bytes: int) -> Audio:
    """The upload's bytes if it is non-empty audio of a whitelisted type.

    :class:`UnsupportedAudio` for another type (parameters such as
    ``;codecs=opus`` are allowed), :class:`EmptyAudio` for an empty file,
    :class:`AudioTooLarge` past ``max_bytes``. The whole body was bounded while it
    was read (:mod:`quart_app.upload_limits`); this bounds the file itself.
    """
    mime_type = (upload.mimetype or "").lower()
    if mime_type not in AUDIO_TYPES:
        raise UnsupportedAudio(", ".join(sorted(AUDIO_TYPES)), upload.content_type)
    file = upload.stream
    size = file.seek(0, os.SEEK_END)
    if not size:
        raise EmptyAudio()
    if size > max_bytes:
        raise AudioTooLarge(max_bytes)
    name = _UNSAFE_FILENAME.sub("_", upload.filename or "")[:100].strip("._")
    return Audio(file, size, name or DEFAULT_FILENAME, mime_type)
