"""The live dashboard: a Starlette app on 127.0.0.1 with a JSON API under ``/api``.

``GET /`` is the page, ``/static/...`` its assets (package data), ``/api/data`` one view's payload
(``range=30d``, ``from``/``to`` dates, or ``start``/``end`` in ms; ``tz``), ``/api/gps`` one
workout's track and ``/api/meta`` the data's bounds. Bad parameters are a 400 with a one-line
``{"error": ...}``; a store that fails is a 503. Responses are gzipped; requests naming another
host than 127.0.0.1 or localhost are refused (DNS rebinding).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fitbit_sync.dashboards.html import page, payload, ranges
from fitbit_sync.dashboards.html.source import DashboardSource
from fitbit_sync.errors import FitbitSyncError, StoreError
from fitbit_sync.stores.values import MAX_TEXT_CHARS

MAX_ID = MAX_TEXT_CHARS  # every store cuts longer text (an ActivityID too) to this length


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(message: str, status: int) -> JSONBody:
    return JSONBody({"error": message}, status_code=status)


def _int(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer (epoch milliseconds), not {text[:40]!r}") from None


def _view_key(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k in ("range", "from", "to", "start", "end", "tz"))


class _Prebuilt:
    """Views started before they were asked for, handed once to the request that asks (10 s at most)."""

    TTL_S = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, Future[dict[str, Any]]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-prebuild")

    def start(self, key: str, build: Callable[[], dict[str, Any]]) -> None:
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if now - v[0] < self.TTL_S}
            if key not in self._items:
                self._items[key] = (now, self._pool.submit(build))

    def take(self, key: str) -> Future[dict[str, Any]] | None:
        with self._lock:
            item = self._items.pop(key, None)
        if item is None or time.monotonic() - item[0] >= self.TTL_S:
            return None
        return item[1]


def create_app(source: DashboardSource, *, default_tz: str, default_range: str = "30d",
               title: str = "fitbit-sync dashboard") -> Starlette:
    """The app serving ``source``, drawn in ``default_tz`` (the user's zone: days and hours of every
    view, whatever the browser's zone; a request's ``tz`` overrides it)."""
    ranges.zone(default_tz)  # fail early on a bad zone
    warm = getattr(source, "warm", None)
    warmed = threading.Event()

    prebuilt = _Prebuilt()

    def build_view(q: Mapping[str, str]) -> dict[str, Any]:
        tz = ranges.zone(q.get("tz") or default_tz)
        bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
        start, end = _int(q, "start"), _int(q, "end")
        if start is not None or end is not None:
            if start is None or end is None:
                raise ValueError("start and end go together")
            window = ranges.explicit(start, end, tz)
        else:
            window = ranges.resolve(q.get("range"), bounds, tz, first=q.get("from"), last=q.get("to"))
        return payload.build(source, window, tracks="first", bounds=bounds)

    def view(request: Request) -> dict[str, Any]:
        q = dict(request.query_params)
        ready = prebuilt.take(_view_key(q))
        data = ready.result() if ready is not None else build_view(q)
        if callable(warm) and not warmed.is_set():  # after the first view: it gets the CPU first
            warmed.set()
            warm()  # long ranges get fast once the background rollups are built
        return data

    def track(request: Request) -> dict[str, Any]:
        activity_id = request.query_params.get("id", "")
        if not activity_id or len(activity_id) > MAX_ID:
            raise ValueError("id must name a workout")
        start, end = _int(request.query_params, "start"), _int(request.query_params, "end")
        if start is None or end is None or end <= start or end - start > 2 * payload.DAY:
            raise ValueError("start and end must bound the workout (at most two days)")
        return payload.track_json(source.gps_track(activity_id, start, end, payload.TRACK_POINTS))

    def meta(_request: Request) -> dict[str, Any]:
        bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
        return {"source": source.name, "tz": default_tz, "presets": list(ranges.PRESETS),
                "bounds": None if bounds is None else {"first": bounds[0], "last": bounds[1]}}

    def api(handler: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                return JSONBody(await run_in_threadpool(handler, request))
            except StoreError as exc:
                return _error(str(exc), 503)
            except (FitbitSyncError, ValueError) as exc:
                return _error(str(exc), 400)
            except OverflowError:  # a date the checks let through but Python cannot represent
                return _error("a date or time in the request is out of range", 400)
        return endpoint

    async def index(_request: Request) -> HTMLResponse:
        # The page will ask for the default view at once: start building it while it loads
        default = {"range": default_range, "tz": default_tz}
        prebuilt.start(_view_key(default), lambda: build_view(default))
        config = {"tz": default_tz, "range": default_range, "source": source.name}
        return HTMLResponse(page.render(config, inline=False, title=title))

    static = StaticFiles(directory=str(page.STATIC))
    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/data", api(view)),
            Route("/api/gps", api(track)),
            Route("/api/meta", api(meta)),
            Mount("/static", static, name="static"),
        ],
        middleware=[
            # only loopback names: a web page elsewhere cannot reach your data by DNS rebinding
            Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]"]),
            Middleware(GZipMiddleware, minimum_size=1024),
        ],
    )
