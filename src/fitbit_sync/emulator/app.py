"""The ASGI application: Google Health API v4 + Google OAuth on one host, plus admin routes.

URL layout (``{base}`` is e.g. ``http://127.0.0.1:8099``):

- ``{base}/v4/...``: the Health API (the client's API root is ``{base}/v4``)
- ``{base}/o/oauth2/v2/auth``, ``{base}/token``, ``{base}/revoke``, ``{base}/tokeninfo``: OAuth
- ``{base}/_emulator/health|stats|control``: emulator admin (no auth, never counted or faulted)
- legacy Fitbit Web API paths (``/1/...``, ``/1.1/...``, ``/1.2/...``, ``/oauth2/...``): 410 Gone

``create_app(config)`` returns a Starlette app whose ``app.state.emulator`` is the
``EmulatorState``; it works in-process with ``httpx.ASGITransport`` or under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitbit_sync.emulator import api
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.errors import deadline_exceeded, internal, rate_limited, unavailable, unknown_method
from fitbit_sync.emulator.faults import DEFAULT_HUGE_BODY, abort_connection, send_broken, send_endless, send_huge
from fitbit_sync.emulator.state import EmulatorState

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
LEGACY_PREFIXES = ("/1/", "/1.1/", "/1.2/")
LEGACY_PATHS = ("/oauth2/token", "/oauth2/authorize", "/oauth2/revoke", "/oauth2/introspect")


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    state = EmulatorState(config or EmulatorConfig())

    async def v4(request: Request) -> Response:
        return await api.dispatch(state, request)

    async def health(request: Request) -> Response:
        return _json({"ok": True, "now": state.describe()["now"]})

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            state.reset_stats()
        log = int(request.query_params.get("log", "50"))
        return _json(state.stats.snapshot(log))

    async def control(request: Request) -> Response:
        if request.method == "GET":
            return _json(state.describe())
        try:
            payload = orjson.loads(await request.body() or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the control document must be a JSON object")
            return _json(state.control(payload))
        except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as err:
            return _json({"error": str(err)}, 400)

    async def legacy(request: Request) -> Response:
        return _json(
            {
                "errors": [
                    {
                        "errorType": "gone",
                        "message": "The Fitbit Web API and Fitbit OAuth have been turned off. "
                        "Use the Google Health API (https://health.googleapis.com/v4) and Google OAuth 2.0.",
                    }
                ],
                "success": False,
            },
            410,
        )

    routes = [
        Route("/o/oauth2/v2/auth", state.oauth.authorize, methods=["GET"]),
        Route("/token", state.oauth.token, methods=["POST"]),
        Route("/revoke", state.oauth.revoke, methods=["POST"]),
        Route("/tokeninfo", state.oauth.tokeninfo, methods=["GET", "POST"]),
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET", "DELETE"]),
        Route("/_emulator/control", control, methods=["GET", "POST"]),
        Route("/v4/{path:path}", v4, methods=ALL_METHODS),
        *[Route(p + "{path:path}", legacy, methods=ALL_METHODS) for p in LEGACY_PREFIXES],
        *[Route(p, legacy, methods=ALL_METHODS) for p in LEGACY_PATHS],
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405 and not request.url.path.startswith("/v4/"):
            return _json({"error": "method_not_allowed"}, 405)
        return unknown_method().response()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(EmulatorMiddleware, state=state)],
        exception_handlers={404: not_found, 405: not_found},
    )
    app.state.emulator = state
    return app


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def hang(seconds: float, receive: Receive) -> None:
    """Send nothing for ``seconds``, or until the client gives up and disconnects."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    # CancelledError: the server is shutting down while we hang.
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(disconnected(), timeout=seconds)


class EmulatorMiddleware:
    """Counts every request and injects the configured faults (admin routes are exempt)."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        state = self.state
        started = time.perf_counter()
        info: dict[str, Any] = scope.setdefault("emulator", {})
        found = api.match_route(scope["method"], scope["path"]) if scope["path"].startswith("/v4/") else None
        if found is not None:
            info.update(method=found[0].method_id, data_type=found[1].get("dataTypesId"))
        delay, rule = state.faults.decide(scope["path"])
        status = [0]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            if delay:
                await asyncio.sleep(delay)
            if rule is None or rule.kind == "empty_page":
                if rule is not None:
                    info["empty_page"] = True
                await self.app(scope, receive, watch)
            elif rule.kind.startswith("http_"):
                error = {
                    "http_429": lambda: rate_limited(state.quota.limit, None),
                    "http_500": internal,
                    "http_503": unavailable,
                    "http_504": deadline_exceeded,
                }[rule.kind]()
                await error.response()(scope, receive, watch)
            elif rule.kind == "reset":
                abort_connection(scope)
            elif rule.kind == "hang":
                await hang(rule.duration, receive)
                abort_connection(scope)
            elif rule.kind == "endless_body":
                status[0] = 200
                await send_endless(rule.duration, receive, send)
            elif rule.kind == "huge_body":
                await send_huge(rule.size if rule.size is not None else DEFAULT_HUGE_BODY, self.app, scope,
                                receive, watch)
            else:
                await send_broken(rule.kind, self.app, scope, receive, watch)
        finally:
            state.stats.record(
                http_method=scope["method"],
                path=scope["path"],
                status=status[0],
                method=info.get("method"),
                data_type=info.get("data_type"),
                fault=rule.kind if rule is not None else None,
                points=int(info.get("points", 0)),
                elapsed=time.perf_counter() - started,
                time=state.now(),
            )
