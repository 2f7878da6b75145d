"""A platform's public keys: a JWKS document in a file or at an ``https://`` URL
(docs/contract.md §4, Credentials).

PyJWT's :class:`~jwt.PyJWKClient` parses the document and builds the keys (with
``cryptography``); :class:`KeySet` keeps the last good set and checks tokens
against it without waiting. Only a token whose ``kid`` is unknown makes it read
the document again, off the event loop, at most once per :data:`REFETCH_INTERVAL`,
within :data:`FETCH_TIMEOUT` and :data:`MAX_DOCUMENT_BYTES`: a hanging or huge
document costs that token its 401, never the service its loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWTError

log = logging.getLogger(__name__)

ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
"""What a JWKS key may sign with; any other key in the document is ignored (an ``oct``
key among them: a shared secret does not belong in a public document)."""
REFETCH_INTERVAL = 30.0
FETCH_TIMEOUT = 5.0
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_KID_LENGTH = 200
_CHUNK = 16 * 1024


class JwksError(Exception):
    """The document could not be read, or holds no key the service accepts."""


def is_url(source: str) -> bool:
    """Whether a ``JWT_JWKS`` value is a URL rather than a file path."""
    return "://" in source


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead from https:// to anywhere: the configured URL is the document.
    def redirect_request(self, *_: Any) -> None:
        return None


class _DocumentReader(PyJWKClient):
    """PyJWKClient reading a file or an https URL, within a deadline and a size cap."""

    def __init__(self, source: str, *, timeout: float, ssl_context: ssl.SSLContext | None):
        # PyJWKClient takes only http(s) URIs; fetch_data below reads ``source`` itself.
        super().__init__(
            source if is_url(source) else "https://jwks.invalid/",
            cache_jwk_set=False,
            timeout=timeout,
            ssl_context=ssl_context,
            cooldown_duration=0,
        )
        self.source = source

    def fetch_data(self) -> Any:
        raw = self._read_url() if is_url(self.source) else self._read_file()
        try:
            return json.loads(raw)
        except ValueError:
            raise JwksError("the document is not JSON") from None

    def _read_file(self) -> bytes:
        try:
            with Path(self.source).open("rb") as document:
                return _capped(document, time.monotonic() + self.timeout)
        except OSError as error:
            raise JwksError(f"cannot read the file: {error.strerror}") from None

    def _read_url(self) -> bytes:
        handlers: list[Any] = [_RefuseRedirects()]
        if self.ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.ssl_context))
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(self.source, headers={"Accept": "application/json"})
        deadline = time.monotonic() + self.timeout
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return _capped(response, deadline)
        except (OSError, ValueError) as error:  # URLError, timeouts, http.client's errors
            raise JwksError(f"cannot fetch the document: {error}") from None


def _capped(stream: Any, deadline: float) -> bytes:
    # Read in chunks so a document that trickles in, or never ends, stops at the
    # deadline or the cap instead of holding its thread.
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise JwksError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
        if time.monotonic() > deadline:
            raise JwksError("the document took too long to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


class KeySet:
    """The keys of one JWKS document by ``kid``, read again when a token names a new one."""

    def __init__(
        self,
        source: str,
        *,
        timeout: float = FETCH_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if is_url(source) and urlsplit(source).scheme != "https":
            raise JwksError("a JWKS URL must be https://")
        self.source = source
        self._reader = _DocumentReader(source, timeout=timeout, ssl_context=ssl_context)
        self._timeout = timeout
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._read_at: float | None = None
        self._reading = asyncio.Lock()

    def key_for(self, kid: str) -> PyJWK | None:
        """The key named ``kid`` in the last document read, if any (never waits)."""
        return self._keys.get(kid)

    def load(self) -> None:
        """Read the document now, or :class:`JwksError` saying why it is unusable."""
        self._read_at = self._clock()
        self._keys = self._read()

    async def fetch_for(self, kid: str) -> None:
        """Read the document again if ``kid`` is new and the last read is
        :data:`REFETCH_INTERVAL` old; a failure is logged and the old keys stay."""
        if not self._worth_reading(kid):
            return
        async with self._reading:
            if not self._worth_reading(kid):
                return
            self._read_at = self._clock()
            try:
                # The reader's own deadline ends its thread; this one bounds the caller's wait.
                keys = await asyncio.wait_for(asyncio.to_thread(self._read), self._timeout + 1)
            except (JwksError, TimeoutError) as error:
                log.warning("JWT_JWKS %s: %s", self.source, error or "no answer in time")
                return
            self._keys = keys

    def _worth_reading(self, kid: str) -> bool:
        if kid in self._keys or len(kid) > MAX_KID_LENGTH:
            return False
        return self._read_at is None or self._clock() - self._read_at >= REFETCH_INTERVAL

    def _read(self) -> dict[str, PyJWK]:
        try:
            found = self._reader.get_signing_keys(refresh=True)
        except PyJWTError as error:
            raise JwksError(f"the document holds no usable signing key ({error})") from None
        keys = {
            key.key_id: key
            for key in found
            if key.key_id is not None and key.algorithm_name in ALGORITHMS
        }
        if not keys:
            raise JwksError(
                f"the document holds no signing key with a kid for {', '.join(sorted(ALGORITHMS))}"
            )
        return keys
