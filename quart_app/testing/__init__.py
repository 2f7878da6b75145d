"""A testing kit for code that extends the service: your blueprints, tested offline.

Public API (``docs/extending.md`` walks through it)::

    from quart_app.testing import serve_for_tests

    async with serve_for_tests(tmp_path, blueprints=[my_blueprint]) as service:
        service.ai_server.llm.always({"intent": "greeting", "response": "Hello!"})
        client = service.client()
        response = await client.get("/api/mine", headers=service.tokens.bearer("cook-1", "cook"))
        async with service.socket("manager-1", "manager") as socket:
            frame = await socket.wait_for("order.created")

- :func:`serve_for_tests` / :class:`AppUnderTest`: the app serving on the memory
  bus, with a temporary SQLite database holding the demo catalog and users;
- :class:`ScriptedAIServer` (``stt``, ``llm``, ``image``, ``stt_stream``: each a
  :class:`ScriptedEngine`) with the answers :func:`error`, :func:`raw`,
  :func:`never`, :func:`gated` and, for streams, :func:`speaks`: what the AI
  answers, and what it was asked;
- :class:`Tokens`: bearer tokens for any user and role; :data:`Client`, the type of a test client;
- :func:`settings_for_tests`: the settings all of the above use, to build an app
  yourself (``create_app(settings_for_tests(tmp_path), bus=bus)``).

With the package installed, pytest gets the same as fixtures
(:mod:`quart_app.testing.plugin`): ``voice_service``, ``voice_app``,
``voice_client``, ``voice_ai_server``, ``voice_tokens``, and the
``voice_blueprints`` and ``voice_settings`` you override.
"""

from quart_app.testing.ai_server import (
    Answer,
    Reply,
    ScriptedAIServer,
    ScriptedEngine,
    Speech,
    error,
    gated,
    never,
    raw,
    speaks,
)
from quart_app.testing.app_under_test import (
    SECRET_KEY,
    AppUnderTest,
    Client,
    Socket,
    serve_for_tests,
    settings_for_tests,
)
from quart_app.testing.tokens import Tokens

__all__ = [
    "SECRET_KEY",
    "Answer",
    "AppUnderTest",
    "Client",
    "Reply",
    "ScriptedAIServer",
    "ScriptedEngine",
    "Socket",
    "Speech",
    "Tokens",
    "error",
    "gated",
    "never",
    "raw",
    "serve_for_tests",
    "settings_for_tests",
    "speaks",
]
