"""The development ``SECRET_KEY``: generated once, kept in a file every local process reads.

``voice-realtime token``, ``voice-realtime serve`` and each of its ``--workers``
then sign and check tokens with the same key.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from config.errors import ConfigError


def development_secret(path: Path) -> tuple[str, bool]:
    """The key kept at ``path``, and whether this call created it (mode 0600).

    Processes starting at once agree on one key: each writes its candidate to a
    private temporary file and links it into place, which fails when another got
    there first; a reader never sees a half-written key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, candidate = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_urlsafe(48))
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass
            else:
                return _read(path), True
        finally:
            os.unlink(candidate)
    return _read(path), False


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"SECRET_KEY_FILE: {path} is empty; delete it to have a key generated")
    return key
