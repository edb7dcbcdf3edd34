"""The live dashboard: a Starlette app on 127.0.0.1 with a JSON API under ``/api``.

``GET /`` is the page, ``/static/...`` its assets (package data), ``/api/data`` one view's payload
(``range=30d``, ``from``/``to`` dates, or ``start``/``end`` in ms; ``tz``), ``/api/gps`` one
workout's track and ``/api/meta`` the data's bounds. Bad parameters are a 400 with a one-line
``{"error": ...}``; a store that fails is a 503. Responses are gzipped; requests naming another
host than 127.0.0.1 or localhost are refused (DNS rebinding).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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

MAX_ID = 200


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(message: str, status: int) -> JSONBody:
    return JSONBody({"error": message}, status_code=status)


def _int(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer (epoch milliseconds), not {text[:40]!r}") from None


def create_app(source: DashboardSource, *, default_tz: str, default_range: str = "30d",
               title: str = "fitbit-sync dashboard") -> Starlette:
    """The app serving ``source``; ``default_tz`` when the browser sends none."""
    ranges.zone(default_tz)  # fail early on a bad zone
    warm = getattr(source, "warm", None)
    warmed = threading.Event()

    def view(request: Request) -> dict[str, Any]:
        q = request.query_params
        tz = ranges.zone(q.get("tz") or default_tz)
        bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
        start, end = _int(request, "start"), _int(request, "end")
        if start is not None or end is not None:
            if start is None or end is None:
                raise ValueError("start and end go together")
            window = ranges.explicit(start, end, tz)
        else:
            window = ranges.resolve(q.get("range"), bounds, tz, first=q.get("from"), last=q.get("to"))
        data = payload.build(source, window, tracks="first", bounds=bounds)
        if callable(warm) and not warmed.is_set():  # after the first view: it gets the CPU first
            warmed.set()
            warm()  # long ranges get fast once the background rollups are built
        return data

    def track(request: Request) -> dict[str, Any]:
        activity_id = request.query_params.get("id", "")
        if not activity_id or len(activity_id) > MAX_ID:
            raise ValueError("id must name a workout")
        start, end = _int(request, "start"), _int(request, "end")
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
        return endpoint

    async def index(_request: Request) -> HTMLResponse:
        config = {"tz": None, "range": default_range, "source": source.name}
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
