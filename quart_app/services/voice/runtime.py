"""The voice services one app instance shares while it serves."""

from __future__ import annotations

from dataclasses import dataclass

from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.analyze import VoiceService


@dataclass(frozen=True, slots=True)
class VoiceRuntime:
    """The AI client and the conversation service of this instance."""

    ai: AIClient
    conversations: VoiceService
