"""A reverse proxy in front of the emulator's API (``/v4``) that answers like a hostile server.

Requests are forwarded to the emulator (so its probe still sees every bearer token); the answer
is passed on unchanged, rewritten (``rewrite``: a function of the path and the parsed JSON, whose
result is written back with the standard library, so NUL, control characters and lone
surrogates arrive as JSON escapes), or replaced when a ``HostileRule`` fires:

- ``endless``: 200, a chunked JSON body that never ends, 64 KiB chunks as fast as the client reads;
- ``trickle``: 200, a chunked body of 1 KiB every 0.1 s, forever (no socket timeout ever fires);
- ``huge``: the real answer padded with spaces (still valid JSON) to ``HUGE`` bytes, with a
  ``Content-Length`` that says so;
- ``huge_chunked``: the same padding without a ``Content-Length``, chunked;
- ``gzip_bomb``: ``HUGE`` spaces gzip-compressed to 255 KiB, ``Content-Encoding: gzip``;
- ``deep``: a JSON document nested 100,000 levels deep.

The hostile writers stop when the client goes away (or after ``SAFETY_S``/``SAFETY_BYTES``, so a
client that never gives up cannot keep this process busy forever). Uses only the standard
library and httpx: it runs against any build of fitbit-sync.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOSTILE_KINDS = ("endless", "trickle", "huge", "huge_chunked", "gzip_bomb", "deep")
HUGE = 256 * 1024 * 1024
CHUNK = 64 * 1024
DEPTH = 100_000
SAFETY_S = 90.0
SAFETY_BYTES = 4 * 1024**3
HOP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "content-length",
               "content-encoding"}
_BOMB: dict[int, bytes] = {}
_BOMB_LOCK = threading.Lock()


@dataclass
class HostileRule:
    """Of the requests whose path starts with ``prefix``, skip ``after``, then answer ``count`` with
    ``kind``."""

    kind: str
    prefix: str = "/v4/"
    after: int = 0
    count: int = 1
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in HOSTILE_KINDS:
            raise ValueError(f"unknown hostile kind {self.kind!r}")


def spaces_gzip(size: int) -> bytes:
    """``size`` spaces, gzip-compressed (made once per size)."""
    with _BOMB_LOCK:
        if size not in _BOMB:
            gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member
            block = b" " * (1024 * 1024)
            parts = [gz.compress(block) for _ in range(size // len(block))]
            _BOMB[size] = b"".join([*parts, gz.compress(b" " * (size % len(block))), gz.flush()])
        return _BOMB[size]


class _ClientGone(Exception):
    pass


class ApiProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.lock = threading.Lock()
        self.rules: list[HostileRule] = []
        self.rewrite: Callable[[str, Any], Any] | None = None
        self.fired: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()  # requests by path
        self.bytes_sent: Counter[str] = Counter()  # by hostile kind
        self._stopping = threading.Event()
        self._client = httpx.Client(timeout=120)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.handle(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="api-proxy")
        self._thread.start()

    def set_rules(self, rules: list[HostileRule]) -> None:
        with self.lock:
            self.rules = list(rules)

    def requests(self, prefix: str = "/") -> int:
        with self.lock:
            return sum(n for path, n in self.paths.items() if path.startswith(prefix))

    def reset(self) -> None:
        with self.lock:
            self.rules = []
            self.rewrite = None
            self.fired = Counter()
            self.bytes_sent = Counter()
            self.paths = Counter()

    def _rule_for(self, path: str) -> HostileRule | None:
        with self.lock:
            self.paths[path] += 1
            for rule in self.rules:
                if not path.startswith(rule.prefix):
                    continue
                rule.seen += 1
                if rule.seen > rule.after and rule.fired < rule.count:
                    rule.fired += 1
                    self.fired[rule.kind] += 1
                    return rule
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        rule = self._rule_for(path)
        try:
            if rule is not None and rule.kind in ("endless", "trickle", "deep", "gzip_bomb"):
                self._hostile(handler, rule.kind, b"")
                return
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
            try:
                upstream = self._client.request(handler.command, self.upstream + handler.path, content=body,
                                                 headers=headers)
            except httpx.HTTPError:
                handler.close_connection = True
                return
            content = upstream.content
            kind = upstream.headers.get("content-type", "")
            if rule is not None:
                self._hostile(handler, rule.kind, content)
                return
            if self.rewrite is not None and upstream.status_code == 200 and "json" in kind:
                content = json.dumps(self.rewrite(path, json.loads(content))).encode()
            handler.send_response(upstream.status_code)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_HEADERS:
                    handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            handler.wfile.flush()
        except (OSError, _ClientGone):  # the client hung up (its cap, its deadline, a kill)
            handler.close_connection = True

    # --- hostile answers -------------------------------------------------------------------------

    def _hostile(self, handler: BaseHTTPRequestHandler, kind: str, real: bytes) -> None:
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        if kind == "huge":
            handler.send_header("Content-Length", str(max(HUGE, len(real))))
            handler.end_headers()
            self._send(handler, kind, real)
            self._pad(handler, kind, max(0, HUGE - len(real)), chunked=False)
            return
        if kind == "gzip_bomb":
            bomb = spaces_gzip(HUGE)
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(bomb)))
            handler.end_headers()
            self._send(handler, kind, bomb)
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        if kind == "deep":
            self._chunk(handler, kind, b'{"dataPoints":' + b"[" * DEPTH + b"]" * DEPTH + b"}")
        elif kind == "huge_chunked":
            self._chunk(handler, kind, real)
            self._pad(handler, kind, HUGE, chunked=True)
        else:  # endless, trickle: a page whose list never closes
            piece = b'{"x":"' + b"a" * 1000 + b'"},'
            block = piece * (CHUNK // len(piece)) if kind == "endless" else piece
            self._chunk(handler, kind, b'{"dataPoints":[')
            started = time.monotonic()
            while time.monotonic() - started < SAFETY_S and self.bytes_sent[kind] < SAFETY_BYTES:
                if self._stopping.is_set():
                    raise _ClientGone
                self._chunk(handler, kind, block)
                if kind == "trickle":
                    time.sleep(0.1)
            raise _ClientGone  # never end the body properly
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def _send(self, handler: BaseHTTPRequestHandler, kind: str, data: bytes) -> None:
        if self._stopping.is_set():
            raise _ClientGone
        handler.wfile.write(data)
        with self.lock:
            self.bytes_sent[kind] += len(data)

    def _chunk(self, handler: BaseHTTPRequestHandler, kind: str, data: bytes) -> None:
        self._send(handler, kind, f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _pad(self, handler: BaseHTTPRequestHandler, kind: str, size: int, *, chunked: bool) -> None:
        block = b" " * (1024 * 1024)
        left = size
        while left > 0:
            piece = block[:left]
            if chunked:
                self._chunk(handler, kind, piece)
            else:
                self._send(handler, kind, piece)
            left -= len(piece)

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._client.close()

