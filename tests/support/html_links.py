"""The URLs an HTML page links to (``src`` and ``href``)."""

from __future__ import annotations

from html.parser import HTMLParser


class LinkedUrls(HTMLParser):
    """Feed it a page; ``urls`` holds every ``src`` and ``href`` value, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
