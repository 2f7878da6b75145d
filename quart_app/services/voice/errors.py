"""What the voice services refuse; :mod:`quart_app.error_handlers` maps each to HTTP.

Each is a :class:`~domain.errors.DomainError` whose ``message`` is fit for a
user. Failures of the AI Server and the bus are the bus's own exceptions and
:class:`~quart_app.services.voice.ai_client.BadAIResult`.
"""

from __future__ import annotations

from domain.errors import DomainError


class SessionNotFound(DomainError):
    """The conversation is unknown or has expired (HTTP 404)."""

    def __init__(self, session_id: str) -> None:
        super().__init__("this conversation does not exist or has expired; start a new one")
        self.session_id = session_id


class SessionForbidden(DomainError):
    """The conversation belongs to someone else (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__("this conversation belongs to someone else")


class SessionBusy(DomainError):
    """Another turn holds the conversation for too long (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__("another request on this conversation is still being answered; try again")


class SessionNotConfirmed(DomainError):
    """An order was asked of a conversation short of a complete, confirmed one (HTTP 409)."""

    def __init__(self, stage: str) -> None:
        super().__init__("the conversation has not reached a complete, confirmed order")
        self.stage = stage


class SessionCompleted(DomainError):
    """The conversation has placed its order and takes no more changes (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__("this conversation has placed its order; start a new one")


class IncompleteDraft(DomainError):
    """The conversation's draft lacks a menu or a style (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__("the order needs a menu and a style")


class UnsupportedAudio(DomainError):
    """The upload is not one of the accepted audio types (HTTP 415)."""

    def __init__(self, accepted: str, content_type: str | None) -> None:
        super().__init__(f"the audio must be one of: {accepted}")
        self.content_type = content_type


class EmptyAudio(DomainError):
    """The audio file is empty (HTTP 400)."""

    def __init__(self) -> None:
        super().__init__("the audio file is empty")


class AudioTooLarge(DomainError):
    """The audio file is larger than allowed (HTTP 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the audio may be {max_bytes} bytes at most")


class TooManyStreams(DomainError):
    """The caller already holds as many hands-free streams as allowed (close 4429)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} hands-free streams at once; close one first")
        self.limit = limit


class StreamRefused(DomainError):
    """No AI Server took the hands-free stream in time, or it refused it (close 1013)."""

    def __init__(self, reason: str) -> None:
        super().__init__("no AI Server can take the stream now; use push-to-talk or retry")
        self.reason = reason
