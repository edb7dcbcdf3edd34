"""One-shot HTTP server on 127.0.0.1 that catches Google's redirect (``code``, ``state``, ``error``).

It binds the loopback interface only, on a free port chosen by the kernel, answers the browser
with a small "you can close this tab" page, and never logs the request line (it holds the code).
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from fitbit_sync.closing import Closing

LOOPBACK_HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Callback:
    """What the redirect carried; exactly one of ``code`` / ``error`` is set."""

    code: str | None
    state: str | None
    error: str | None
    error_description: str | None = None

    def __repr__(self) -> str:  # the code is a short-lived credential: keep it out of reprs
        return f"Callback(code={'<set>' if self.code else None}, state=..., error={self.error!r})"


def parse_callback(url_or_query: str) -> Callback | None:
    """The ``code``/``state``/``error`` of a redirect URL (or its query string); None if neither."""
    query = urlsplit(url_or_query).query if "?" in url_or_query else url_or_query.lstrip("?")
    params = parse_qs(query, keep_blank_values=True)

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    code, error = one("code"), one("error")
    if not code and not error:
        return None
    return Callback(code=code or None, state=one("state"), error=error or None,
                    error_description=one("error_description"))


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>fitbit-sync</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;color:#222}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: _OneShotServer

    def do_GET(self) -> None:
        callback = parse_callback(self.path)
        if callback is None:
            self._answer(404, "Nothing here", "fitbit-sync is waiting for Google's redirect.")
            return
        expected = self.server.expected_state
        if callback.error:
            self._answer(200, "Authorization not granted",
                         f"Google answered: {callback.error}. You can close this tab and return to the terminal.")
        elif expected is not None and callback.state != expected:
            self._answer(400, "Authorization rejected",
                         "The answer did not match this sign-in (state mismatch). Close this tab and run "
                         "fitbit-sync auth again.")
        else:
            self._answer(200, "fitbit-sync is authorized",
                         "You can close this tab and return to the terminal.")
        self.server.deliver(callback)

    def _answer(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # the request line holds the code
        return


class _OneShotServer(HTTPServer):
    def __init__(self, expected_state: str | None) -> None:
        super().__init__((LOOPBACK_HOST, 0), _Handler)
        self.expected_state = expected_state
        self.result: Callback | None = None
        self.done = threading.Event()

    def deliver(self, callback: Callback) -> None:
        if not self.done.is_set():
            self.result = callback
            self.done.set()


class LoopbackServer(Closing):
    """Listen on ``http://127.0.0.1:<free port>/`` until one redirect arrives.

    Use as a context manager; ``redirect_uri`` goes into the authorization URL and ``wait()``
    returns the first redirect (or None after ``timeout`` seconds).
    """

    def __init__(self, expected_state: str | None = None) -> None:
        self._server = _OneShotServer(expected_state)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fitbit-sync-oauth-loopback", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK_HOST}:{self.port}/"

    def wait(self, timeout: float | None) -> Callback | None:
        self._server.done.wait(timeout)
        return self._server.result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
