"""Browser pages a test opened, with their console errors; a page's notification socket as
Playwright relays it; speech for the fake microphone."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, WebSocketRoute

TABLET = {"width": 1180, "height": 820}
SOCKET = re.compile(r"/api/ws$")


@dataclass
class Speech:
    """A WAV for the fake microphone, and how long it plays."""

    path: Path
    seconds: float


@dataclass
class Pages:
    """The pages a test opened, every console error or uncaught exception they had, and
    the uncaught exceptions (unhandled rejections among them) alone."""

    browser: Browser
    base_url: str
    opened: dict[str, Page] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    uncaught: list[str] = field(default_factory=list)

    def open(self, name: str, path: str, *, init_script: str | None = None) -> Page:
        """A page in a context of its own (its own storage), as in a second window;
        ``init_script`` runs in it before the page's own scripts."""
        context = self.browser.new_context(
            base_url=self.base_url, viewport=TABLET, permissions=["microphone"]
        )
        if init_script is not None:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda message: self._console(name, message))
        page.on("pageerror", lambda error: self._uncaught(name, error))
        page.goto(path)
        self.opened[name] = page
        return page

    def _uncaught(self, name: str, error: Error) -> None:
        self.errors.append(f"{name}: {error}")
        self.uncaught.append(f"{name}: {error}")

    def _console(self, name: str, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{name}: {message.text}")


@dataclass
class Line:
    """A page's notification socket as Playwright relays it (``page.route_web_socket(SOCKET,
    line.relay)``): it passes frames through, holds the line down (every attempt refused), or
    hands the page a frame of the server's kind."""

    down: bool = False
    sockets: list[WebSocketRoute] = field(default_factory=list)

    def relay(self, socket: WebSocketRoute) -> None:
        if self.down:
            socket.close(code=1013, reason="line down")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    def cut(self) -> None:
        """Close the socket of the moment and refuse every new one until ``mend``."""
        self.down = True
        self.sockets.pop().close(code=1013, reason="line down")

    def mend(self) -> None:
        self.down = False

    def tell_the_page(self, frame: dict[str, object]) -> None:
        """Send ``frame`` to the page as if the server had sent it."""
        self.sockets[-1].send(json.dumps(frame))


CHROMIUM = Path("/usr/bin/chromium")


def need_tool(name: str) -> str:
    """The path of the Debian tool ``name``; the test fails (never skips) without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (apt-get install {name})")
    return path
