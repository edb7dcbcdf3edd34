"""The dashboard app under a real uvicorn server on a free 127.0.0.1 port, in a thread (tests only)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from fitbit_sync.dashboards.html.server import create_app
from fitbit_sync.dashboards.html.source import DashboardSource
from support.dash_demo import TZ


class LiveServer:
    """The dashboard app under uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, source: DashboardSource, tz: str = TZ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        config = uvicorn.Config(create_app(source, default_tz=tz), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
