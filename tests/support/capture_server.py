"""A real HTTP server on a free port that records every request and answers as told.

Stands in for InfluxDB 2.x / 3.x, which cannot run on our build machines: the tests check the
exact requests our writers make (method, path, query, headers, body) over real HTTP, and make
the server answer with chosen statuses (204, 401, 413, 503, ...) or drop the connection.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        """The body, gunzipped when sent with Content-Encoding: gzip."""
        raw = gzip.decompress(self.body) if self.headers.get("content-encoding") == "gzip" else self.body
        return raw.decode()


@dataclass
class Reply:
    status: int = 204
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


Responder = Callable[[Captured], Reply]


class CaptureServer:
    def __init__(self, responder: Responder | None = None) -> None:
        self.requests: list[Captured] = []
        self.responder: Responder = responder or (lambda req: Reply())
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                captured = Captured(self.command, parts.path, query,
                                    {k.lower(): v for k, v in self.headers.items()}, body)
                with outer._lock:
                    outer.requests.append(captured)
                reply = outer.responder(captured)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def writes(self, path: str) -> Iterator[Captured]:
        return (r for r in self.requests if r.path == path and r.method == "POST")


def sequence(*replies: Reply, then: Reply | None = None) -> Responder:
    """Answer with ``replies`` in order, then ``then`` (default 204) forever."""
    queue = list(replies)
    lock = threading.Lock()

    def respond(_: Captured) -> Reply:
        with lock:
            return queue.pop(0) if queue else (then or Reply())

    return respond
