"""The quota pacer: never more than N requests in any 60 s window, across threads."""

from __future__ import annotations

import bisect
import threading
from collections import deque

from fitbit_sync.sources.google_health.pacing import Pacer


class FakeTime:
    """A clock that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


def test_at_most_limit_requests_in_any_window() -> None:
    fake = FakeTime()
    pacer = Pacer(50, clock=fake.clock, sleep=fake.sleep)
    sent = []
    for _ in range(420):
        pacer.acquire()
        sent.append(fake.clock())
    assert max_in_any_window(sent, 60.0) == 50
    assert max_in_any_window(sent, pacer.window) == 50  # the 1 s slack is kept too
    # and it is not slower than it needs to be: 420 requests at 50/min need 8 full windows
    assert sent[-1] - sent[0] == 8 * pacer.window
    assert pacer.window == 61.0
    assert sent[:50] == [1000.0] * 50  # a fresh pacer lets a first burst through


def test_spaced_requests_never_wait() -> None:
    fake = FakeTime()
    pacer = Pacer(5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        pacer.acquire()
        fake.now += 12.25  # 5 per 61.25 s: just under the limit, including the slack
    assert fake.sleeps == []


def test_defer_pauses_everyone() -> None:
    fake = FakeTime()
    pacer = Pacer(100, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire()
    pacer.defer(30.0)
    pacer.acquire()
    assert fake.clock() == 1030.0
    pacer.defer(-5)  # never moves the pause back
    pacer.acquire()
    assert fake.clock() == 1030.0


def test_shared_by_threads_keeps_the_limit() -> None:
    fake = FakeTime()
    pacer = Pacer(30, clock=fake.clock, sleep=fake.sleep)
    admitted: list[float] = []

    class Recording(deque[float]):
        def append(self, value: float) -> None:  # called under the pacer's lock on admission
            admitted.append(value)
            super().append(value)

    pacer._sent = Recording()

    def worker() -> None:
        for _ in range(50):
            pacer.acquire()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(admitted) == 200
    assert max_in_any_window(admitted, 60.0) == 30


def test_real_clock_small_window() -> None:
    import time

    pacer = Pacer(3, window=0.3)
    start = time.monotonic()
    for _ in range(7):
        pacer.acquire()
    elapsed = time.monotonic() - start
    assert 0.55 <= elapsed < 2.0  # 7 requests at 3 per 0.3 s need two full windows
