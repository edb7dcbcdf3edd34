"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette


class InProcessClient:
    """A synchronous httpx facade over ``httpx.ASGITransport``: the app runs in this thread."""

    def __init__(self, app: Starlette) -> None:
        self._loop = asyncio.new_event_loop()
        self.headers: dict[str, str] = {}
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self._loop.run_until_complete(self._client.request(method, url, headers=headers, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
