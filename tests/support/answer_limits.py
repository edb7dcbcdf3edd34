"""Bounds for tests of answers that never end: stop the server after a while, read the peak RSS."""

from __future__ import annotations

import contextlib
import resource
import threading
from collections.abc import Iterator

from fitbit_sync.emulator.testing import EmulatorServer


@contextlib.contextmanager
def watchdog(server: EmulatorServer, seconds: float) -> Iterator[None]:
    """Stop ``server`` after ``seconds`` so that a client that never gives up fails the test
    instead of hanging (or eating memory) forever."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: done.wait(seconds) or server.stop(), daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
