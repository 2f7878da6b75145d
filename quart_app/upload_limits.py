"""Per-route body limits, enforced on every byte received rather than after buffering.

Quart fixes a request's body limit when the request is created, from
``MAX_CONTENT_LENGTH``, before routing; and its :class:`quart.wrappers.Body`
counts only the bytes not yet consumed, so a streaming reader (the multipart
parser) could take an upload of any size. :func:`with_upload_limits` gives the
listed paths their own limit and counts every byte received on every path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Request
from quart.wrappers.request import Body
from werkzeug.exceptions import RequestEntityTooLarge


class CountingBody(Body):
    """A body that refuses the request once more than its limit has arrived in total.

    Past the limit, awaiting it or reading its next part raises
    ``RequestEntityTooLarge`` (413), whether or not the client sent a
    ``Content-Length``.
    """

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        super().__init__(expected_content_length, max_content_length)
        self._received = 0

    def append(self, data: bytes) -> None:
        self._received += len(data)
        limit = self._max_content_length
        if limit is not None and self._received > limit and self._must_raise is None:
            self._must_raise = RequestEntityTooLarge()
            self._data.clear()  # what came so far will never be read: free it now
            self.set_complete()
        super().append(data)

    async def __anext__(self) -> bytes:
        try:
            return await super().__anext__()
        except StopAsyncIteration:
            # A reader already waiting when the limit passed is woken by the
            # completion and sees a plain end of the body: the multipart parser
            # would take the truncated upload for an empty form.
            if self._must_raise is not None:
                raise self._must_raise from None
            raise


def with_upload_limits(base: type[Request], limits: Mapping[str, int]) -> type[Request]:
    """A subclass of ``base`` whose requests to a path in ``limits`` may carry that many bytes."""
    frozen = dict(limits)

    class UploadLimitedRequest(base):  # type: ignore[valid-type,misc]
        body_class = CountingBody

        def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
            limit = frozen.get(path)
            if limit is not None:
                kwargs["max_content_length"] = limit
            super().__init__(method, scheme, path, *args, **kwargs)
            if limit is not None:
                self.max_content_length = limit

    return UploadLimitedRequest
