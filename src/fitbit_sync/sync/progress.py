"""Rich progress for a sync or backfill: share of the plan done, points, rate, ETA, calls and quota.

The total is measured in *expected calls*: one per rollup chunk, and for ``list`` requests an
estimate from the stream's usual density (a page holds up to 10,000 points). A ``list`` request
advances as its pages walk back from the range end towards the start, so the bar and the ETA move
smoothly even though the number of pages is not known in advance.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from fitbit_sync.sources.google_health.planner import Request, expected_pages


def expected_calls(request: Request) -> float:
    """A guess of the calls ``request`` needs (for the bar and ETA, not for the plan)."""
    stream = request.stream
    if stream.method != "list":
        return 1.0
    return max(1.0, math.ceil(expected_pages(stream, request.start_ms, request.end_ms)))


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        points = task.fields.get("points", 0)
        rate = points / elapsed if elapsed > 0 else 0.0
        return Text(f"{points:,} points, {rate:,.0f}/s", style="progress.data.speed")


class _CallsColumn(ProgressColumn):
    def __init__(self, calls: Callable[[], int], quota_per_minute: int) -> None:
        super().__init__()
        self._calls = calls
        self._quota = quota_per_minute

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        calls = self._calls()
        per_minute = calls / elapsed * 60 if elapsed > 1 else 0.0
        return Text(f"{calls:,} calls ({per_minute:,.0f}/min of {self._quota:,})", style="cyan")


class SyncProgress:
    """One Rich progress bar over a whole run; safe to call from worker threads."""

    def __init__(self, *, calls: Callable[[], int], quota_per_minute: int, console: Console | None = None,
                 description: str = "sync") -> None:
        self._console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            _RateColumn(),
            _CallsColumn(calls, quota_per_minute),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
            refresh_per_second=4,
        )
        self._description = description
        self._task: TaskID | None = None
        self._weights: dict[Request, float] = {}
        self._done: dict[Request, float] = {}
        self._points = 0
        self._lock = threading.Lock()

    def start(self, requests: Sequence[Request]) -> None:
        self._weights = {r: expected_calls(r) for r in requests}
        self._done = dict.fromkeys(requests, 0.0)
        total = sum(self._weights.values()) or 1.0
        self._progress.start()
        self._task = self._progress.add_task(self._description, total=total, points=0)

    def page(self, request: Request, points: int, fraction_done: float) -> None:
        self._advance(request, fraction_done, points)

    def finish_request(self, request: Request) -> None:
        self._advance(request, 1.0, 0)

    def _advance(self, request: Request, fraction: float, points: int) -> None:
        if self._task is None:
            return
        with self._lock:
            weight = self._weights.get(request, 0.0)
            before = self._done.get(request, 0.0)
            after = max(before, min(1.0, fraction))
            self._done[request] = after
            self._points += points
            delta = (after - before) * weight
            total_points = self._points
        self._progress.update(self._task, advance=delta, points=total_points,
                              description=f"{self._description} {request.stream.key}")

    def stop(self) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=self._description)
        self._progress.stop()
