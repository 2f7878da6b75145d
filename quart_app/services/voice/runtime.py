"""The voice services one app instance shares while it serves, on ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from quart_app.extensions import get_extension
from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.analyze import VoiceService

VOICE = "voice"


@dataclass(frozen=True, slots=True)
class VoiceRuntime:
    """The AI client and the conversation service of this instance."""

    ai: AIClient
    conversations: VoiceService


def get_voice() -> VoiceRuntime:
    """This app's :class:`VoiceRuntime` (set up by :func:`quart_app.ai_lifecycle.open_voice`)."""
    return cast(VoiceRuntime, get_extension(VOICE))
