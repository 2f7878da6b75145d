"""The pages are served by the app itself, with the hooks docs/contract.md §9 names."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from quart.testing import QuartClient

from config import Settings
from domain.language import DEFAULT_LANGUAGE
from quart_app import create_app
from quart_app.blueprints.pages import steps_by_role

KIOSK_HOOKS = ("utterance", "send", "talk", "lang", "assistant-reply", "order-summary")
BOARD_HOOKS = ("login-user", "login-role", "login", "ws-state")


async def test_the_kiosk_is_served_at_the_root_with_its_hooks(client: QuartClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = await response.get_data(as_text=True)
    for hook in (*KIOSK_HOOKS, "order-id", "order-status"):
        assert f'data-testid="{hook}"' in page
    assert re.search(r'<option value="ko">.*<option value="en">', page, re.S)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


async def test_the_board_is_served_with_its_hooks_and_the_roles_steps(client: QuartClient) -> None:
    response = await client.get("/staff")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    for hook in BOARD_HOOKS:
        assert f'data-testid="{hook}"' in page
    for role in ("cook", "delivery", "manager"):
        assert f'<option value="{role}"' in page
    steps = re.search(r'data-steps="([^"]*)"', page)
    assert steps is not None
    assert json.loads(html.unescape(steps.group(1))) == steps_by_role()


async def test_the_pages_start_in_the_services_default_language(client: QuartClient) -> None:
    for path in ("/", "/staff"):
        page = await (await client.get(path)).get_data(as_text=True)
        assert f'<html lang="{DEFAULT_LANGUAGE}">' in page
    i18n = await (await client.get("/static/js/i18n.js")).get_data(as_text=True)
    assert "DEFAULT_LANGUAGE = document.documentElement.lang;" in i18n


async def test_pages_load_nothing_from_another_origin(client: QuartClient) -> None:
    for path in ("/", "/staff"):
        page = await (await client.get(path)).get_data(as_text=True)
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert url.startswith(("/static/", "data:")), url
            if url.startswith("/static/"):
                assert (await client.get(url)).status_code == 200, url


async def test_scripts_are_served_as_javascript_modules(client: QuartClient) -> None:
    response = await client.get("/static/js/kiosk.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert "import " in await response.get_data(as_text=True)


def test_each_role_gets_only_the_steps_it_may_take() -> None:
    steps = steps_by_role()
    assert steps["cook"]["pending"] == ["accepted"]
    assert steps["cook"]["accepted"] == ["cooking"]
    assert steps["cook"]["ready"] == []
    assert steps["delivery"]["pending"] == []
    assert steps["delivery"]["ready"] == ["delivering"]
    assert steps["manager"]["pending"] == ["accepted", "cancelled"]
    assert steps["manager"]["delivered"] == []


async def test_an_unknown_static_file_is_404(client: QuartClient) -> None:
    assert (await client.get("/static/js/nothing.js")).status_code == 404
    assert (await client.get("/static/../app.py")).status_code == 404


async def test_production_serves_the_pages_too(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(app_env="production")
    async with create_app(settings).test_app() as app:
        assert (await app.test_client().get("/staff")).status_code == 200


async def test_pages_are_not_part_of_the_api_schema(client: QuartClient) -> None:
    paths = (await (await client.get("/openapi.json")).get_json())["paths"]
    assert not {"/", "/staff", "/static/{filename}"} & set(paths)
    assert "/api/dev/token" in paths
