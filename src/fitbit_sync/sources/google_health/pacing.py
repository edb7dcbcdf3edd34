"""Client-side pacing under the per-user quota: at most N requests in any 60-second window.

A sliding-window limiter shared by every worker thread of one client, so 429s stay rare. A
``Retry-After`` from the server pauses every worker (``defer``), not only the one that got it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
# Requests reach the server a little after we admit them, by varying amounts; counting over a
# slightly longer window keeps the server's own 60 s count under the limit too.
SLACK_S = 1.0


class Pacer:
    """``acquire()`` blocks until one more request fits: ``limit`` per ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_S + SLACK_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._paused_until = float("-inf")
        self.waited = 0.0  # total seconds spent waiting, for reports

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._paused_until - now
                if len(self._sent) >= self.limit:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
                self.waited += wait
            self._sleep(wait)

    def defer(self, seconds: float) -> None:
        """No request from anyone for ``seconds`` (the server asked us to wait)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
