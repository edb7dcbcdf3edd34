"""Seeded, configurable faults: latency, 429 bursts, 5xx, resets, hangs, broken bodies.

A ``FaultRule`` matches requests by path prefix; of the matching requests it skips the first
``after``, then hits each with ``probability`` until it has fired ``count`` times (``None`` =
forever). Latency rules add up; of the other rules the first that fires decides the outcome.

Kinds:

- ``latency``: wait ``seconds`` (default 0.2), then serve normally.
- ``http_429`` / ``http_500`` / ``http_503`` / ``http_504``: Google's error JSON for
  RESOURCE_EXHAUSTED / INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED.
- ``reset``: the TCP connection is aborted (RST) before any byte of the response.
- ``hang``: nothing is sent for ``seconds`` (default 30), then the connection is aborted.
- ``truncate``: a valid HTTP response whose JSON body is cut in half (Content-Length matches).
- ``reset_mid_body``: headers promise the full body, half of it is sent, then the connection is
  aborted.
- ``malformed``: 200 with a body that is not JSON (an HTML proxy page glued to half the JSON).
- ``empty_page``: ``list``/``reconcile`` answer a page with no points but a ``nextPageToken``
  that continues where the request started (seen live); other methods are served normally.
- ``endless_body``: 200 with a chunked JSON body that never ends: a 64 KiB chunk every ``seconds``
  (default 0: as fast as the client reads) until the client disconnects.
- ``huge_body``: the real answer padded with spaces (still valid JSON) to ``size`` bytes (default
  256 MiB), with a ``Content-Length`` that says so; streamed, never held in memory.

Connection aborts need the real server (``server.py`` hands the transport to the app); under
``httpx.ASGITransport`` they surface as ``ConnectionResetError`` raised into the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAULT_KINDS = (
    "latency",
    "http_429",
    "http_500",
    "http_503",
    "http_504",
    "reset",
    "hang",
    "truncate",
    "reset_mid_body",
    "malformed",
    "empty_page",
    "endless_body",
    "huge_body",
)
DEFAULT_SECONDS = {"latency": 0.2, "hang": 30.0}
DEFAULT_HUGE_BODY = 256 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
ABORT_EXTENSION = "fitbit_sync.emulator.abort"


@dataclass(frozen=True)
class FaultRule:
    kind: str
    probability: float = 1.0
    count: int | None = None
    after: int = 0
    path_prefix: str = "/v4/"
    seconds: float | None = None  # latency / hang duration; endless_body: pause between chunks
    size: int | None = None  # huge_body: bytes of the body

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(FAULT_KINDS)})")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("fault probability must be between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("fault count must not be negative")
        if self.after < 0:
            raise ValueError("fault 'after' must not be negative")
        if self.size is not None and self.size < 0:
            raise ValueError("fault size must not be negative")

    @property
    def duration(self) -> float:
        return self.seconds if self.seconds is not None else DEFAULT_SECONDS.get(self.kind, 0.0)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        known = {"kind", "probability", "count", "after", "path_prefix", "seconds", "size"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**dict(data))

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """``kind[:probability[:seconds]]``, e.g. ``http_503:0.05`` or ``latency:1:0.3``."""
        parts = spec.split(":")
        try:
            probability = float(parts[1]) if len(parts) > 1 and parts[1] else 1.0
            seconds = float(parts[2]) if len(parts) > 2 and parts[2] else None
        except ValueError:
            raise ValueError(f"bad fault spec {spec!r}: use kind[:probability[:seconds]]") from None
        if len(parts) > 3:
            raise ValueError(f"bad fault spec {spec!r}: use kind[:probability[:seconds]]")
        return cls(kind=parts[0], probability=probability, seconds=seconds)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _RuleState:
    rule: FaultRule
    matched: int = 0
    fired: int = 0


class FaultInjector:
    """Decides, per request, which fault (if any) applies. Thread-safe; seeded."""

    def __init__(self, rules: tuple[FaultRule, ...] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._rules = [_RuleState(r) for r in rules]
        self.injected: dict[str, int] = {}

    def set_rules(self, rules: list[FaultRule] | tuple[FaultRule, ...], seed: int | None = None) -> None:
        with self._lock:
            self._rules = [_RuleState(r) for r in rules]
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(self._seed)

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(_RuleState(rule))

    def clear(self) -> None:
        self.set_rules([])

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [s.rule for s in self._rules]

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**s.rule.to_dict(), "matched": s.matched, "fired": s.fired} for s in self._rules]

    def decide(self, path: str) -> tuple[float, FaultRule | None]:
        """Added latency (seconds) and the fault to apply, if any."""
        delay = 0.0
        chosen: FaultRule | None = None
        with self._lock:
            for state in self._rules:
                rule = state.rule
                if not path.startswith(rule.path_prefix):
                    continue
                if rule.kind != "latency" and chosen is not None:
                    continue
                state.matched += 1
                if state.matched <= rule.after:
                    continue
                if rule.count is not None and state.fired >= rule.count:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                state.fired += 1
                self.injected[rule.kind] = self.injected.get(rule.kind, 0) + 1
                if rule.kind == "latency":
                    delay += rule.duration
                else:
                    chosen = rule
        return delay, chosen


def abort_connection(scope: Scope) -> None:
    """Reset the client's TCP connection (real server) or raise (in-process transport)."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise ConnectionResetError("emulator fault: connection reset")
    abort()


def make_abort(transport: asyncio.Transport, mark_disconnected: Callable[[], None]) -> Callable[[], None]:
    """Build the abort callable the server puts in the ASGI scope."""

    def _abort() -> None:
        mark_disconnected()
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    return _abort


async def run_captured(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run ``app`` and collect its response start message and full body."""
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)


def replace_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    out = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    out.append((b"content-length", str(length).encode()))
    return out


async def send_broken(kind: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve the real response, then break it the way ``kind`` says."""
    start, body = await run_captured(app, scope, receive)
    headers = list(start.get("headers", []))
    half = body[: max(1, len(body) // 2)]
    if kind == "truncate":
        await send({**start, "headers": replace_length(headers, len(half))})
        await send({"type": "http.response.body", "body": half})
    elif kind == "malformed":
        junk = half + b"<html><head><title>502 Bad Gateway</title></head></html>"
        await send({**start, "status": 200, "headers": replace_length(headers, len(junk))})
        await send({"type": "http.response.body", "body": junk})
    else:  # reset_mid_body
        await send({**start, "headers": replace_length(headers, len(body))})
        await send({"type": "http.response.body", "body": half, "more_body": True})
        await asyncio.sleep(0.05)
        abort_connection(scope)


async def send_endless(pause: float, receive: Receive, send: Send) -> None:
    """A 200 whose chunked JSON body never ends, until the client disconnects."""
    gone = asyncio.Event()

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.ensure_future(watch_disconnect())
    item = b'{"steps":{"count":"1"}},'
    chunk = item * (STREAM_CHUNK // len(item))
    try:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # no length: chunked
        await send({"type": "http.response.body", "body": b'{"dataPoints":[', "more_body": True})
        while not gone.is_set():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(pause)  # 0 still yields, so the disconnect is noticed
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        watcher.cancel()


async def send_huge(size: int, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """The real answer padded with spaces to ``size`` bytes, streamed in chunks."""
    start, body = await run_captured(app, scope, receive)
    total = max(size, len(body))
    await send({**start, "headers": replace_length(list(start.get("headers", [])), total)})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    left = total - len(body)
    pad = b" " * STREAM_CHUNK
    while left > 0:
        piece = pad[: min(left, STREAM_CHUNK)]
        left -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": left > 0})
