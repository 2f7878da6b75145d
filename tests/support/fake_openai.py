"""A tiny OpenAI-compatible HTTP server for the tests: it answers what the test scripts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorded:
    """One request the fake server received (a multipart body as its raw bytes)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeOpenAI:
    """Answers every request with ``status`` and ``reply`` (JSON, or raw bytes)."""

    status: int = 200
    reply: Any = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, path, _ = head[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)
            }
            data = await reader.readexactly(int(headers.get("content-length", "0")))
            multipart = headers.get("content-type", "").startswith("multipart/")
            body = data if multipart else json.loads(data) if data else None
            self.requests.append(Recorded(method, path, headers, body))
            if path in self.raw:
                body, kind = self.raw[path], "application/octet-stream"
            else:
                body, kind = json.dumps(self.reply).encode(), "application/json"
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()


def chat_reply(content: str) -> dict[str, Any]:
    """A chat-completions answer whose message is ``content``."""
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
