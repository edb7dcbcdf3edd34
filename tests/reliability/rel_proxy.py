"""A reverse proxy in front of a real ``influxd``: the moments of a write, made visible.

Every request is forwarded unchanged (gzip bodies included). ``Trigger``s (from ``rel_probe``)
on ``/write`` fire when a write arrives (``"request"``: not yet forwarded), once InfluxDB has
stored it but before the client hears so (``"stored"``), or right after the client got the 204
(``"response"``), optionally holding the request there.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from rel_probe import Trigger

HOP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "content-length"}


class InfluxProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.lock = threading.Lock()
        self.triggers: list[Trigger] = []
        self.writes = 0
        self.writes_in_flight = 0
        self._client = httpx.Client(timeout=60)
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
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="influx-proxy")
        self._thread.start()

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
        try:
            handler.send_response(upstream.status_code)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_HEADERS and key.lower() != "content-encoding":
                    handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(upstream.content)))
            handler.end_headers()
            handler.wfile.write(upstream.content)
            handler.wfile.flush()
        except OSError:  # the client was killed
            handler.close_connection = True
            return False
        return True

    def stop(self) -> None:
        self.clear()
        self.server.shutdown()
        self.server.server_close()
        self._client.close()
