"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import date
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

T = TypeVar("T")
DP = "/v4/users/me/dataTypes/{}/dataPoints"


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


def civil(d: date) -> dict[str, Any]:
    """A civil date as the ``dailyRollUp`` range wants it (midnight)."""
    return {"date": {"year": d.year, "month": d.month, "day": d.day}}


def rollup(
    http: httpx.Client | InProcessClient, type_id: str, body: dict[str, Any], daily: bool = False
) -> list[dict[str, Any]]:
    """Every window of a ``rollUp`` (or ``dailyRollUp``), following page tokens."""
    url = DP.format(type_id) + (":dailyRollUp" if daily else ":rollUp")
    points: list[dict[str, Any]] = []
    token = None
    while True:
        response = http.post(url, json={**body, **({"pageToken": token} if token else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        points += page.get("rollupDataPoints", [])
        token = page.get("nextPageToken")
        if not token:
            return points


def list_all(
    http: httpx.Client | InProcessClient, type_id: str, filter_text: str, *, reconcile: bool = False, **params: Any
) -> list[dict[str, Any]]:
    """Every data point ``list`` (or ``reconcile``) serves for a filter, following page tokens."""
    url = DP.format(type_id) + (":reconcile" if reconcile else "")
    points: list[dict[str, Any]] = []
    token = None
    query = {"filter": filter_text, "pageSize": 10000, **params}
    while True:
        response = http.get(url, params={**query, **({"pageToken": token} if token else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        points += page.get("dataPoints", [])
        token = page["nextPageToken"]
        if not token:
            return points
