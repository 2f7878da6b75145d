"""/docs renders offline: the page and its Swagger UI assets come from this service only."""

from __future__ import annotations

import re

from quart.testing import QuartClient

from tests.support.html_links import LinkedUrls


async def test_the_docs_page_references_no_external_host(client: QuartClient) -> None:
    response = await client.get("/docs")
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    parser = LinkedUrls()
    parser.feed(page)
    assert len(parser.urls) == 3
    assert all(url.startswith("/docs/assets/") for url in parser.urls)
    assert not re.search(r"(https?:)?//", page)  # no absolute URL anywhere, scripts included
    assert 'url: "/openapi.json"' in page
    assert "validatorUrl: null" in page  # Swagger UI would call its online validator


async def test_its_assets_are_served(client: QuartClient) -> None:
    parser = LinkedUrls()
    parser.feed(await (await client.get("/docs")).get_data(as_text=True))
    for url in parser.urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(await response.get_data()) > 500
        assert "max-age" in response.headers["Cache-Control"]
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in await script.get_data(as_text=True)


async def test_only_the_bundle_files_are_served(client: QuartClient) -> None:
    for name in ("index.html", "..%2Fpyproject.toml", "swagger-ui.js.map"):
        response = await client.get(f"/docs/assets/{name}")
        assert response.status_code == 404
        assert (await response.get_json())["error"]["code"] == "not_found"


async def test_the_cdn_pages_of_quart_schema_are_gone(client: QuartClient) -> None:
    for path in ("/redocs", "/scalar"):
        assert (await client.get(path)).status_code == 404
