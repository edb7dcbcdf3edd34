"""Reverse proxies of the reliability tier: the moments of a write, and the order of pages.

``InfluxProxy`` stands in front of a real ``influxd``. Every request is forwarded unchanged (gzip
bodies included). ``Trigger``s (from ``rel_probe``) on ``/write`` fire when a write arrives
(``"request"``: not yet forwarded), once InfluxDB has stored it but before the client hears so
(``"stored"``), or right after the client got the 204 (``"response"``), optionally holding the
request there.

``ApiProxy`` stands in front of the emulator's ``/v4`` API. It logs every ``list`` page it
serves (data type, oldest sample, whether a next page follows), fires ``Trigger``s on client
requests (the page boundary a test kills at), and in ``oldest-first`` order serves each ``list``
request's pages the other way round: on the first page it fetches all pages upstream, then hands
them out oldest page first, the points of each page oldest first, under its own page tokens.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
from rel_probe import Trigger

HOP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "content-length"}


def serve(handle: Callable[[BaseHTTPRequestHandler], None], name: str) -> tuple[ThreadingHTTPServer, str]:
    """A threading HTTP/1.1 server on a free loopback port passing every request to ``handle``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            handle(self)

        do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name=name).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _reply(handler: BaseHTTPRequestHandler, status: int, headers: Iterator[tuple[str, str]], body: bytes) -> bool:
    """Send one answer; False when the client is gone (killed)."""
    try:
        handler.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_HEADERS and key.lower() != "content-encoding":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True
        return False
    return True


class InfluxProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.lock = threading.Lock()
        self.triggers: list[Trigger] = []
        self.writes = 0
        self.writes_in_flight = 0
        self._client = httpx.Client(timeout=60)
        self.server, self.url = serve(self.handle, "influx-proxy")

    def add_trigger(self, trigger: Trigger) -> Trigger:
        with self.lock:
            self.triggers.append(trigger)
        return trigger

    def clear(self) -> None:
        with self.lock:
            for t in self.triggers:
                t.release.set()
            self.triggers = []

    def _fire(self, path: str, when: str) -> None:
        hits = []
        with self.lock:
            for t in self.triggers:
                if t.when == when and path.startswith(t.prefix) and not t.fired.is_set():
                    t.seen += 1
                    if t.seen == t.nth:
                        hits.append(t)
        for t in hits:
            if t.action is not None:
                t.action()
            t.fired.set()
            deadline = time.monotonic() + t.hold
            while time.monotonic() < deadline and not t.release.is_set():
                time.sleep(0.005)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if path == "/write":
            with self.lock:
                self.writes += 1
                self.writes_in_flight += 1
        try:
            answered = self._forward(handler, path, body)
        finally:
            if path == "/write":
                with self.lock:
                    self.writes_in_flight -= 1
        if answered:
            self._fire(path, "response")

    def _forward(self, handler: BaseHTTPRequestHandler, path: str, body: bytes) -> bool:
        """Forward one request; True once the client has the whole answer."""
        self._fire(path, "request")
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        try:
            upstream = self._client.request(handler.command, self.upstream + handler.path, content=body,
                                             headers=headers)
        except httpx.HTTPError:
            handler.close_connection = True
            return False
        self._fire(path, "stored")
        return _reply(handler, upstream.status_code, iter(upstream.headers.items()), upstream.content)

    def stop(self) -> None:
        self.clear()
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


LIST_PATH = re.compile(r"^/v4/users/me/dataTypes/([^/]+)/dataPoints$")
ORDERS = ("newest-first", "oldest-first")
OWN_TOKEN = "rel-page-"


@dataclass(frozen=True)
class Page:
    """One ``list`` page as the client got it."""

    type_id: str
    oldest_ms: int | None  # the oldest sample time on the page (None: no sampled points)
    points: int
    has_next: bool


def oldest_sample_ms(points: list[Any]) -> int | None:
    """The oldest ``physicalTime`` of a page's points (sampled types such as heart rate)."""
    found: list[int] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "physicalTime" and isinstance(item, str):
                    found.append(int(datetime.fromisoformat(item.replace("Z", "+00:00")).timestamp() * 1000))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(points)
    return min(found) if found else None


