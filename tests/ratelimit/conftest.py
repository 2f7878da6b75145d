"""The rate limits are tested on the voice API, with its fixtures
(``tests/support/voice_fixtures.py``)."""

from tests.support.voice_fixtures import ai_server, client, data, memory_backend, start_app

__all__ = ["ai_server", "client", "data", "memory_backend", "start_app"]
