"""The kit's fixtures (quart_app.testing's pytest plugin) serve the app with kudos added."""

from __future__ import annotations

import pytest
from quart import Blueprint

from examples.kudos.blueprint import bp


@pytest.fixture
def voice_blueprints() -> list[Blueprint]:
    return [bp]
