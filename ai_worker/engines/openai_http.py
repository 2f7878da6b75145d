"""A small client for OpenAI-compatible HTTP APIs (OpenAI, Ollama, vLLM, ...)."""

from __future__ import annotations

from typing import Any

import httpx

from ai_worker.errors import UpstreamError


class OpenAIClient:
    """POSTs JSON to ``base_url`` + path with the bearer key; one connection pool, opened lazily."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(headers=self._headers, timeout=self._timeout)
        return self._client

    async def post(
        self,
        path: str,
        body: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """The JSON object answered, or :class:`UpstreamError`. With ``files`` the body
        goes as ``multipart/form-data`` fields beside them, else as JSON."""
        try:
            if files is None:
                response = await self._http().post(self._base_url + path, json=body)
            else:
                response = await self._http().post(self._base_url + path, data=body, files=files)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{path}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise UpstreamError(f"{path} answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise UpstreamError(f"{path} did not answer JSON") from None
        if not isinstance(data, dict):
            raise UpstreamError(f"{path} did not answer a JSON object")
        return data

    async def get_bytes(self, url: str) -> bytes:
        """The body at ``url`` (an image an API answered by link)."""
        try:
            response = await self._http().get(url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UpstreamError(f"fetching the image: {type(exc).__name__}") from None
        return response.content

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
