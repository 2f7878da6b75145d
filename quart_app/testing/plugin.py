"""The pytest plugin of :mod:`quart_app.testing`, registered as ``voice_realtime`` (pytest11).

Installing the package gives a project these fixtures (``docs/extending.md``);
each is made only when a test asks for it:

- ``voice_blueprints``: the blueprints to add to the app, ``[]``; override it in
  your ``conftest.py`` to return yours;
- ``voice_settings``: settings that override :func:`settings_for_tests`, ``{}``;
  override it the same way;
- ``voice_service``: the :class:`AppUnderTest`, serving;
- ``voice_app``, ``voice_client``, ``voice_ai_server``, ``voice_tokens``: its
  app, a test client, its :class:`ScriptedAIServer` and its :class:`Tokens`.

The async fixtures need pytest-asyncio (``pip install 'voice-realtime[testing]'``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio
except ImportError:  # without the "testing" extra the fixtures say what is missing
    HAS_PYTEST_ASYNCIO = False
else:
    HAS_PYTEST_ASYNCIO = True

if TYPE_CHECKING:
    from quart import Blueprint, Quart

    from quart_app.testing import AppUnderTest, Client, ScriptedAIServer, Tokens


@pytest.fixture
def voice_blueprints() -> list[Blueprint]:
    """The blueprints the app under test adds to the service's own: none, unless overridden."""
    return []


@pytest.fixture
def voice_settings() -> dict[str, Any]:
    """Settings of the app under test that override the kit's: none, unless overridden."""
    return {}


async def _voice_service(
    tmp_path: Path, voice_blueprints: list[Blueprint], voice_settings: dict[str, Any]
) -> AsyncIterator[AppUnderTest]:
    """The app under test, serving, with the scripted AI Server on its bus."""
    from quart_app.testing import serve_for_tests  # imported when used: collection stays light

    async with serve_for_tests(tmp_path, blueprints=voice_blueprints, **voice_settings) as service:
        yield service


if HAS_PYTEST_ASYNCIO:
    voice_service = pytest_asyncio.fixture(_voice_service, name="voice_service")
else:

    @pytest.fixture(name="voice_service")
    def _no_voice_service() -> None:
        pytest.fail(
            "the voice_* fixtures need pytest-asyncio: pip install 'voice-realtime[testing]'"
        )


@pytest.fixture
def voice_app(voice_service: AppUnderTest) -> Quart:
    """The serving app (``before_serving`` ran)."""
    return voice_service.app


@pytest.fixture
def voice_client(voice_service: AppUnderTest) -> Client:
    """A test client of the serving app."""
    return voice_service.client()


@pytest.fixture
def voice_ai_server(voice_service: AppUnderTest) -> ScriptedAIServer:
    """The scripted AI Server answering the app's STT, LLM and image requests."""
    return voice_service.ai_server


@pytest.fixture
def voice_tokens(voice_service: AppUnderTest) -> Tokens:
    """Tokens for any user and role, signed with the app's key."""
    return voice_service.tokens
