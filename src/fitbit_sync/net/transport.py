"""Requests that a stop or a deadline can cut short, and response bodies with a size cap.

httpx's timeouts apply to each socket operation: a server that keeps sending bytes never trips
them (an endless chunked body grew the process to 23.8 GB), and a hung read blocks for the whole
read timeout even after the user asked to stop (the daemon took 32 s to stop). So:

- ``make_abortable`` makes the sockets of an ``httpx.Client``'s transports (proxies from the
  environment included) read in short slices; between slices ``RequestGuard.check`` raises
  ``Stopped`` once the stop event is set and a read timeout once the deadline of the request in
  flight on this thread has passed.
- ``read_capped`` reads a streamed body, decoded, up to a byte cap (checked before any byte arrives
  when ``Content-Length`` already says too much), and checks the stop and the deadline between
  chunks, so neither memory nor time is unbounded whatever the server does.
- ``send_capped`` sends one request that way: the whole exchange within a deadline, a success
  body up to its cap, only the head of an error body (its message is short).
- ``send_once`` sends it and says, the one way every retry loop reads it (``net.retry``), whether
  another attempt may help (``Attempt.problem``) and the ``Retry-After`` to honour.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from fitbit_sync.net.retry import MalformedResponse, is_retryable_exception, is_retryable_status, retry_after_of

SLICE_S = 0.25  # longest a blocking read waits before looking at the stop event and the deadline
ERROR_BODY_CAP = 1024 * 1024  # of an error answer we read at most this much (the message is short)


class Stopped(BaseException):
    """The run is stopping: abandon the request (raised from a read or from the client's sleep).
    A ``BaseException`` so that no ``except Exception`` on the way treats it as a failure."""


class RequestGuard:
    """The shared stop event and, per thread, the deadline of the request in flight."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop
        self._local = threading.local()

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[float]:
        """While the block runs, reads on this thread give up ``seconds`` from now."""
        deadline = time.monotonic() + seconds
        self._local.deadline = deadline
        try:
            yield deadline
        finally:
            self._local.deadline = None

    def current_deadline(self) -> float | None:
        deadline: float | None = getattr(self._local, "deadline", None)
        return deadline

    def check(self) -> None:
        """Raise ``Stopped`` after a stop request, ``httpcore.ReadTimeout`` past the deadline."""
        if self.stop is not None and self.stop.is_set():
            raise Stopped
        deadline = self.current_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            raise httpcore.ReadTimeout("the request took longer than its deadline")


class _SlicedStream(httpcore.NetworkStream):
    """A network stream whose reads wait at most ``SLICE_S`` at a time, checking the guard."""

    def __init__(self, inner: httpcore.NetworkStream, guard: RequestGuard) -> None:
        self._inner = inner
        self._guard = guard

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        ends = None if timeout is None else time.monotonic() + timeout
        while True:
            self._guard.check()
            now = time.monotonic()
            limits = [SLICE_S] + [t - now for t in (ends, self._guard.current_deadline()) if t is not None]
            try:
                # a timed-out recv consumed nothing (plain or TLS socket): reading again is safe
                return self._inner.read(max_bytes, max(0.001, min(limits)))
            except httpcore.ReadTimeout:
                if ends is not None and time.monotonic() >= ends:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._guard.check()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _SlicedStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._guard)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _SlicedBackend(httpcore.NetworkBackend):
    def __init__(self, guard: RequestGuard) -> None:
        self._inner = httpcore.SyncBackend()
        self._guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _SlicedStream(stream, self._guard)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _SlicedStream(self._inner.connect_unix_socket(path, timeout, socket_options), self._guard)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def make_abortable(client: httpx.Client, guard: RequestGuard) -> None:
    """Make every ``httpx.HTTPTransport`` of ``client`` (its own and those it mounted for proxies
    from the environment) read through ``guard``. Call it before the first request; transports of
    another kind (a test's ``MockTransport``) are left as they are."""
    for transport in (client._transport, *client._mounts.values()):
        if not isinstance(transport, httpx.HTTPTransport):
            continue
        pool = transport._pool
        if not hasattr(pool, "_network_backend"):  # pragma: no cover - httpcore moved it: fail loudly in tests
            raise RuntimeError("httpcore.ConnectionPool has no _network_backend; update make_abortable")
        pool._network_backend = _SlicedBackend(guard)


def read_capped(response: httpx.Response, *, cap: int, guard: RequestGuard, truncate: bool = False) -> bytearray:
    """The decoded body of a streamed ``response``; ``MalformedResponse`` once it passes ``cap``
    bytes (with ``truncate``: its first ``cap`` bytes instead), ``httpx.ReadTimeout`` past the
    guard's deadline, ``Stopped`` on a stop request."""
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and int(declared) > cap:
        raise MalformedResponse(f"a body of {int(declared):,} bytes, over the cap of {cap:,}")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > cap:
            if truncate:
                del body[cap:]
                break
            raise MalformedResponse(f"a body over the cap of {cap:,} bytes")
        try:
            guard.check()
        except httpcore.ReadTimeout as exc:
            raise httpx.ReadTimeout(str(exc)) from None
    return body


def send_capped(http: httpx.Client, request: httpx.Request, *, guard: RequestGuard, deadline_s: float,
                cap: int) -> tuple[httpx.Response, bytearray]:
    """Send ``request`` on ``http`` (made abortable with ``guard``) and read its body: all of it
    within ``deadline_s`` seconds, a 2xx body up to ``cap`` bytes (``MalformedResponse`` carrying
    the status beyond), of another answer its first ``ERROR_BODY_CAP`` bytes. The response is
    closed; its status and headers stay readable."""
    with guard.deadline(deadline_s):
        response = http.send(request, stream=True)
        try:
            if response.is_success:
                try:
                    body = read_capped(response, cap=cap, guard=guard)
                except MalformedResponse as exc:
                    exc.status = response.status_code
                    raise
            else:
                body = read_capped(response, cap=ERROR_BODY_CAP, guard=guard, truncate=True)
        finally:
            response.close()
    return response, body


@dataclass
class Attempt:
    """One request sent once: the answer, or why it failed; ``problem`` says why another attempt may
    help (a transport error's name, a 2xx body over its cap, a retryable status), else it is empty."""

    response: httpx.Response | None = None  # None when no whole answer arrived (``error`` says why)
    content: bytearray = field(default_factory=bytearray)
    problem: str = ""
    retry_after: float | None = None  # the server's Retry-After, with a retryable status
    error: Exception | None = None  # the retryable transport error or ``MalformedResponse``


def send_once(http: httpx.Client, request: httpx.Request, *, guard: RequestGuard, deadline_s: float,
              cap: int) -> Attempt:
    """``send_capped``, classified: a transport error that no retry can help is raised as it is."""
    try:
        response, content = send_capped(http, request, guard=guard, deadline_s=deadline_s, cap=cap)
    except httpx.HTTPError as exc:
        if not is_retryable_exception(exc):
            raise
        return Attempt(problem=type(exc).__name__, error=exc)
    except MalformedResponse as exc:
        return Attempt(problem=f"HTTP {exc.status} with {exc}", error=exc)
    if is_retryable_status(response.status_code):
        return Attempt(response, content, f"HTTP {response.status_code}", retry_after_of(response))
    return Attempt(response, content)
