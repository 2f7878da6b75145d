"""The client frames of ``WS /api/voice/stream`` (docs/contract.md §7)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from bus.ai_messages import SAMPLE_RATE

SessionId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class StartFrame(BaseModel):
    """The first frame: who speaks (a token, or ``None`` for a guest), in which
    conversation (``None`` starts one), in which language, at which sample rate."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["start"]
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    session_id: SessionId | None = None
    language: Literal["en", "ko"] | None = None
    sample_rate: Literal[16000] = SAMPLE_RATE


class ControlFrame(BaseModel):
    """A text frame after the start: ``stop`` or ``ping``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["stop", "ping"]
