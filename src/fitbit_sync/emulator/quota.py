"""Per-user request quota: N requests in any sliding window (default 300 per 60 s).

Requests past the limit are refused with 429 RESOURCE_EXHAUSTED and do not use up quota, so a
client that backs off recovers as soon as the window slides. Time comes from the emulator clock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class Quota:
    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self.refused = 0

    def set_limit(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("quota must be at least 1")
        with self._lock:
            self.limit = limit

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def acquire(self, user: str) -> float | None:
        """Count one request; None if allowed, else seconds until a slot frees up."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(user, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                self.refused += 1
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            return None

    def used(self, user: str) -> int:
        now = self._clock()
        with self._lock:
            hits = self._hits.get(user, deque())
            return sum(1 for t in hits if t > now - self.window)
