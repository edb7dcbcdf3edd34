"""An emulator with a probe: the reliability tests see every request it serves, in flight.

``ProbeMiddleware`` wraps the emulator's ASGI app (outermost, before fault injection) and

- tracks requests in flight (so a SIGKILL can be classified: during a fetch, during a refresh);
- fires ``Trigger``s on the n-th matching request, when it arrives or once its answer is sent,
  optionally holding the request there (the moment a test SIGKILLs the client);
- collects every bearer token clients send and every token the token endpoint mints, for the
  secret scan;
- can rewrite ``/v4`` answers (``mutate``) for the fuzzing tests.

Nothing here changes what the emulator itself does.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitbit_sync.emulator.app import create_app
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.server import run_in_thread
from fitbit_sync.emulator.testing import DEFAULT_TEST_CONFIG, EmulatorServer


@dataclass
class Trigger:
    """Fires on the ``nth`` request whose path starts with ``prefix`` (1-based)."""

    prefix: str
    nth: int = 1
    when: str = "request"  # "request": on arrival; "response": once the answer is sent
    hold: float = 0.0  # seconds to keep the request where it fired (unless released)
    action: Callable[[], object] | None = None  # run (in the server thread) when it fires
    fired: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    seen: int = 0


class Probe:
    """State shared by the middleware and the test thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.in_flight: dict[int, str] = {}
        self.requests = 0
        self.by_path: Counter[str] = Counter()  # "/token", "/v4/users/me/settings", ...
        self.triggers: list[Trigger] = []
        self.tokens: set[str] = set()  # bearer tokens sent, access/refresh tokens minted
        self.mutate: Callable[[str, bytes], bytes] | None = None
        self.first_request = threading.Event()

    def reset(self) -> None:
        with self.lock:
            self.triggers = []
            self.mutate = None
            self.requests = 0
            self.first_request = threading.Event()

    def add_trigger(self, trigger: Trigger) -> Trigger:
        with self.lock:
            self.triggers.append(trigger)
        return trigger

    def in_flight_paths(self) -> list[str]:
        with self.lock:
            return list(self.in_flight.values())

    def _match(self, path: str, when: str) -> list[Trigger]:
        hits = []
        with self.lock:
            for t in self.triggers:
                if t.when == when and path.startswith(t.prefix) and not t.fired.is_set():
                    t.seen += 1
                    if t.seen == t.nth:
                        hits.append(t)
        return hits


async def _fire(triggers: list[Trigger]) -> None:
    for t in triggers:
        if t.action is not None:
            t.action()
        t.fired.set()
        deadline = time.monotonic() + t.hold
        while time.monotonic() < deadline and not t.release.is_set():
            await asyncio.sleep(0.005)


class ProbeMiddleware:
    def __init__(self, app: ASGIApp, probe: Probe) -> None:
        self.app = app
        self.probe = probe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        probe, path = self.probe, scope["path"]
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.lower().startswith(b"bearer "):
                with probe.lock:
                    probe.tokens.add(value[7:].decode("latin-1").strip())
        request_id = next(probe._ids)
        with probe.lock:
            probe.in_flight[request_id] = path
            probe.requests += 1
            probe.by_path[path] += 1
        probe.first_request.set()
        try:
            await _fire(probe._match(path, "request"))
            mutate = probe.mutate if path.startswith("/v4/") else None
            capture = path == "/token" or mutate is not None
            if not capture:
                await self.app(scope, receive, send)
            else:
                await self._captured(scope, receive, send, path, mutate)
        finally:
            with probe.lock:
                probe.in_flight.pop(request_id, None)
        await _fire(probe._match(path, "response"))

    async def _captured(self, scope: Scope, receive: Receive, send: Send, path: str,
                        mutate: Callable[[str, bytes], bytes] | None) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        body = b"".join(chunks)
        if path == "/token":
            self._remember_tokens(body)
        if mutate is not None and start.get("status") == 200:
            body = mutate(path, body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _remember_tokens(self, body: bytes) -> None:
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        if isinstance(data, dict):
            with self.probe.lock:
                for key in ("access_token", "refresh_token"):
                    if isinstance(data.get(key), str):
                        self.probe.tokens.add(data[key])


def start_probed_emulator(**overrides: Any) -> tuple[EmulatorServer, Probe]:
    """An emulator (``DEFAULT_TEST_CONFIG`` + ``overrides``) over real HTTP, with a probe."""
    app = create_app(EmulatorConfig(**{**DEFAULT_TEST_CONFIG, **overrides}))
    probe = Probe()
    app.add_middleware(ProbeMiddleware, probe=probe)
    return EmulatorServer(run_in_thread(app=app)), probe
