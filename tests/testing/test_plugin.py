"""The pytest plugin: a project that installed the package gets the kit's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = """
import pytest
from quart import Blueprint

extra = Blueprint("extra", __name__)


@extra.get("/api/extra")
async def hello() -> dict[str, str]:
    return {"hello": "team"}


@pytest.fixture
def voice_blueprints():
    return [extra]


@pytest.fixture
def voice_settings():
    return {"ai_timeout": 2.5}
"""

TESTS = """
import pytest

from quart_app.extensions import SETTINGS

pytestmark = pytest.mark.asyncio


async def test_the_fixtures(voice_app, voice_client, voice_ai_server, voice_tokens, voice_service):
    assert voice_app is voice_service.app and voice_app.extensions[SETTINGS].ai_timeout == 2.5
    assert await (await voice_client.get("/api/extra")).get_json() == {"hello": "team"}
    voice_ai_server.llm.always({"intent": "greeting", "confidence": 1, "response": "Hi."})
    turn = await voice_client.post("/api/voice/analyze", json={"transcript": "hi"})
    assert (await turn.get_json())["response"] == "Hi."
    staff = await voice_client.get("/api/orders", headers=voice_tokens.bearer("m-9", "manager"))
    assert staff.status_code == 200
"""


ASYNCIO_INI = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"


def run_pytest(
    project: Path, *args: str, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh interpreter in ``project``, as a team runs it; ``path`` first on
    its import path."""
    env = {**os.environ, "PYTHONPATH": str(path)} if path else None
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-W", "error", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_project(root: Path, tests: str = TESTS, ini: str = ASYNCIO_INI) -> Path:
    """A team's project: its own pytest configuration, not this repository's."""
    (root / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (root / "test_team.py").write_text(textwrap.dedent(tests))
    (root / "pytest.ini").write_text(ini)
    return root


def test_a_teams_project_gets_the_fixtures_by_installing_the_package(tmp_path: Path) -> None:
    result = run_pytest(make_project(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_without_pytest_asyncio_the_fixtures_say_what_is_missing(tmp_path: Path) -> None:
    project = make_project(tmp_path, "def test_a_client(voice_client):\n    pass\n", "[pytest]\n")
    # A pytest_asyncio that can't be imported hides the installed one.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pytest_asyncio.py").write_text("raise ImportError('not installed')\n")

    result = run_pytest(project, "-p", "no:asyncio", path=shadow)

    assert result.returncode != 0
    assert "need pytest-asyncio" in result.stdout, result.stdout + result.stderr
