"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

T = TypeVar("T")


class InProcessClient:
    """A synchronous httpx facade over ``httpx.ASGITransport``: the app runs in this thread."""

    def __init__(self, app: Starlette) -> None:
        # The loop runs in its own thread: the test thread may already run one (Playwright's sync
        # API keeps an event loop running in the main thread for the whole session).
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="inprocess-asgi", daemon=True)
        self._thread.start()
        self.headers: dict[str, str] = {}
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self._run(self._client.request(method, url, headers=headers, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        self._run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
