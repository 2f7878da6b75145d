"""A real server and Debian's Chromium for the browser tests.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``), driven by
Playwright without a browser download; its fake microphone plays a WAV that
espeak-ng speaks. A missing tool fails the tests: it never skips them.
Screenshots of every page a test opened land in ``$TEST_ARTIFACTS/browser``
(default ``test-artifacts/``, ignored by git), whether the test passed or not.
"""

from __future__ import annotations

import os
import re
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser_pages import CHROMIUM, Line, Pages, Speech, need_tool
from tests.support.served import Served, serving
from tests.support.tokens import SECRET

SPOKEN_ORDER = "Two French dinners, grand style please."
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "browser"


@pytest.fixture(scope="session")
def spoken_order(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    """``SPOKEN_ORDER`` as 48 kHz mono 16-bit, with silence around it:
    Chromium's fake microphone plays that form best."""
    folder = tmp_path_factory.mktemp("speech")
    raw, padded = folder / "raw.wav", folder / "order.wav"
    subprocess.run([need_tool("espeak-ng"), "-v", "en-us", "-w", raw, SPOKEN_ORDER], check=True)
    subprocess.run(
        [need_tool("sox"), raw, "-r", "48000", "-c", "1", "-b", "16", padded, "pad", "0.5", "1"],
        check=True,
    )
    with wave.open(str(padded)) as audio:
        return Speech(padded, audio.getnframes() / audio.getframerate())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``voice-realtime serve`` on the embedded default: memory bus, SQLite, AI worker inside."""
    folder = tmp_path_factory.mktemp("server")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "BUS_URL": "memory://",
        "AI_WORKER": "embedded",
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/service.db",
        "MEDIA_DIR": str(folder / "media"),
        "SECRET_KEY": SECRET,
    }
    with serving(env) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, spoken_order: Speech) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={spoken_order.path}",
        ],
    )
    yield launched
    launched.close()


@pytest.fixture
def pages(browser: Browser, server: Served, request: pytest.FixtureRequest) -> Iterator[Pages]:
    opened = Pages(browser, server.base_url)
    yield opened
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"\W+", "-", request.node.name).strip("-")
    for name, page in opened.opened.items():
        page.screenshot(path=ARTIFACTS / f"{test}-{name}.png", full_page=True)
        page.context.close()


@pytest.fixture
def line() -> Line:
    """A relay for a page's notification socket: ``page.route_web_socket(SOCKET, line.relay)``."""
    return Line()
