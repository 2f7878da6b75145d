"""The voice services one app instance shares while it serves."""

from __future__ import annotations

from dataclasses import dataclass

from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.analyze import VoiceService
from quart_app.services.voice.hands_free import HandsFree


@dataclass(frozen=True, slots=True)
class VoiceRuntime:
    """The AI client, the conversation service and the hands-free streams of this instance."""

    ai: AIClient
    conversations: VoiceService
    hands_free: HandsFree
