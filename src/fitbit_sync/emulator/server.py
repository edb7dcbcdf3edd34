"""Serve the emulator over real HTTP with uvicorn: in the foreground or in a background thread.

``run_in_thread(config)`` binds a free port on 127.0.0.1 (or the one given), starts uvicorn in a
daemon thread and returns a ``RunningServer`` with ``base_url``, ``app``, ``state`` and
``stop()``; it is what the pytest fixture and the ``demo`` command use. ``serve_forever``
backs the ``fitbit-sync emulator`` command.

uvicorn runs with its h11 protocol, subclassed only to hand the connection to the app so the
``reset``/``hang``/``reset_mid_body`` faults can abort the TCP connection.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from fitbit_sync.closing import Closing
from fitbit_sync.emulator.app import create_app
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.faults import ABORT_EXTENSION, make_abort
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.errors import ConfigError


class EmulatorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus an ``abort()`` callable in each request's ASGI scope."""

    def handle_events(self) -> None:
        super().handle_events()
        cycle = getattr(self, "cycle", None)
        if cycle is None or self.transport is None:
            return
        extensions = cycle.scope.setdefault("extensions", {})
        if ABORT_EXTENSION not in extensions:

            def mark(c: Any = cycle) -> None:
                c.disconnected = True

            extensions[ABORT_EXTENSION] = make_abort(self.transport, mark)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind (not yet listen); a port in use becomes a one-line ConfigError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) on sockets whose proto
    # says TCP, and with Nagle on every keep-alive response stalls ~40 ms on delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is already in use; pick another with --port") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock


def _uvicorn_config(app: Starlette, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=EmulatorH11Protocol,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


@dataclass
class RunningServer(Closing):
    base_url: str
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int
    _stopped: bool = field(default=False)

    @property
    def state(self) -> EmulatorState:
        return self.app.state.emulator  # type: ignore[no-any-return]

    @property
    def api_root(self) -> str:
        return self.base_url + "/v4"

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)

    def close(self) -> None:
        self.stop()


def run_in_thread(
    config: EmulatorConfig | None = None,
    *,
    app: Starlette | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    startup_timeout: float = 10.0,
) -> RunningServer:
    """Start the emulator on ``host:port`` (0 = a free port) in a daemon thread."""
    app = app or create_app(config)
    sock = bind_socket(host, port)
    sock.listen(128)
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, log_level))

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"fitbit-sync-emulator:{actual_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the emulator did not start")
        time.sleep(0.005)
    shown = f"[{host}]" if ":" in host else host
    return RunningServer(f"http://{shown}:{actual_port}", app, server, thread, host, actual_port)


def serve_forever(config: EmulatorConfig, host: str, port: int, log_level: str = "info") -> None:
    """Run in the foreground until Ctrl-C (the ``fitbit-sync emulator`` command)."""
    sock = bind_socket(host, port)
    sock.listen(128)
    app = create_app(config)
    logging.getLogger("uvicorn.error").setLevel(log_level.upper())
    server = uvicorn.Server(_uvicorn_config(app, log_level))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
