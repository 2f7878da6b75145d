"""A team's blueprints join the app without editing create_app: listed, or installed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from quart import Blueprint

from config import Settings
from quart_app import create_app
from quart_app.app import BLUEPRINTS_ENTRY_POINT

team = Blueprint("team", __name__, url_prefix="/api/team")


@team.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "team"}


def install(site: Path, entry: str) -> None:
    """A distribution in ``site`` declaring ``entry`` in the blueprints' entry-point group."""
    info = site / "team_feature-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: team-feature\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{BLUEPRINTS_ENTRY_POINT}]\nteam = {entry}\n")


async def get_hello(settings: Settings, **options: list[Blueprint]) -> int:
    async with create_app(settings, **options).test_app() as serving:
        return (await serving.test_client().get("/api/team/hello")).status_code


async def test_blueprints_given_are_registered(make_settings: Callable[..., Settings]) -> None:
    assert await get_hello(make_settings(), blueprints=[team]) == 200


async def test_installed_blueprints_are_registered_by_default(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await get_hello(make_settings()) == 404
    install(tmp_path, f"{__name__}:team")
    monkeypatch.syspath_prepend(tmp_path)

    assert await get_hello(make_settings()) == 200
    assert await get_hello(make_settings(), blueprints=[]) == 404  # a list is exactly those


def test_an_entry_point_that_is_no_blueprint_is_refused(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(tmp_path, f"{__name__}:hello")
    monkeypatch.syspath_prepend(tmp_path)

    with pytest.raises(TypeError, match="must name blueprints"):
        create_app(make_settings())