class ApiProxy:
    """In front of the emulator's API: a page log, triggers, and ``order`` of ``list`` pages."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.order = "newest-first"
        self.lock = threading.Lock()
        self.triggers: list[Trigger] = []
        self.pages: list[Page] = []
        self.in_flight = 0
        self._reversed: dict[str, list[bytes]] = {}
        self._ids = itertools.count(1)
        self._client = httpx.Client(timeout=60)
        self.server, self.url = serve(self.handle, "api-proxy")

    def reset(self, order: str = "newest-first") -> None:
        if order not in ORDERS:
            raise ValueError(f"unknown page order {order!r}")
        self.clear()
        with self.lock:
            self.order = order
            self.pages = []
            self._reversed = {}

    def add_trigger(self, trigger: Trigger) -> Trigger:
        with self.lock:
            self.triggers.append(trigger)
        return trigger

    def clear(self) -> None:
        with self.lock:
            for t in self.triggers:
                t.release.set()
            self.triggers = []

    def pages_of(self, type_id: str) -> list[Page]:
        with self.lock:
            return [p for p in self.pages if p.type_id == type_id]

    def _fire(self, path: str) -> None:
        hits = []
        with self.lock:
            for t in self.triggers:
                if t.when == "request" and path.startswith(t.prefix) and not t.fired.is_set():
                    t.seen += 1
                    if t.seen == t.nth:
                        hits.append(t)
        for t in hits:
            if t.action is not None:
                t.action()
            t.fired.set()
            deadline = time.monotonic() + t.hold
            while time.monotonic() < deadline and not t.release.is_set():
                time.sleep(0.005)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.in_flight += 1
        try:
            self._fire(path)
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
            listed = LIST_PATH.match(path) if handler.command == "GET" else None
            if listed is not None and self.order == "oldest-first":
                status, answer_headers, answer = self._oldest_first(path, query, headers)
            else:
                try:
                    upstream = self._client.request(handler.command, self.upstream + handler.path, content=body,
                                                    headers=headers)
                except httpx.HTTPError:
                    handler.close_connection = True
                    return
                status, answer_headers, answer = upstream.status_code, list(upstream.headers.items()), upstream.content
            if listed is not None and status == 200:
                self._log_page(listed.group(1), answer)
            _reply(handler, status, iter(answer_headers), answer)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _log_page(self, type_id: str, body: bytes) -> None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        if not isinstance(data, dict):
            return
        points = data.get("dataPoints") or []
        page = Page(type_id, oldest_sample_ms(points), len(points), bool(data.get("nextPageToken")))
        with self.lock:
            self.pages.append(page)

    def _oldest_first(self, path: str, query: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]],
                                                                                        bytes]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        token = params.get("pageToken", "")
        json_headers = [("Content-Type", "application/json")]
        if token.startswith(OWN_TOKEN):
            key, _, index = token[len(OWN_TOKEN):].rpartition("-")
            with self.lock:
                pages = self._reversed.get(key)
            if pages is None or not index.isdigit() or int(index) >= len(pages):
                return 400, json_headers, b'{"error": {"code": 400, "message": "unknown page token"}}'
            return 200, json_headers, pages[int(index)]
        upstream_pages: list[dict[str, Any]] = []
        while True:
            try:
                upstream = self._client.get(self.upstream + path, params=params, headers=headers)
            except httpx.HTTPError:
                return 503, json_headers, b'{"error": {"code": 503, "message": "proxy: upstream unreachable"}}'
            if upstream.status_code != 200:
                return upstream.status_code, list(upstream.headers.items()), upstream.content
            page = upstream.json()
            upstream_pages.append(page)
            next_token = page.get("nextPageToken")
            if not next_token:
                break
            params["pageToken"] = next_token
        key = str(next(self._ids))
        kept = [p for p in upstream_pages if p.get("dataPoints")] or upstream_pages[:1]
        served: list[bytes] = []
        for i, page in enumerate(reversed(kept)):
            out = {k: v for k, v in page.items() if k != "nextPageToken"}
            if page.get("dataPoints"):
                out["dataPoints"] = list(reversed(page["dataPoints"]))
            if i + 1 < len(kept):
                out["nextPageToken"] = f"{OWN_TOKEN}{key}-{i + 1}"
            served.append(orjson.dumps(out))
        with self.lock:
            self._reversed[key] = served
        return 200, json_headers, served[0]

    def stop(self) -> None:
        self.clear()
        self.server.shutdown()
        self.server.server_close()
        self._client.close()
