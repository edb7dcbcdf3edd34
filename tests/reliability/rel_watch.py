"""Watching a fitbit-sync subprocess from outside, through ``/proc``: its peak memory, and the
processes it started (so a test can tell whether any outlived it).

``MemoryWatch`` polls ``/proc/<pid>/status`` every 20 ms and keeps the largest ``VmHWM`` (the
kernel's own peak-RSS mark of the process, so a spike between two polls is not missed while the
process lives); past ``kill_mb`` of RSS it SIGKILLs the process, so a build without a body cap
fails the check in a second instead of taking the machine's memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

MIB = 1024 * 1024


def _status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return None


class MemoryWatch:
    """Peak RSS of ``proc`` (MiB), polled until it exits; SIGKILL past ``kill_mb``."""

    def __init__(self, proc: subprocess.Popen[str], kill_mb: float) -> None:
        self.proc = proc
        self.kill_mb = kill_mb
        self.peak_mb = 0.0
        self.killed = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"memory-watch-{proc.pid}")
        self._thread.start()

    def _run(self) -> None:
        pid = self.proc.pid
        while self.proc.poll() is None:
            hwm, rss = _status_kib(pid, "VmHWM"), _status_kib(pid, "VmRSS")
            if hwm is not None:
                self.peak_mb = max(self.peak_mb, hwm / 1024)
            if rss is not None and rss / 1024 > self.kill_mb and self.proc.poll() is None:
                self.killed = True
                self.proc.send_signal(signal.SIGKILL)
                return
            time.sleep(0.02)

    def join(self) -> float:
        self._thread.join(10)
        return self.peak_mb


def children(pid: int) -> set[int]:
    """The direct children of ``pid`` (every thread's), from ``/proc``."""
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.update(int(c) for c in fh.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()) - out:
            out.add(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not yet reaped by whoever adopted it) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


class ChildWatch:
    """Every process ``proc`` started (polled every 10 ms while it runs)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: set[int] = set()
        self.first_at: float | None = None  # time.monotonic() when the first child was seen
        self.last_at: float | None = None  # ... and when one was last seen alive
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"child-watch-{proc.pid}")
        self._thread.start()

    def _run(self) -> None:
        while self.proc.poll() is None:
            self.seen |= descendants(self.proc.pid)
            if self.seen and self.first_at is None:
                self.first_at = time.monotonic()
            if any(alive(p) for p in self.seen):
                self.last_at = time.monotonic()
            time.sleep(0.01)

    def survivors(self, grace_s: float = 5.0) -> list[int]:
        """The children still alive ``grace_s`` after ``proc`` ended (they may need a moment)."""
        self._thread.join(10)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(alive(p) for p in self.seen):
            time.sleep(0.05)
        return sorted(p for p in self.seen if alive(p))

    def kill_survivors(self) -> None:
        """Only ours, and only when the check already failed: leave nothing behind."""
        for pid in self.seen:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
